"""Overview strip: the whole record with the visible window as a draggable region."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5 import QtCore

from ecgstudio.gui.envelope import MinMaxPyramid


class _OverviewViewBox(pg.ViewBox):
    def __init__(self, owner: Overview) -> None:
        super().__init__(enableMenu=False)
        self._owner = owner
        self.setMouseEnabled(False, False)

    def mouseClickEvent(self, ev: object) -> None:  # noqa: N802 (pyqtgraph name)
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            ev.accept()
            self._owner.centre_on(self.mapToView(ev.pos()).x())

    def mouseDragEvent(self, ev: object, axis: object = None) -> None:  # noqa: N802
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            ev.accept()
            self._owner.centre_on(self.mapToView(ev.pos()).x())

    def wheelEvent(self, ev: object, axis: object = None) -> None:  # noqa: N802
        ev.ignore()


class Overview(pg.PlotWidget):
    """Min/max envelope of one lead over the whole record and the visible window.

    Dragging the window, or clicking/dragging elsewhere (which centres it), asks for
    a new visible range through :attr:`sigRangeRequested`; code updates to
    the window (:meth:`set_window`) emit nothing.
    """

    #: ``(first_sample, last_sample)`` the user asked to see.
    sigRangeRequested = QtCore.pyqtSignal(float, float)

    def __init__(self, parent: object = None) -> None:
        self._vb = _OverviewViewBox(self)
        super().__init__(parent, background="w", viewBox=self._vb)
        plot = self.getPlotItem()
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        plot.setContentsMargins(0, 0, 0, 0)
        self.setFixedHeight(48)
        self._curve = pg.PlotCurveItem(pen=pg.mkPen((90, 90, 90), width=1), connect="finite")
        plot.addItem(self._curve)
        self.region = pg.LinearRegionItem(brush=(30, 110, 230, 70), pen=pg.mkPen((30, 110, 230), width=2),
                                          hoverBrush=(30, 110, 230, 110))
        self.region.setZValue(10)
        for line in self.region.lines:  # on a 24-h strip the window is ~1 px: resizing it by
            line.setMovable(False)      # accident would zoom out to hours; wheel/keys zoom instead
        plot.addItem(self.region, ignoreBounds=True)
        self.region.sigRegionChanged.connect(self._on_region_changed)
        self._n_samples = 1

    def set_signal(self, pyramid: MinMaxPyramid | None, n_columns: int = 1500) -> None:
        """Show the envelope of ``pyramid``'s lead (``None`` clears)."""
        if pyramid is None or pyramid.n_samples == 0:
            self._curve.setData([], [])
            self._n_samples = 1
            return
        self._n_samples = pyramid.n_samples
        x, y = pyramid.window(0, pyramid.n_samples - 1, n_columns, 1.0)
        self._curve.setData(x, y)
        lo, hi = np.nanmin(y) if np.isfinite(y).any() else 0.0, np.nanmax(y) if np.isfinite(y).any() else 1.0
        self._vb.setRange(xRange=(0, pyramid.n_samples - 1), yRange=(float(lo), float(hi) + 1e-6),
                          padding=0.02)
        blocker = QtCore.QSignalBlocker(self.region)
        self.region.setBounds((0, pyramid.n_samples - 1))
        del blocker

    def set_window(self, first: float, last: float) -> None:
        """Show ``first..last`` (samples) as the visible window (emits nothing)."""
        blocker = QtCore.QSignalBlocker(self.region)
        self.region.setRegion((first, last))
        del blocker

    def window(self) -> tuple[float, float]:
        """The window shown, in samples."""
        lo, hi = self.region.getRegion()
        return float(lo), float(hi)

    def centre_on(self, sample: float) -> None:
        """Ask to centre the visible window on ``sample``."""
        lo, hi = self.window()
        half = (hi - lo) / 2
        self.sigRangeRequested.emit(sample - half, sample + half)

    def _on_region_changed(self) -> None:
        lo, hi = self.window()
        self.sigRangeRequested.emit(lo, hi)
