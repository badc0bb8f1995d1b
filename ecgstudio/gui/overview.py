"""Overview strip: the whole record with the visible window as a draggable region."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5 import QtCore

from ecgstudio.core.beats import QRS_CODE, wave_arrays
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.rate_trend import heart_rate_trend
from ecgstudio.core.record import Record
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

    On long records with beats (:meth:`set_rate_trend`) the strip shows the
    heart-rate trend instead (the envelope of hours of ECG is a solid band),
    labelled with its range in bpm.

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
        self._trend = pg.PlotCurveItem(pen=pg.mkPen((200, 40, 40), width=1.5), connect="finite")
        self._trend.setVisible(False)
        plot.addItem(self._trend)
        self._trend_label = pg.TextItem("", color=(150, 20, 20), anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 210))
        self._trend_label.setVisible(False)
        plot.addItem(self._trend_label, ignoreBounds=True)
        self._envelope_range = (0.0, 1.0)
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
        self._envelope_range = (float(lo), float(hi) + 1e-6)
        if not self._trend.isVisible():
            self._vb.setRange(xRange=(0, pyramid.n_samples - 1), yRange=self._envelope_range, padding=0.02)
        blocker = QtCore.QSignalBlocker(self.region)
        self.region.setBounds((0, pyramid.n_samples - 1))
        del blocker

    def set_rate_trend(self, centres: np.ndarray | None, bpm: np.ndarray | None) -> None:
        """Show a heart-rate trend (bpm per bin centred at ``centres`` samples); ``None`` shows the envelope."""
        finite = None if bpm is None else np.isfinite(bpm)
        if centres is None or bpm is None or finite is None or np.count_nonzero(finite) < 2:
            self._trend.setVisible(False)
            self._trend_label.setVisible(False)
            self._curve.setVisible(True)
            self._vb.setRange(xRange=(0, self._n_samples - 1), yRange=self._envelope_range, padding=0.02)
            return
        lo, hi = float(np.nanmin(bpm)), float(np.nanmax(bpm))
        self._trend.setData(np.asarray(centres, dtype=float), np.asarray(bpm, dtype=float))
        self._curve.setVisible(False)
        self._trend.setVisible(True)
        self._vb.setRange(xRange=(0, self._n_samples - 1), yRange=(lo - 5.0, hi + 5.0), padding=0.02)
        self._trend_label.setText(f"HR {lo:.0f}–{hi:.0f} bpm")
        self._trend_label.setPos(0, hi + 5.0)
        self._trend_label.setVisible(True)

    def showing_rate_trend(self) -> bool:
        """Whether the strip shows the heart-rate trend (not the envelope)."""
        return self._trend.isVisible()

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


#: Records at least this long (s) show the heart-rate trend in the overview once they have beats.
TREND_MIN_S = 600.0


def show_rate_trend(overview: Overview, record: Record | None, source: list[Delineation]) -> None:
    """The heart-rate trend of ``source[0]``'s beats on records of :data:`TREND_MIN_S` or more, else the envelope."""
    if record is None or not source or record.n_samples / record.fs < TREND_MIN_S:
        overview.set_rate_trend(None, None)
        return
    arrays = wave_arrays(source[0])
    qrs = arrays.kind == QRS_CODE
    peaks = np.where(arrays.bounds[qrs, 1] >= 0, arrays.bounds[qrs, 1], arrays.start[qrs])
    overview.set_rate_trend(*heart_rate_trend(np.sort(peaks), record.fs, record.n_samples, 1500))
