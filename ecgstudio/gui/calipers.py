"""Calipers: measure an interval on the plot (``C`` toggles; drag from one point to another).

While caliper mode is on, a left drag on a lead row (instead of panning)
spans the calipers: two vertical lines across every row, and on the row
dragged on a readout of the interval in milliseconds and as a rate in beats
per minute (an RR interval of 800 ms reads "800 ms · 75 bpm"). The calipers
stay until the next drag, Escape or leaving caliper mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PyQt5 import QtCore, QtGui
from PyQt5.QtCore import QObject, pyqtSignal

if TYPE_CHECKING:
    from ecgstudio.gui.lead_row import LeadRow

CALIPER_COLOR = (20, 90, 200)


@dataclass(frozen=True)
class CaliperReading:
    """An interval measured with the calipers.

    Attributes
    ----------
    start, stop : float
        Ends in samples (``start <= stop``).
    fs : float
        Sampling frequency in Hz.
    lead : int
        Row the calipers were spanned on.
    """

    start: float
    stop: float
    fs: float
    lead: int

    @property
    def interval_ms(self) -> float:
        """Length of the interval in milliseconds."""
        return 1000.0 * (self.stop - self.start) / self.fs

    @property
    def rate_bpm(self) -> float | None:
        """The interval as a heart rate (60 000 / ms), ``None`` for an empty interval."""
        ms = self.interval_ms
        return 60_000.0 / ms if ms > 0 else None

    def text(self) -> str:
        """``"812 ms · 74 bpm"``."""
        rate = self.rate_bpm
        return f"{self.interval_ms:.0f} ms" + (f" · {rate:.0f} bpm" if rate is not None else "")


class CaliperItem(pg.GraphicsObject):
    """Two vertical lines over the row's full height, with the readout on the measured row."""

    def __init__(self) -> None:
        super().__init__()
        self._span: tuple[float, float] | None = None
        self._text = ""
        self._pen = QtGui.QPen(QtGui.QColor(*CALIPER_COLOR), 1.5)
        self._bounds = QtCore.QRectF()
        self.setZValue(30)
        self.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)

    def set_span(self, span: tuple[float, float] | None, text: str = "") -> None:
        """Lines at samples ``span`` (``None`` hides them); ``text`` is drawn between them."""
        self.prepareGeometryChange()
        self._span, self._text = span, text
        self._bounds = QtCore.QRectF()
        self.setVisible(span is not None)
        self.update()

    def text(self) -> str:
        """The readout drawn on this row (``""`` on the other rows)."""
        return self._text

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph hook)
        self.prepareGeometryChange()
        self._bounds = QtCore.QRectF()
        super().viewTransformChanged()

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt name)
        if self._span is None:
            return QtCore.QRectF()
        if self._bounds.isNull():
            view = self.viewRect()
            if view is not None:
                a, b = self._span
                # wide enough for the readout on either side of the lines
                pad = 200 * (self.pixelWidth() or 0.0)
                self._bounds = QtCore.QRectF(a - pad, view.top(), b - a + 2 * pad, view.height())
        return self._bounds

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        view = self.viewRect()
        if self._span is None or view is None:
            return
        transform = painter.transform()
        a, b = self._span
        top = transform.map(QtCore.QPointF(a, view.bottom()))
        bottom = transform.map(QtCore.QPointF(a, view.top()))
        xb = transform.map(QtCore.QPointF(b, view.top())).x()
        y0, y1 = sorted((top.y(), bottom.y()))
        painter.save()
        painter.resetTransform()
        painter.setPen(self._pen)
        painter.drawLine(QtCore.QLineF(top.x(), y0, top.x(), y1))
        painter.drawLine(QtCore.QLineF(xb, y0, xb, y1))
        if self._text:
            metrics = painter.fontMetrics()
            width, height = metrics.horizontalAdvance(self._text) + 8, metrics.height() + 2
            x = (top.x() + xb) / 2 - width / 2
            box = QtCore.QRectF(x, y0 + 2, width, height)
            painter.drawLine(QtCore.QLineF(top.x(), y0 + 2 + height / 2, xb, y0 + 2 + height / 2))
            painter.fillRect(box, QtGui.QColor(255, 255, 255, 225))
            painter.drawText(box, QtCore.Qt.AlignmentFlag.AlignCenter, self._text)
        painter.restore()


class Calipers(QObject):
    """Caliper mode of a lead view: state, items on every row, readout.

    Signals
    -------
    sigChanged(object)
        The current :class:`CaliperReading`, or ``None`` when cleared.
    sigModeChanged(bool)
        Caliper mode switched on or off.
    """

    sigChanged = pyqtSignal(object)
    sigModeChanged = pyqtSignal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._enabled = False
        self._items: dict[int, CaliperItem] = {}
        self._reading: CaliperReading | None = None
        self.fs = 1.0

    def is_enabled(self) -> bool:
        """Whether a drag on a row spans the calipers (instead of panning)."""
        return self._enabled

    def set_enabled(self, enabled: bool) -> None:
        """Switch caliper mode; leaving it removes the calipers."""
        enabled = bool(enabled)
        if enabled == self._enabled:
            return
        self._enabled = enabled
        if not enabled:
            self.clear()
        self.sigModeChanged.emit(enabled)

    def attach(self, row: LeadRow, fs: float) -> None:
        """Give a new row its caliper item."""
        self.fs = float(fs)
        item = CaliperItem()
        item.setVisible(False)
        row.plot.addItem(item, ignoreBounds=True)
        self._items[row.lead] = item

    def forget_rows(self) -> None:
        """The rows are gone (a new record): no calipers."""
        self._items.clear()
        if self._reading is not None:
            self._reading = None
            self.sigChanged.emit(None)

    def drag(self, lead: int, start: float, sample: float, finished: bool = False) -> None:
        """The user drags from ``start`` to ``sample`` (samples) on ``lead``'s row."""
        a, b = sorted((float(start), float(sample)))
        self._reading = CaliperReading(a, b, self.fs, lead)
        for row_lead, item in self._items.items():
            item.set_span((a, b), self._reading.text() if row_lead == lead else "")
        self.sigChanged.emit(self._reading)

    def clear(self) -> bool:
        """Remove the calipers; ``False`` if there were none."""
        if self._reading is None:
            return False
        self._reading = None
        for item in self._items.values():
            item.set_span(None)
        self.sigChanged.emit(None)
        return True

    def reading(self) -> CaliperReading | None:
        """The interval measured, or ``None``."""
        return self._reading

    def row_text(self, lead: int) -> str:
        """Readout drawn on ``lead``'s row (tests)."""
        item = self._items.get(lead)
        return "" if item is None else item.text()
