"""Clinical layout of the lead rows: one calibrated amplitude scale, rows sized to the window, paper speed.

:class:`PaperLayout` belongs to a :class:`~ecgstudio.gui.leads_view.LeadsView`
and decides, from its :class:`~ecgstudio.gui.paper.PaperScale`:

* **row heights**: every shown row gets the same height, enough for the
  tallest lead's usual amplitude (0.5–99.5 % of its samples) at the gain plus
  the annotation bands, and at least its share of the window; rows that do not
  fit scroll;
* **amplitude**: every row shows the same millivolts per pixel (10 mm/mV x
  gain, in physical millimetres), centred on its own lead; the annotation
  bands are a fixed number of pixels high, so their names stay readable, and
  hug the lead's usual amplitude (a taller row adds empty paper beyond them);
* **time**: at a paper speed (25 or 50 mm/s) the visible width follows the
  window's width; a zoom by the user switches to free zoom;
* **grid**: 1-mm squares (5-mm major) at the paper speed and gain;
* **clipping**: a red mark at the row's edge where the signal is cut off.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from PyQt5.QtCore import QObject, pyqtSignal

from ecgstudio.gui.clip_marks import MIN_MARK_GAP_PX, ClipMarksItem, clipped_positions
from ecgstudio.gui.lead_row import MIN_ROW_HEIGHT_PX
from ecgstudio.gui.paper import MAJOR_MM, MM_PER_MV, PaperScale, screen_px_per_mm
from ecgstudio.gui.track_items import RowGeometry

if TYPE_CHECKING:
    from ecgstudio.gui.lead_row import LeadRow
    from ecgstudio.gui.leads_view import LeadsView

#: Height of one annotation band (pixels): its name stays readable.
BAND_PX = 16
#: Free-zoom grid: a vertical line every 0.04 s (heavier every 0.2 s), as at 25 mm/s.
FREE_MINOR_S = 0.04
#: Pixels of a row outside its plotting area (margins).
ROW_CHROME_PX = 4


def band_extent(n_reference: int) -> tuple[float, float]:
    """Band units below and above the signal range of a row with ``n_reference`` reference bands."""
    y0, y1 = RowGeometry(0.0, 0.0, 1.0, n_reference).y_range
    return -y0, y1


class PaperLayout(QObject):
    """Row heights, amplitude ranges, paper speed and grid of a :class:`LeadsView`.

    Signals
    -------
    sigChanged(object)
        The :class:`PaperScale` changed (paper speed, gain or free zoom).
    """

    sigChanged = pyqtSignal(object)

    def __init__(self, view: LeadsView) -> None:
        super().__init__(view)
        self._view = view
        self.scale = PaperScale(px_per_mm=screen_px_per_mm(view))
        self._clips: dict[int, ClipMarksItem] = {}

    # ------------------------------------------------------------------ rows
    def attach(self, row: LeadRow) -> None:
        """Set up a new row: no axis of its own (the view's ruler shows time), clip marks, grid steps."""
        row.show_time_axis(False)
        item = ClipMarksItem()
        row.plot.addItem(item, ignoreBounds=True)
        self._clips[row.lead] = item
        self._apply_grid(row)

    def forget_rows(self) -> None:
        """The view dropped its rows."""
        self._clips.clear()

    def _shown(self) -> list[LeadRow]:
        view = self._view
        return [row for row in view.rows if view.lead_visible(row.lead)]

    def needed_height(self, row: LeadRow) -> float:
        """Pixels ``row`` needs for its lead's usual amplitude and its bands at the current gain."""
        lo, hi = row.default_signal_range
        below, above = band_extent(row.reference_count())
        return (hi - lo) * self.scale.px_per_mv + (below + above) * BAND_PX + ROW_CHROME_PX

    def row_height(self, available_px: int) -> int:
        """The height every shown row gets in a viewport ``available_px`` high."""
        rows = self._shown()
        if not rows:
            return MIN_ROW_HEIGHT_PX
        needed = max(self.needed_height(row) for row in rows)
        height = max(MIN_ROW_HEIGHT_PX, available_px // len(rows), int(math.ceil(needed)))
        return int(min(height, max(available_px, MIN_ROW_HEIGHT_PX)))

    def size_rows(self) -> None:
        """Give every row the shared height (after a resize, a gain change, leads shown or hidden)."""
        height = self.row_height(self._view.rows_viewport_height())
        for row in self._view.rows:
            if row.widget.minimumHeight() != height or row.widget.maximumHeight() != height:
                row.widget.setFixedHeight(height)

    def fit_rows(self) -> None:
        """Give each shown row the amplitude range its height holds at the shared scale."""
        px_per_mv = self.scale.px_per_mv
        unit = BAND_PX / px_per_mv
        for row in self._shown():
            height_px = row.vb.height()
            if height_px <= 1:
                height_px = row.widget.height() - ROW_CHROME_PX
            below, above = band_extent(row.reference_count())
            room = max(height_px / px_per_mv - (below + above) * unit, 0.05)  # mV between the bands
            lo, hi = row.default_signal_range
            span = min(hi - lo, room)  # the bands hug the lead's usual amplitude ...
            centre = (lo + hi) / 2
            # ... and a taller row shows empty paper beyond them
            row.set_signal_range(centre - span / 2, centre + span / 2, band_unit=unit, pad_mv=(room - span) / 2)

    def after_update(self, row: LeadRow, first: float, last: float) -> None:
        """Mark where the signal just drawn on ``row`` leaves the row."""
        item = self._clips.get(row.lead)
        if item is None:
            return
        x, y = row.curve.getData()
        _, (y0, y1) = row.vb.viewRange()
        if x is None or y is None or not len(x):
            item.set_marks(np.zeros(0), np.zeros(0), y0, y1)
            return
        gap = MIN_MARK_GAP_PX * (last - first) / max(row.n_columns(), 1)
        above, below = clipped_positions(x, y, y0, y1, gap)
        item.set_marks(above, below, y0, y1)

    def clip_marks(self, lead: int) -> tuple[int, int]:
        """Number of clip marks at the top and bottom of ``lead``'s row (tests)."""
        item = self._clips.get(lead)
        return (0, 0) if item is None else item.count()

    # ------------------------------------------------------------------ scale
    def set_scale(self, scale: PaperScale) -> None:
        """Use ``scale`` (paper speed, gain, screen millimetres) from now on."""
        old, self.scale = self.scale, scale
        for row in self._view.rows:
            self._apply_grid(row)
        if scale.gain != old.gain or scale.px_per_mm != old.px_per_mm:
            self.size_rows()
        if scale.speed_mm_s is not None:
            self.sync_speed(force=True)
        self._view.refresh_tracks()
        if scale != old:
            self.sigChanged.emit(scale)

    def set_speed(self, speed_mm_s: float | None) -> None:
        """Paper speed in mm/s (``None``: free zoom); the window keeps the selected beat in its centre."""
        self.set_scale(replace(self.scale, speed_mm_s=None if speed_mm_s is None else float(speed_mm_s)))

    def set_gain(self, gain: float) -> None:
        """Amplitude gain: a multiple of 10 mm/mV, shared by all leads."""
        self.set_scale(self.scale.with_gain(gain))

    def fit_gain(self) -> None:
        """The gain at which every shown lead's usual amplitude fits the window without scrolling."""
        rows = self._shown()
        if not rows:
            return
        share = self._view.rows_viewport_height() / len(rows) - ROW_CHROME_PX
        px_per_mv = min((share - sum(band_extent(r.reference_count())) * BAND_PX)
                        / max(r.default_signal_range[1] - r.default_signal_range[0], 1e-3) for r in rows)
        self.set_gain(max(px_per_mv, 1.0) / (self.scale.px_per_mm * MM_PER_MV))

    def calibrated_span(self) -> float | None:
        """Samples the plot's width holds at the paper speed (``None`` in free zoom or without a record)."""
        record = self._view.record
        if record is None:
            return None
        return self.scale.span_samples(self._view.plot_width_px(), record.fs)

    def check_range(self, first: float, last: float) -> float | None:
        """Called for every new view range: the span the paper speed needs, or ``None``.

        A width other than the paper speed's (the user zoomed) switches to free zoom.
        """
        span = self.calibrated_span()
        if span is None:
            return None
        if abs((last - first) - span) > max(1.0, 1e-3 * span):
            self.scale = replace(self.scale, speed_mm_s=None)
            for row in self._view.rows:
                self._apply_grid(row)
            self.sigChanged.emit(self.scale)
            return None
        return span

    def sync_speed(self, force: bool = False) -> None:
        """At a paper speed, make the visible width match the plot's width (after a resize).

        The selected wave stays in the centre when it is on screen; otherwise the
        left edge stays where it is (a record opens at its start).
        """
        span = self.calibrated_span()
        if span is None:
            return
        view = self._view
        first, last = view.window()
        if force or abs((last - first) - span) > 0.5:
            wave = view.selected_wave()
            if wave is not None and wave.offset >= first and wave.start <= last:
                view.zoom_to_span(span)
            else:
                view.set_view_range(first, first + span)

    def _apply_grid(self, row: LeadRow) -> None:
        seconds, mv = self.scale.grid_steps()
        row.grid.set_steps(FREE_MINOR_S if seconds is None else seconds, mv, MAJOR_MM)
