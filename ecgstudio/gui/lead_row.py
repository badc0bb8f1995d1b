"""One lead of the plot: a PlotWidget with the signal, ECG paper and annotation items.

The row's ViewBox does not move itself: wheel, drag and click are reported
to the owning :class:`~ecgstudio.gui.leads_view.LeadsView`, which sets the
same x range on every row. x is in samples, y in mV.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pyqtgraph as pg
from PyQt5 import QtCore

from ecgstudio.core.leads import display_name
from ecgstudio.gui.colors import Palette
from ecgstudio.gui.envelope import MinMaxPyramid
from ecgstudio.gui.handles import BoundaryHandle
from ecgstudio.gui.plot_items import PaperGridItem
from ecgstudio.gui.time_axis import TimeAxisItem
from ecgstudio.gui.track_items import RowGeometry, TrackCache, TrackItems

#: Width of the left (mV) axis in pixels, equal on all rows so that x aligns.
AXIS_WIDTH_PX = 62
#: Rows never get shorter than this; more leads than fit scroll.
MIN_ROW_HEIGHT_PX = 80
#: Up to this many samples per pixel the signal is drawn raw, beyond it min/max decimated
#: (1-2 points per pixel).
RAW_POINTS_PER_PX = 4


class RowHost(Protocol):
    """What a row reports to its owner."""

    def row_wheel(self, centre_sample: float, factor: float) -> None: ...
    def row_amplitude(self, lead: int, factor: float, centre_mv: float) -> None: ...
    def row_pan(self, delta_samples: float) -> None: ...
    def row_range_drag(self, start_sample: float, sample: float, finished: bool) -> None: ...
    def caliper_active(self) -> bool: ...
    def row_caliper(self, lead: int, start_sample: float, sample: float, finished: bool) -> None: ...
    def row_click(self, lead: int, sample: float, y_mv: float) -> None: ...
    def handle_clamp(self, handle: BoundaryHandle, sample: float) -> int: ...
    def handle_finished(self, handle: BoundaryHandle, sample: int | None) -> None: ...
    def handle_pressed(self, handle: BoundaryHandle) -> None: ...


class _RowViewBox(pg.ViewBox):
    def __init__(self, host: RowHost, lead: int) -> None:
        super().__init__(enableMenu=False)
        self._host = host
        self._lead = lead
        self._range_start: float | None = None
        self._caliper_start: float | None = None
        self.setMouseEnabled(False, False)

    def wheelEvent(self, ev: object, axis: object = None) -> None:  # noqa: N802 (pyqtgraph name)
        ev.accept()
        factor = 1.02 ** (-ev.delta() / 8.0)
        p = self.mapToView(ev.pos())
        if ev.modifiers() & QtCore.Qt.KeyboardModifier.ControlModifier:
            self._host.row_amplitude(self._lead, factor, p.y())
        else:
            self._host.row_wheel(p.x(), factor)

    def mouseDragEvent(self, ev: object, axis: object = None) -> None:  # noqa: N802
        if ev.button() != QtCore.Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        x = self.mapToView(ev.pos()).x()
        if ev.isStart():
            shift = bool(ev.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier)
            down = self.mapToView(ev.buttonDownPos()).x()
            self._range_start = down if shift else None
            self._caliper_start = down if not shift and self._host.caliper_active() else None
        if self._range_start is not None:
            self._host.row_range_drag(self._range_start, x, ev.isFinish())
        elif self._caliper_start is not None:
            self._host.row_caliper(self._lead, self._caliper_start, x, ev.isFinish())
        else:
            self._host.row_pan(self.mapToView(ev.lastPos()).x() - x)

    def mouseClickEvent(self, ev: object) -> None:  # noqa: N802
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            ev.accept()
            p = self.mapToView(ev.pos())
            self._host.row_click(self._lead, p.x(), p.y())


class LeadRow:
    """Widgets and items of one lead.

    Parameters
    ----------
    host : RowHost
        Receives the user's gestures.
    lead : int
        Lead index in the record.
    name : str
        Lead name shown on the axis.
    fs : float
        Sampling frequency in Hz.
    pyramid : MinMaxPyramid
        Decimation of this lead's signal.
    palette : Palette
        Initial colours.
    """

    def __init__(self, host: RowHost, lead: int, name: str, unit: str, fs: float,
                 pyramid: MinMaxPyramid, palette: Palette) -> None:
        self.lead = lead
        self.pyramid = pyramid
        self.vb = _RowViewBox(host, lead)
        self.axis = TimeAxisItem(fs)
        self.widget = pg.PlotWidget(background="w", viewBox=self.vb, axisItems={"bottom": self.axis})
        self.widget.setMinimumHeight(MIN_ROW_HEIGHT_PX)
        plot = self.plot = self.widget.getPlotItem()
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.setContentsMargins(0, 2, 6, 0)
        left = plot.getAxis("left")
        left.setWidth(AXIS_WIDTH_PX)
        left.setLabel(f"{display_name(name)} ({unit})")
        left.enableAutoSIPrefix(False)
        for ax in (left, self.axis):
            ax.setPen(pg.mkPen((90, 90, 90)))
            ax.setTextPen(pg.mkPen((40, 40, 40)))
        self.grid = PaperGridItem(fs, palette.grid_minor, palette.grid_major)
        plot.addItem(self.grid, ignoreBounds=True)
        self.curve = pg.PlotCurveItem(pen=pg.mkPen(palette.signal, width=1), connect="finite")
        self.curve.setZValue(0)
        plot.addItem(self.curve)
        self.tracks = TrackItems(plot, lead, palette, host.handle_clamp, host.handle_finished, host.handle_pressed)
        lo, hi = pyramid.robust_range()
        if not hi > lo:
            lo, hi = lo - 1.0, hi + 1.0
        pad = 0.08 * (hi - lo)
        self.default_signal_range = (lo - pad, hi + pad)
        self._signal_range = self.default_signal_range
        self._band_unit: float | None = None  # mV per band; None: a share of the signal range
        self._pad_mv = 0.0  # empty paper above and below the bands
        self._n_reference = 0
        self.set_reference_count(0)

    def set_signal_range(self, lo: float, hi: float, band_unit: float | None = None, pad_mv: float = 0.0) -> None:
        """Give the signal ``lo..hi`` mV; the bands are ``band_unit`` mV high (default: a share of the range).

        ``pad_mv`` of empty paper is shown above and below the bands (a row taller than its lead needs).
        """
        if band_unit is not None and band_unit > 0:
            unchanged = ((float(lo), float(hi)) == self._signal_range and float(band_unit) == self._band_unit
                         and float(pad_mv) == self._pad_mv)
            self._band_unit, self._pad_mv = float(band_unit), max(0.0, float(pad_mv))
            if unchanged:
                return
        if hi > lo and np.isfinite(lo) and np.isfinite(hi):
            self._signal_range = (float(lo), float(hi))
            self.set_reference_count(self._n_reference)

    def reference_count(self) -> int:
        """Number of reference bands at the top of the row."""
        return self._n_reference

    def set_reference_count(self, n: int) -> None:
        """Lay the row out for ``n`` reference bands at the top."""
        self._n_reference = n
        lo, hi = self._signal_range
        geometry = RowGeometry(lo, hi, self._band_unit or 0.07 * (hi - lo), n)
        self.tracks.set_geometry(geometry)
        y0, y1 = geometry.y_range
        self.vb.setYRange(y0 - self._pad_mv, y1 + self._pad_mv, padding=0)

    def set_palette(self, palette: Palette) -> None:
        """Recolour signal, grid and annotation items."""
        self.curve.setPen(pg.mkPen(palette.signal, width=1))
        self.grid.set_colors(palette.grid_minor, palette.grid_major)
        self.tracks.set_palette(palette)

    def n_columns(self) -> int:
        """Pixel width of the plotting area (at least 200)."""
        return max(200, int(self.vb.width()))

    def show_time_axis(self, shown: bool) -> None:
        """Show the seconds axis under this row."""
        self.plot.showAxis("bottom", shown)

    def update(self, first: float, last: float, cache: TrackCache) -> None:
        """Show samples ``first..last``: set the x range, decimate the signal, redraw annotations."""
        self.vb.setXRange(first, last, padding=0)
        n = self.n_columns()
        pad = (last - first) / n
        x, y = self.pyramid.window(int(np.floor(first - pad)), int(np.ceil(last + pad)), n, RAW_POINTS_PER_PX)
        self.curve.setData(x, y)
        self.tracks.update(first, last, n, cache)
