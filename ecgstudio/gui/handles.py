"""Draggable boundary lines of the editable track.

A :class:`BoundaryHandle` only reports what the user does: while dragging it
asks its owner where it may be (the owner asks the track's
``clamp_boundary``), and on release it tells the owner the final sample. It
never changes a track.
"""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PyQt5 import QtCore

from ecgstudio.core.waves import Wave

#: ``clamp(handle, proposed_sample) -> allowed_sample`` while dragging.
ClampFn = Callable[["BoundaryHandle", float], int]
#: ``finished(handle, sample)`` once on release.
FinishFn = Callable[["BoundaryHandle", int], None]


class BoundaryHandle(pg.InfiniteLine):
    """A thin vertical line at one boundary (``onset``/``peak``/``offset``) of a wave.

    Parameters
    ----------
    clamp : ClampFn
        Called during a drag with the proposed (fractional) sample; returns the
        sample the line may show.
    finished : FinishFn
        Called once when the drag ends, with the last allowed sample.
    pressed : Callable[[BoundaryHandle], None]
        Called on a click (selects the boundary).
    """

    def __init__(self, clamp: ClampFn, finished: FinishFn,
                 pressed: Callable[[BoundaryHandle], None]) -> None:
        super().__init__(pos=0, angle=90, movable=True)
        self._clamp = clamp
        self._finished = finished
        self._pressed = pressed
        self.wave: Wave | None = None
        self.field = "onset"
        self.dragging = False
        self._grab_offset = 0.0
        self._start_x = 0.0
        self.setCursor(QtCore.Qt.CursorShape.SizeHorCursor)
        self.setZValue(20)

    def assign(self, wave: Wave, field: str, sample: int, pen: object, hover_pen: object) -> None:
        """Point the handle at ``field`` of ``wave`` (code move: emits nothing)."""
        self.wave, self.field = wave, field
        blocker = QtCore.QSignalBlocker(self)
        self.setPen(pen)
        self.setHoverPen(hover_pen)
        self.setPos(sample)
        del blocker

    def mouseDragEvent(self, ev: object) -> None:  # noqa: N802 (pyqtgraph name)
        if ev.button() != QtCore.Qt.MouseButton.LeftButton or self.wave is None:
            return
        ev.accept()
        x = self.mapToParent(ev.pos()).x()
        if ev.isStart():
            self.dragging = True
            self._start_x = self.value()
            self._grab_offset = self.value() - self.mapToParent(ev.buttonDownPos()).x()
        if not self.dragging:
            return
        allowed = self._clamp(self, x + self._grab_offset)
        blocker = QtCore.QSignalBlocker(self)
        self.setPos(allowed)
        del blocker
        if ev.isFinish():
            self.dragging = False
            self._finished(self, allowed)

    def mouseClickEvent(self, ev: object) -> None:  # noqa: N802 (pyqtgraph name)
        if ev.button() == QtCore.Qt.MouseButton.LeftButton and self.wave is not None:
            ev.accept()
            self._pressed(self)
