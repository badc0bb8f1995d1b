"""EditCommand and ReviewCommand on a real QUndoStack."""

from __future__ import annotations

from dataclasses import dataclass

from PyQt5.QtWidgets import QUndoStack

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.edits import DeleteWaves, MoveBoundary
from ecgstudio.core.review import ReviewSpans
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.gui.commands import EditCommand, ReviewCommand


def _track() -> Delineation:
    waves = [Wave(WaveKind.P, 10, 20, 30), Wave(WaveKind.QRS, 50, 60, 70), Wave(WaveKind.T, None, 100, 130)]
    return Delineation(waves, n_samples=1000, fs=250.0, name="ecgs")


def test_edit_command_applies_undoes_and_redoes(qtbot):
    track = _track()
    stack = QUndoStack()
    qrs = track[1]
    stack.push(EditCommand(track, MoveBoundary(qrs, "offset", 80)))
    assert track[1].offset == 80 and stack.undoText() == "Move QRS offset"
    stack.push(EditCommand(track, DeleteWaves((track[0],)), text="Delete P"))
    assert len(track) == 2 and stack.undoText() == "Delete P"
    stack.undo()
    stack.undo()
    assert track[1] == qrs and len(track) == 3
    stack.redo()
    assert track[1].offset == 80


def test_failed_edit_is_reported_and_dropped(qtbot):
    track = _track()
    stack = QUndoStack()
    errors = []
    before = track.waves
    command = EditCommand(track, MoveBoundary(track[1], "offset", 500), on_error=errors.append)
    stack.push(command)  # crosses the T wave: refused
    assert track.waves == before
    assert stack.count() == 0 and len(errors) == 1 and "overlaps" in errors[0]


@dataclass
class _Doc:
    review: ReviewSpans


def test_review_command_swaps_spans(qtbot):
    doc = _Doc(ReviewSpans([(0, 10)]))
    shown = []
    stack = QUndoStack()
    stack.push(ReviewCommand(doc, doc.review.add(20, 30), shown.append))
    assert doc.review.spans == ((0, 10), (20, 30)) and shown[-1] is doc.review
    stack.undo()
    assert doc.review.spans == ((0, 10),) and shown[-1] is doc.review
