"""The plot's time axis, pinned under the lead rows so it stays visible however far they scroll."""

from __future__ import annotations

import pyqtgraph as pg
from PyQt5 import QtCore, QtWidgets

from ecgstudio.gui.time_axis import TimeAxisItem

#: Height of the ruler in pixels (tick labels included).
RULER_HEIGHT_PX = 30


class TimeRuler(pg.PlotWidget):
    """A seconds axis for x in samples, aligned with the plotting area of the lead rows."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        vb = pg.ViewBox(enableMenu=False)
        vb.setMouseEnabled(False, False)
        self.axis = TimeAxisItem(1.0)
        super().__init__(parent, background="w", viewBox=vb, axisItems={"bottom": self.axis})
        plot = self.getPlotItem()
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.hideAxis("left")
        self.axis.setPen(pg.mkPen((90, 90, 90)))
        self.axis.setTextPen(pg.mkPen((40, 40, 40)))
        self.setFixedHeight(RULER_HEIGHT_PX)
        self.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._margins = (-1, -1)
        self.vb = vb

    def set_fs(self, fs: float, duration_s: float = 0.0) -> None:
        """Sampling frequency (Hz) and duration (s) of the record shown (hours in the labels from 1 h)."""
        self.axis.set_fs(fs, duration_s)

    def show_range(self, first: float, last: float, left_px: int, right_px: int) -> None:
        """Label samples ``first..last`` over the ruler minus ``left_px``/``right_px`` margins."""
        margins = (max(0, int(left_px)), max(0, int(right_px)))
        if margins != self._margins:
            self._margins = margins
            self.getPlotItem().setContentsMargins(margins[0], 0, margins[1], 0)
        self.vb.setXRange(first, last, padding=0)

    def follow(self, row: object | None, container: QtWidgets.QWidget, first: float, last: float) -> None:
        """Label samples ``first..last`` exactly under the plotting area of ``row`` (a lead row).

        ``container`` holds both the ruler and the row; without a row the whole ruler is used.
        """
        left = right = 0
        if row is not None:
            rect = row.vb.sceneBoundingRect()
            x0 = row.widget.mapTo(container, QtCore.QPoint(int(round(rect.left())), 0)).x()
            x1 = row.widget.mapTo(container, QtCore.QPoint(int(round(rect.right())), 0)).x()
            origin = self.mapTo(container, QtCore.QPoint(0, 0)).x()
            left, right = x0 - origin, origin + self.width() - x1
        self.show_range(first, last, left, right)

    def shown_range(self) -> tuple[float, float]:
        """The x range labelled (samples)."""
        (a, b), _ = self.vb.viewRange()
        return float(a), float(b)
