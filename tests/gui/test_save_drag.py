"""End to end with the plot: drag a boundary with real mouse events, undo, save, read the file back."""

from __future__ import annotations

from pathlib import Path

import wfdb
from PyQt5.QtCore import QEvent, QPoint, QPointF, Qt
from PyQt5.QtGui import QMouseEvent
from PyQt5.QtWidgets import QApplication

from ecgstudio.core.edits import AddWave
from ecgstudio.core.waves import Wave, WaveKind


def _viewport_point(view, lead: int, sample: float) -> QPoint:
    """Pixel of ``sample`` (at mid height) in the viewport of ``lead``'s plot."""
    row = view.rows[lead]
    (_, _), (y_lo, y_hi) = row.vb.viewRange()
    scene = row.vb.mapViewToScene(QPointF(sample, (y_lo + y_hi) / 2))
    return row.widget.mapFromScene(scene)


def _drag(view, lead: int, start: QPoint, end: QPoint, steps: int = 5) -> None:
    viewport = view.rows[lead].widget.viewport()

    def send(kind: QEvent.Type, pos: QPoint, button, buttons) -> None:
        QApplication.sendEvent(viewport, QMouseEvent(kind, QPointF(pos), button, buttons, Qt.NoModifier))

    send(QEvent.MouseMove, start, Qt.NoButton, Qt.NoButton)
    send(QEvent.MouseButtonPress, start, Qt.LeftButton, Qt.LeftButton)
    for i in range(1, steps + 1):
        send(QEvent.MouseMove, start + (end - start) * (i / steps), Qt.NoButton, Qt.LeftButton)
    send(QEvent.MouseButtonRelease, end, Qt.LeftButton, Qt.NoButton)
    QApplication.processEvents()


def test_dragging_a_boundary_edits_undoes_and_saves(qtbot, make_window, open_and_wait,
                                                    excerpt: Path) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    track = window.document.editable_track
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    window.push_edit(AddWave(Wave(WaveKind.T, 1060, 1090, 1120)))
    window.view.set_view_range(950, 1150)
    qtbot.wait(50)
    steps_before = window.undo_stack.count()

    _drag(window.view, 0, _viewport_point(window.view, 0, 1020), _viewport_point(window.view, 0, 1035))

    assert window.undo_stack.count() == steps_before + 1  # one drag, one undo step
    moved = track[0].offset
    assert abs(moved - 1035) <= 2
    assert window.windowTitle().startswith("sel100x*")
    window.undo_stack.undo()
    assert track[0].offset == 1020
    window.undo_stack.redo()
    assert track[0].offset == moved

    # a drag past the T wave stops at its onset (the track's rule, not the plot's)
    _drag(window.view, 0, _viewport_point(window.view, 0, moved), _viewport_point(window.view, 0, 1100))
    assert track[0].offset <= 1060

    assert window.save()
    ann = wfdb.rdann(str(excerpt), "ecgs")
    offsets = [s for s, sym, num in zip(ann.sample, ann.symbol, ann.num, strict=True)
               if sym == ")" and num == 1]
    assert offsets == [track[0].offset]
