"""Annotation graphics of one lead row: bands, shading, handles, markers.

:class:`TrackItems` draws, for the visible window only,

* one colour band per read-only (reference) track at the top of the row;
* the editable track as a band at the bottom, plus light shading over the
  signal, draggable boundary handles (when few enough waves are visible),
  orange marks over the uncertain waves (the worst share by confidence,
  :mod:`ecgstudio.gui.flag_state`) and red ticks where a fiducial differs from
  the chosen reference beyond its CSE tolerance, or has no partner, inside the
  beats the reference annotated (:mod:`ecgstudio.core.disagreement`);
* reviewed spans as a thin bar under the editable band;
* the beat label of each editable QRS complex that is not ``N`` (``V``, ``A``,
  ``/`` ...) as a small letter just above the editable band at its peak, when
  few enough waves are visible to read them (as for the handles);
* the selection (wave, range) as translucent highlights.

Handles and beat-label texts are pooled and recycled; the bands are one image row each, coloured
per pixel column, so panning costs the same with 10 or 100,000 waves.

The row layout, band colouring and label texts live in :mod:`ecgstudio.gui.track_bands`, the
whole-track cache in :mod:`ecgstudio.gui.track_cache`; their names are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PyQt5 import QtCore, QtGui

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.leads import display_name
from ecgstudio.core.waves import SegmentClass, Wave, WaveKind
from ecgstudio.gui.colors import Palette, segment_rgba_table
from ecgstudio.gui.flag_state import FlagState
from ecgstudio.gui.handles import BoundaryHandle
from ecgstudio.gui.plot_items import BandItem, RectsItem, TicksItem
from ecgstudio.gui.segments import WaveArrays, merge_runs
from ecgstudio.gui.track_bands import (
    MIN_LABEL_BAND_PX,
    MIN_SYMBOL_WAVE_PX,
    SUBSAMPLES,
    RowGeometry,
    column_centres,
    column_colors,
    draw_beat_symbols,
    new_track_label,
)
from ecgstudio.gui.track_cache import DIRECT_WAVE_LIMIT, TrackCache, visible_segments

#: Above this many visible waves of the editable track, no handles are shown ...
MAX_HANDLE_WAVES = 200
#: ... nor when the waves get fewer pixels each than this (handles would be a hedge).
MIN_HANDLE_WAVE_PX = 12
#: A handle can be grabbed this many pixels either side of its line.
GRAB_HALF_WIDTH_PX = 4.0
_FIELDS = ("onset", "peak", "offset")

__all__ = [
    "DIRECT_WAVE_LIMIT", "GRAB_HALF_WIDTH_PX", "MAX_HANDLE_WAVES", "MIN_HANDLE_WAVE_PX", "MIN_LABEL_BAND_PX",
    "MIN_SYMBOL_WAVE_PX", "SUBSAMPLES", "RowGeometry", "TrackCache", "TrackItems", "column_centres",
    "column_colors", "visible_segments",
]


class TrackItems:
    """All annotation items of one lead row (see the module docstring).

    Parameters
    ----------
    plot : pg.PlotItem
        The row's plot; items are added to it.
    lead : int
        The row's lead (per-lead waves of other leads are not highlighted here).
    clamp, finished, pressed
        Handle callbacks (see :class:`~ecgstudio.gui.handles.BoundaryHandle`).
    """

    def __init__(self, plot: pg.PlotItem, lead: int, palette: Palette,
                 clamp: Callable[[BoundaryHandle, float], int],
                 finished: Callable[[BoundaryHandle, int | None], None],
                 pressed: Callable[[BoundaryHandle], None]) -> None:
        self._plot = plot
        self.lead = lead
        self._callbacks = (clamp, finished, pressed)
        self.geometry = RowGeometry(-1.0, 1.0, 0.1, 0)
        self.references: list[Delineation] = []
        self.editable: Delineation | None = None
        self.compare_to: Delineation | None = None
        #: Disagreements and uncertain waves (the view shares one among its rows).
        self.flags = FlagState()
        self._ref_bands: list[BandItem] = []
        self._ref_labels: list[pg.TextItem] = []
        self._edit_band = self._add(BandItem(0, 1), z=5)
        self._shading = self._add(BandItem(0, 1), z=-50)
        self._review = self._add(RectsItem(palette.reviewed), z=6)
        self._low_conf = self._add(RectsItem(palette.low_confidence), z=6)
        self._ticks = self._add(TicksItem(palette.disagreement), z=7)
        self._selected = self._add(RectsItem(palette.selection, 45, min_width_px=3), z=-40)
        self._range = self._add(RectsItem(palette.selection, 30), z=-45)
        self._handles: list[BoundaryHandle] = []
        self._symbols: list[pg.TextItem] = []
        self._edit_label = self._new_label()
        self._review_spans = np.zeros((0, 2), dtype=np.int64)
        self._preview: tuple[Wave, Wave, str] | None = None
        self._px = 1.0
        self._selection: tuple[Wave | None, tuple[Wave, str] | None, tuple[int, int] | None] = (
            None, None, None)
        self.set_palette(palette)

    def _new_label(self) -> pg.TextItem:
        return new_track_label(self._plot)

    def _add(self, item: pg.GraphicsObject, z: float) -> pg.GraphicsObject:
        item.setZValue(z)
        self._plot.addItem(item, ignoreBounds=True)
        return item

    # ------------------------------------------------------------------ configuration
    def set_palette(self, palette: Palette) -> None:
        """Use ``palette`` for everything drawn (takes effect at the next :meth:`update`)."""
        self.palette = palette
        self._pens: dict[tuple[object, bool, bool], tuple[QtGui.QPen, QtGui.QPen]] = {}
        self._band_table = segment_rgba_table(palette, 255)
        self._shade_table = segment_rgba_table(palette, 30)
        self._shade_table[int(SegmentClass.TP), 3] = 0  # the baseline stays clean
        self._review.set_color(palette.reviewed)
        self._low_conf.set_color(palette.low_confidence)
        self._ticks.set_color(palette.disagreement)
        self._selected.set_color(palette.selection, 45)
        self._range.set_color(palette.selection, 30)
        for text in self._symbols:
            text.setColor(palette.handles[WaveKind.QRS])

    def set_tracks(self, references: list[Delineation], editable: Delineation | None,
                   compare_to: Delineation | None) -> None:
        """Tracks shown on this row (read-only bands, the editable one, the one compared)."""
        self.references = list(references)
        self.editable = editable
        self.compare_to = compare_to
        while len(self._ref_bands) < len(references):
            self._ref_bands.append(self._add(BandItem(0, 1), z=5))
            self._ref_labels.append(self._new_label())
        self._edit_label.setVisible(editable is not None)
        if editable is not None:
            self._edit_label.setText(display_name(editable.name) + " (editable)")
        for i, (band, label) in enumerate(zip(self._ref_bands, self._ref_labels, strict=True)):
            shown = i < len(references)
            band.setVisible(shown)
            label.setVisible(shown)
            if shown:
                label.setText(display_name(references[i].name) + " (reference)")  # LUDB "avr" -> "aVR"

    def set_geometry(self, geometry: RowGeometry) -> None:
        """Vertical layout of the row (mV)."""
        self.geometry = geometry
        for i, band in enumerate(self._ref_bands):
            band.set_y(*geometry.reference(i))
        self._edit_band.set_y(*geometry.editable)
        self._shading.set_y(geometry.signal_lo, geometry.signal_hi)

    def set_review(self, spans: np.ndarray) -> None:
        """Reviewed spans, int shape ``(k, 2)`` ``[start, stop)`` samples."""
        self._review_spans = np.asarray(spans, dtype=np.int64).reshape(-1, 2)

    def set_selection(self, wave: Wave | None, boundary: tuple[Wave, str] | None,
                      selected_range: tuple[int, int] | None) -> None:
        """What is selected (drawn at the next :meth:`update`)."""
        self._selection = (wave, boundary, selected_range)

    def set_preview(self, preview: tuple[Wave, Wave, str] | None) -> None:
        """Draw ``(old, new, field)``: the editable track as if ``old`` were ``new`` (during a drag)."""
        self._preview = preview

    # ------------------------------------------------------------------ drawing
    def update(self, first: float, last: float, n_columns: int, cache: TrackCache) -> None:
        """Redraw everything for the visible samples ``first..last`` over ``n_columns`` pixels."""
        g = self.geometry
        n_columns = max(16, int(n_columns))
        self._px = (last - first) / n_columns  # samples per pixel
        xs = column_centres(first, last, n_columns * SUBSAMPLES)
        a, b = int(np.floor(first)), int(np.ceil(last))
        y0, y1 = g.y_range
        band_px = self._plot.vb.height() * g.unit / (y1 - y0)
        labelled = band_px >= MIN_LABEL_BAND_PX  # names would cover the signal on short rows
        for i, track in enumerate(self.references):
            codes = visible_segments(track, a, b, cache).classes_at(xs).reshape(n_columns, SUBSAMPLES)
            self._ref_bands[i].set_colors(column_colors(codes, self._band_table), first, last)
            self._ref_labels[i].setPos(first, sum(g.reference(i)) / 2)
            self._ref_labels[i].setVisible(labelled)
        self._edit_label.setVisible(labelled and self.editable is not None)
        self._draw_review(a, b)
        track = self.editable
        if track is None:
            for item in (self._edit_band, self._shading):
                item.set_colors(np.zeros((0, 4), np.uint8), 0, 0)
            self._low_conf.set_rects([], [], 0, 0)
            self._ticks.set_ticks([], 0, 0)
            self._assign_handles([], 1.0)
            self._draw_symbols([])
        else:
            swap = self._preview[:2] if self._preview is not None else None
            codes = visible_segments(track, a, b, cache, swap).classes_at(xs).reshape(n_columns, SUBSAMPLES)
            self._edit_label.setPos(first, sum(g.editable) / 2)
            self._edit_band.set_colors(column_colors(codes, self._band_table), first, last)
            self._shading.set_colors(column_colors(codes, self._shade_table), first, last)
            r = track.index_range(a, b)
            waves = [track[i] for i in r] if len(r) <= DIRECT_WAVE_LIMIT else None
            self._draw_confidence(track, r, waves, cache)
            self._draw_disagreements(a, b)
            limit = min(MAX_HANDLE_WAVES, n_columns // MIN_HANDLE_WAVE_PX)
            shown = waves if waves is not None and len(waves) <= limit else []
            self._assign_handles(shown, (last - first) / n_columns)
            readable = waves is not None and len(waves) <= min(MAX_HANDLE_WAVES, n_columns // MIN_SYMBOL_WAVE_PX)
            self._draw_symbols(waves if readable else [])
        self._draw_selection(a, b)

    def _draw_review(self, a: int, b: int) -> None:
        spans = self._review_spans
        shown = spans[(spans[:, 1] > a) & (spans[:, 0] <= b)] if spans.size else spans
        self._review.set_rects(*merge_runs(shown[:, 0], shown[:, 1], 2 * self._px), *self.geometry.review)

    def _draw_confidence(self, track: Delineation, r: range, waves: list[Wave] | None,
                         cache: TrackCache) -> None:
        if waves is not None:
            arrays = WaveArrays.from_waves(waves)
        else:
            full, _ = cache.get(track)
            arrays = WaveArrays(*(col[r.start:r.stop] for col in (
                full.kind, full.start, full.peak, full.offset, full.confidence)))
        low = self.flags.marked(track, lambda: cache.get(track)[0], arrays.start)
        runs = merge_runs(arrays.start[low], arrays.offset[low], 2 * self._px)
        self._low_conf.set_rects(*runs, *self.geometry.confidence)

    def _draw_disagreements(self, a: int, b: int) -> None:
        ref, track = self.compare_to, self.editable
        g = self.geometry
        if ref is None or track is None:
            self._ticks.set_ticks([], 0, 0)
            return
        xs = self.flags.disagreements(track, ref).between(a, b).astype(np.float64)
        if xs.size > 2 * MAX_HANDLE_WAVES:  # zoomed out: at most one tick per pixel column
            xs = np.unique(np.round(xs / self._px)) * self._px
        self._ticks.set_ticks(xs, g.review[0], g.confidence[1])

    def _draw_selection(self, a: int, b: int) -> None:
        wave, _, chosen = self._selection
        g = self.geometry
        if wave is not None and (wave.lead is None or wave.lead == self.lead):
            self._selected.set_rects([wave.start], [wave.offset], g.signal_lo, g.signal_hi)
        else:
            self._selected.set_rects([], [], 0, 0)
        if chosen is not None:
            self._range.set_rects([chosen[0]], [chosen[1]], g.review[0], g.y_range[1])
        else:
            self._range.set_rects([], [], 0, 0)

    def _handle_pens(self, wave: Wave, field: str, selected: bool) -> tuple[QtGui.QPen, QtGui.QPen]:
        key = (wave.kind, field == "peak", selected)
        pens = self._pens.get(key)
        if pens is None:
            rgb = self.palette.handles[wave.kind]
            if selected:
                pen = pg.mkPen(self.palette.selection, width=3)
            elif field == "peak":
                pen = pg.mkPen((*rgb, 90), width=1, style=QtCore.Qt.PenStyle.DashLine)
            else:
                pen = pg.mkPen((*rgb, 130), width=1)
            pens = self._pens[key] = (pen, pg.mkPen(rgb, width=3))
        return pens

    def _assign_handles(self, waves: list[Wave], px: float) -> None:
        dragged = [h for h in self._handles if h.dragging]  # keep following the mouse, untouched
        busy = {(h.wave, h.field) for h in dragged}
        wanted = [(w, f, getattr(w, f)) for w in waves for f in _FIELDS
                  if getattr(w, f) is not None and (w, f) not in busy]
        free = [h for h in self._handles if not h.dragging]
        while len(free) < len(wanted):
            handle = BoundaryHandle(*self._callbacks)
            self._plot.addItem(handle, ignoreBounds=True)
            self._handles.append(handle)
            free.append(handle)
        _, boundary, _ = self._selection
        g = self.geometry
        grab = GRAB_HALF_WIDTH_PX * px
        fs = self.editable.fs if self.editable is not None else 1.0
        for handle, (wave, field, sample) in zip(free, wanted, strict=False):
            handle.set_extent(g.editable[0], g.signal_hi, grab)
            selected = boundary is not None and boundary == (wave, field)
            if self._preview is not None and self._preview[0] == wave and self._preview[2] == field:
                sample = getattr(self._preview[1], field)  # the same boundary dragged on another lead
            handle.assign(wave, field, sample, *self._handle_pens(wave, field, selected), fs=fs)
            if not handle.isVisible():
                handle.setVisible(True)
        for handle in free[len(wanted):]:
            if handle.isVisible():
                handle.setVisible(False)
                handle.wave = None

    def _draw_symbols(self, waves: list[Wave]) -> None:
        """Show the beat label of each QRS in ``waves`` whose label is not ``N``, above the editable band.

        See :func:`~ecgstudio.gui.track_bands.draw_beat_symbols` (the texts are pooled in ``_symbols``).
        """
        draw_beat_symbols(self._plot, self._symbols, waves, self.palette.handles[WaveKind.QRS],
                          self.geometry.editable[1])

    def wave_at(self, sample: int, y_mv: float) -> Wave | None:
        """The wave under a click: on a reference band that track's, else the editable track's."""
        tracks = [ref for i, ref in enumerate(self.references)
                  if self.geometry.reference(i)[0] <= y_mv <= self.geometry.reference(i)[1]]
        if self.editable is not None:
            tracks.append(self.editable)
        return next((w for w in (t.wave_at(sample) for t in tracks) if w is not None), None)

    # ------------------------------------------------------------------ inspection
    def visible_handles(self) -> list[BoundaryHandle]:
        """Handles currently shown (one per defined boundary of each visible editable wave)."""
        return [h for h in self._handles if h.isVisible() and h.wave is not None]

    def visible_symbols(self) -> list[tuple[float, str]]:
        """``(sample, label)`` of the beat labels drawn, in sample order."""
        return [(float(t.pos().x()), t.toPlainText()) for t in self._symbols if t.isVisible()]

    def item_count(self) -> int:
        """Number of graphics items this row created (bands, markers, pooled handles and labels)."""
        return 8 + 2 * len(self._ref_bands) + len(self._handles) + len(self._symbols)

    def band_colors(self, which: str = "editable", index: int = 0) -> np.ndarray | None:
        """RGBA columns of the editable band or of reference band ``index`` (for tests)."""
        band = self._edit_band if which == "editable" else self._ref_bands[index]
        return band.colors()

    def tick_positions(self) -> np.ndarray:
        """Samples where disagreement ticks are drawn."""
        return self._ticks.positions()

    def low_confidence_count(self) -> int:
        """Number of low-confidence marks drawn (neighbours closer than 2 px are merged)."""
        return self._low_conf.count()

    def review_count(self) -> int:
        """Number of reviewed-span bars drawn."""
        return self._review.count()
