"""Draggable boundary lines of the editable track.

A :class:`BoundaryHandle` only reports what the user does: while dragging it
asks its owner where it may be (the owner asks the track's
``clamp_boundary``), and on release it tells the owner the final sample. It
never changes a track.

It is a plain ``QGraphicsItem`` (not pyqtgraph's ``InfiniteLine``): a row
shows up to a few hundred of them and ``InfiniteLine`` recomputes its bounds
from the view on every pan, which dominated the frame time.
"""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PyQt5 import QtCore, QtGui, QtWidgets

from ecgstudio.core.waves import Wave

#: ``clamp(handle, proposed_sample) -> allowed_sample`` while dragging.
ClampFn = Callable[["BoundaryHandle", float], int]
#: ``finished(handle, sample)`` once on release; ``sample`` is ``None`` when the drag was cancelled.
FinishFn = Callable[["BoundaryHandle", int | None], None]


class BoundaryHandle(QtWidgets.QGraphicsItem):
    """A thin vertical line at one boundary (``onset``/``peak``/``offset``) of a wave.

    The item sits at ``x = sample`` (its position); it spans ``y0..y1`` (mV)
    and can be grabbed within :attr:`grab_half_width` samples of the line.

    Parameters
    ----------
    clamp : ClampFn
        Called during a drag with the proposed (fractional) sample; returns the
        sample the line may show.
    finished : FinishFn
        Called once when the drag ends, with the last allowed sample, or with
        ``None`` when it was cancelled (right click or :meth:`cancel_drag`).
    pressed : Callable[[BoundaryHandle], None]
        Called on a click (selects the boundary).
    """

    def __init__(self, clamp: ClampFn, finished: FinishFn,
                 pressed: Callable[[BoundaryHandle], None]) -> None:
        super().__init__()
        self._clamp = clamp
        self._finished = finished
        self._pressed = pressed
        self.wave: Wave | None = None
        self.field = "onset"
        self.dragging = False
        self._forwarding = False
        self._start_x = 0.0
        self._grab_offset = 0.0
        self._y0, self._y1 = -1.0, 1.0
        self.grab_half_width = 1.0
        self.fs = 1.0
        self._pen = QtGui.QPen()
        self._hover_pen = QtGui.QPen()
        self._hover = False
        self._rect = QtCore.QRectF()
        self.setCursor(QtCore.Qt.CursorShape.SizeHorCursor)
        self.setAcceptHoverEvents(True)  # Qt only looks up item cursors when some item takes hovers
        self.setZValue(20)

    def assign(self, wave: Wave, field: str, sample: int, pen: QtGui.QPen, hover_pen: QtGui.QPen,
               fs: float = 1.0) -> None:
        """Point the handle at ``field`` of ``wave`` (a code move: reports nothing); ``fs`` in Hz."""
        self.wave, self.field, self.fs = wave, field, fs
        if pen is not self._pen or hover_pen is not self._hover_pen:
            self._pen, self._hover_pen = pen, hover_pen
            self.update()
        self.setPos(float(sample), 0.0)

    def set_extent(self, y0: float, y1: float, grab_half_width: float) -> None:
        """Span ``y0..y1`` (mV); grabbable within ``grab_half_width`` samples of the line."""
        if (y0, y1, grab_half_width) != (self._y0, self._y1, self.grab_half_width):
            self.prepareGeometryChange()
            self._y0, self._y1, self.grab_half_width = y0, y1, grab_half_width
            self._rect = QtCore.QRectF(-grab_half_width, y0, 2 * grab_half_width, y1 - y0)

    def value(self) -> float:
        """Sample the line is drawn at."""
        return self.pos().x()

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt name)
        return self._rect

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        painter.setPen(self._hover_pen if self._hover or self.dragging else self._pen)
        painter.drawLine(QtCore.QLineF(0.0, self._y0, 0.0, self._y1))

    # ------------------------------------------------------------------ pyqtgraph scene events
    def hoverEvent(self, ev: object) -> None:  # noqa: N802 (pyqtgraph name)
        hover = self.wave is not None and not ev.isExit() and ev.acceptDrags(QtCore.Qt.MouseButton.LeftButton)
        if hover:
            ev.acceptClicks(QtCore.Qt.MouseButton.LeftButton)
        if hover != self._hover:
            self._hover = hover
            if hover:
                self.setToolTip(self.describe())
            self.update()

    def describe(self) -> str:
        """One line for the tooltip: which boundary, where (seconds and sample), confidence."""
        if self.wave is None:
            return ""
        sample = int(round(self.value()))
        text = f"{self.wave.kind.value} {self.field}: {sample / self.fs:.3f} s (sample {sample})"
        if self.wave.confidence is not None:
            text += f", confidence {self.wave.confidence:.2f}"
        return text

    def mouseDragEvent(self, ev: object) -> None:  # noqa: N802 (pyqtgraph name)
        if ev.button() != QtCore.Qt.MouseButton.LeftButton or self.wave is None:
            return
        if ev.isStart():
            self._forwarding = bool(ev.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier)
        if self._forwarding:  # Shift+drag chooses a range, even when it starts on a boundary
            self._forward_drag(ev)
            return
        ev.accept()
        x = self.mapToParent(ev.pos()).x()
        if ev.isStart():
            self.dragging = True
            self._start_x = self.value()
            self._grab_offset = self.value() - self.mapToParent(ev.buttonDownPos()).x()
        if not self.dragging:
            return
        self.setPos(float(self._clamp(self, x + self._grab_offset)), 0.0)
        if ev.isFinish():
            self.dragging = False
            self.update()
            self._finished(self, int(round(self.value())))

    def _forward_drag(self, ev: object) -> None:
        item = self.parentItem()
        while item is not None and not isinstance(item, pg.ViewBox):
            item = item.parentItem()
        if item is None:
            ev.ignore()
            return
        ev.currentItem = item  # positions of the event are mapped through currentItem
        item.mouseDragEvent(ev)
        if ev.isFinish():
            self._forwarding = False

    def cancel_drag(self) -> bool:
        """Abandon a drag in progress: back to where it started, nothing reported but ``finished(None)``."""
        if not self.dragging:
            return False
        self.dragging = False
        self.setPos(self._start_x, 0.0)
        self.update()
        self._finished(self, None)
        return True

    def mouseClickEvent(self, ev: object) -> None:  # noqa: N802 (pyqtgraph name)
        if ev.button() == QtCore.Qt.MouseButton.RightButton and self.dragging:
            ev.accept()  # pyqtgraph sends clicks made during a drag to the dragged item
            self.cancel_drag()
            return
        if ev.button() == QtCore.Qt.MouseButton.LeftButton and self.wave is not None:
            ev.accept()
            self._pressed(self)
