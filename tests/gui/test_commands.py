"""SessionCommand on a real QUndoStack: the session's steps, undone and redone through Qt's stack."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PyQt5.QtWidgets import QUndoStack

from ecgstudio.app.document import Document
from ecgstudio.app.editing import EditingSession
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.edits import DeleteWaves, MoveBoundary
from ecgstudio.core.record import Record
from ecgstudio.core.review import ReviewSpans
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.gui.commands import SessionCommand


def _session() -> tuple[EditingSession, Delineation]:
    waves = [Wave(WaveKind.P, 10, 20, 30), Wave(WaveKind.QRS, 50, 60, 70), Wave(WaveKind.T, None, 100, 130)]
    track = Delineation(waves, n_samples=1000, fs=250.0, name="ecgs")
    record = Record("synthetic", np.zeros((1000, 1), dtype=np.float32), 250.0, ("II",))
    return EditingSession(Document(record, [track], (0,), ReviewSpans(), Path("synthetic"))), track


def test_session_steps_undo_and_redo_through_the_stack(qtbot):
    session, track = _session()
    stack = QUndoStack()
    qrs = track[1]
    stack.push(SessionCommand(session, lambda: session.apply(MoveBoundary(qrs, "offset", 80)), "Move QRS offset"))
    assert track[1].offset == 80 and stack.undoText() == "Move QRS offset"
    stack.push(SessionCommand(session, lambda: session.apply(DeleteWaves((track[0],))), "Delete P"))
    assert len(track) == 2 and session.revision == 2
    stack.undo()
    stack.undo()
    assert track[1] == qrs and len(track) == 3 and not session.dirty
    stack.redo()
    assert track[1].offset == 80 and session.dirty


def test_a_refused_step_is_reported_and_dropped(qtbot):
    session, track = _session()
    stack = QUndoStack()
    errors = []
    before = track.waves
    command = SessionCommand(session, lambda: session.apply(MoveBoundary(track[1], "offset", 500)), "Move",
                             on_error=errors.append)
    stack.push(command)  # crosses the T wave: refused
    assert track.waves == before and session.revision == 0
    assert stack.count() == 0 and len(errors) == 1 and "overlaps" in errors[0]
