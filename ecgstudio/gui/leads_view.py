"""The plot: stacked leads, overview strip, annotation tracks and boundary dragging.

Contract: docs/GUI_CONTRACTS.md ("Plot"). x is in samples everywhere inside
the view; only the axis labels show seconds. The view never changes a track:
a finished drag emits one :class:`~ecgstudio.core.edits.MoveBoundary` through
:attr:`LeadsView.sigEditRequested`, the owner pushes it on its undo stack and
the view redraws from the track's listener (so undo/redo redraw too).

Beyond the contract: ``sigSelectedRangeChanged``, ``select_boundary``,
``set_selected_range``, ``set_reference_index`` (track the editable one is
compared with), ``set_worst_share``, the flags (:class:`~ecgstudio.gui.view_flags.ViewFlags`: ``U`` walks the
uncertain waves worst first, ``D`` the disagreements), ``editable_track``, ``lead_visible``, ``grid_visible``,
``palette_name``; the clinical display (:attr:`LeadsView.paper`: paper speed, one amplitude scale, rows sized
to the window), a time ruler under the rows, calipers, ``show_sheet`` (the 12-lead sheet instead of the rows)
and the navigation that keeps the selected beat (:class:`~ecgstudio.gui.view_navigation.ViewNavigation`).
Review shading, grid, lead visibility, palette, gain and the sheet are the
:class:`~ecgstudio.gui.view_appearance.ViewAppearance` mixin.
"""

from __future__ import annotations

import math
import weakref

import numpy as np
from PyQt5 import QtCore, QtWidgets, sip

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.record import Record
from ecgstudio.core.waves import Wave
from ecgstudio.gui.calipers import Calipers
from ecgstudio.gui.colors import get_palette
from ecgstudio.gui.envelope import MinMaxPyramid
from ecgstudio.gui.flag_state import FlagState
from ecgstudio.gui.gestures import RowGestures
from ecgstudio.gui.lead_row import LeadRow
from ecgstudio.gui.navigation import clamp_window
from ecgstudio.gui.overview import Overview, show_rate_trend
from ecgstudio.gui.paper_layout import PaperLayout
from ecgstudio.gui.time_ruler import TimeRuler
from ecgstudio.gui.track_items import TrackCache
from ecgstudio.gui.view_appearance import ViewAppearance
from ecgstudio.gui.view_flags import ViewFlags
from ecgstudio.gui.view_navigation import ViewNavigation
from ecgstudio.gui.view_selection import ViewSelection

#: Narrowest window the view zooms to, in seconds.
MIN_SPAN_S = 0.25
#: Window shown after :meth:`LeadsView.set_record`, in seconds.
INITIAL_SPAN_S = 10.0


class _TrackListener:
    """Track listener that holds the view weakly and unhooks itself once the view is gone."""

    def __init__(self, view: LeadsView, track: Delineation) -> None:
        self._view = weakref.ref(view)
        self.track = track

    def __call__(self, first: int, last: int) -> None:
        view = self._view()
        if view is None or sip.isdeleted(view):
            self.track.remove_listener(self)
            return
        view._on_track_changed(first, last)


class LeadsView(ViewNavigation, ViewFlags, ViewSelection, ViewAppearance, QtWidgets.QWidget):
    """Stacked lead rows sharing one time window, with a time ruler and an overview strip below."""

    #: ``(time_s, lead, amplitude_mv)`` of the signal under the mouse.
    sigCursorMoved = QtCore.pyqtSignal(float, int, float)
    #: A ``core.edits`` value the user asked for (the owner applies it).
    sigEditRequested = QtCore.pyqtSignal(object)
    #: The selected :class:`Wave` or ``None``.
    sigSelectionChanged = QtCore.pyqtSignal(object)
    #: ``(first_sample, last_sample)`` now visible.
    sigViewRangeChanged = QtCore.pyqtSignal(int, int)
    #: ``(start, stop)`` chosen with Shift+drag, or ``None`` (extension to the contract).
    sigSelectedRangeChanged = QtCore.pyqtSignal(object)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.record: Record | None = None
        self.rows: list[LeadRow] = []
        # rows of the previous record, kept referenced until their deferred deletion has run: their
        # pyqtgraph wrappers sit in reference cycles, and a garbage collection triggered by a
        # worker thread must not tear them down while Qt still holds (and may paint) the widgets
        self._retired_rows: list[LeadRow] = []
        self.tracks: list[Delineation] = []
        self.editable_indices: tuple[int, ...] = ()
        self._focus_lead: int | None = None
        self.reference_index: int | None = None
        self._palette = get_palette("classic")
        self._grid_visible = True
        self.flags = FlagState()
        self._flag_visit = None
        self._cache = TrackCache()
        self._consensus = None
        self._range = (0.0, 1.0)
        self._wave: Wave | None = None
        self._boundary: tuple[Wave, str] | None = None
        self._selected_range: tuple[int, int] | None = None
        self._review = np.zeros((0, 2), dtype=np.int64)
        self._lead_shown: list[bool] = []
        self._listeners: list[_TrackListener] = []
        self._gestures = RowGestures(self)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        # many leads (12-lead records) scroll vertically instead of growing the window
        self._rows_box = QtWidgets.QWidget()
        self._rows_layout = QtWidgets.QVBoxLayout(self._rows_box)
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self._rows_layout.setSpacing(0)
        scroll = QtWidgets.QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self._rows_box)
        layout.addWidget(scroll, 1)
        self._scroll = scroll
        scroll.viewport().installEventFilter(self)  # resized: rows get their new height
        self.paper = PaperLayout(self)
        self.calipers = Calipers(self)
        self.ruler = TimeRuler(self)
        layout.addWidget(self.ruler)
        self.sheet_widget: QtWidgets.QWidget | None = None
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        self._redraw_timer = QtCore.QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(0)
        self._redraw_timer.timeout.connect(self._on_rows_resized)
        self.overview = Overview(self)
        self.overview.sigRangeRequested.connect(self.set_view_range)
        layout.addWidget(self.overview)

    # ------------------------------------------------------------------ record and tracks
    def set_record(self, record: Record | None) -> None:
        """Show ``record`` (``None`` clears); tracks, selection and review are reset."""
        self._set_listeners(False)
        self.tracks, self.editable_indices, self.reference_index = [], (), None
        self._focus_lead = None
        self._cache.clear()
        self._wave, self._boundary, self._selected_range = None, None, None
        self._review = np.zeros((0, 2), dtype=np.int64)
        for row in self.rows:
            self._rows_layout.removeWidget(row.widget)
            row.widget.hide()
            row.widget.deleteLater()
        while self._rows_layout.count():  # the rows (deleted above) and the stretch under them
            self._rows_layout.takeAt(0)
        self._retired_rows = [r for r in self._retired_rows if not sip.isdeleted(r.widget)] + self.rows
        self.rows = []
        self.paper.forget_rows()
        self.calipers.forget_rows()
        self.record = record
        self._lead_shown = [] if record is None else [True] * record.n_leads
        if record is None:
            self.overview.set_signal(None)
            return
        for lead in range(record.n_leads):
            pyramid = MinMaxPyramid(record.signal[:, lead])
            row = LeadRow(self._gestures, lead, record.lead_names[lead], record.units[lead], record.fs, pyramid,
                          self._palette)
            row.grid.setVisible(self._grid_visible)
            row.tracks.flags = self.flags
            row.vb.sigResized.connect(self._schedule_redraw)
            row.widget.scene().sigMouseMoved.connect(
                lambda pos, r=row: self._gestures.mouse_moved(r, pos))
            self._rows_layout.addWidget(row.widget)
            self.rows.append(row)
            self.paper.attach(row)
            self.calipers.attach(row, record.fs)
        self._rows_layout.addStretch(1)
        self.ruler.set_fs(record.fs, record.n_samples / record.fs)
        self.paper.size_rows()
        self.overview.set_signal(self.rows[0].pyramid)
        self._range = (-1.0, -1.0)
        self.set_view_range(0, INITIAL_SPAN_S * record.fs)

    def set_tracks(self, tracks: list[Delineation], editable: int | None | tuple[int, ...] | list[int]) -> None:
        """Show ``tracks``; ``tracks[i]`` for ``i`` in ``editable`` get the editing handles.

        Global tracks show on every lead, per-lead tracks on their own lead; a
        lead's row edits its own editable track (per-lead files), else the
        global one. The editable track is compared with :attr:`reference_index`
        (by default the first other track shown on the same lead).
        """
        self._set_listeners(False)
        self.tracks = list(tracks)
        self._cache.retain(self.tracks)
        self.flags.retain(self.tracks)
        indices = (editable,) if isinstance(editable, int) else tuple(editable or ())
        self.editable_indices = tuple(i for i in indices if 0 <= i < len(self.tracks))
        if self.reference_index is not None and not 0 <= self.reference_index < len(self.tracks):
            self.reference_index = None
        self._set_listeners(True)
        self._assign_tracks()
        self._revalidate_selection()
        self.refresh_tracks()
        show_rate_trend(self.overview, self.record, (self.editable_tracks() or self.tracks)[:1])

    def set_reference_index(self, index: int | None) -> None:
        """Compare the editable track with ``tracks[index]`` (``None``: the first other track)."""
        self.reference_index = index
        self._assign_tracks()
        self.refresh_tracks()

    def refresh_tracks(self) -> None:
        """Redraw every annotation item from the tracks."""
        self._redraw()

    @property
    def editable_index(self) -> int | None:
        """Index of the first editable track (``None`` if there is none)."""
        return self.editable_indices[0] if self.editable_indices else None

    def editable_tracks(self) -> list[Delineation]:
        """Every editable track."""
        return [self.tracks[i] for i in self.editable_indices]

    def editable_track_for(self, lead: int | None) -> Delineation | None:
        """The editable track shown on ``lead``'s row: its own per-lead track, else the global one."""
        tracks = self.editable_tracks()
        own = next((t for t in tracks if t.lead == lead), None) if lead is not None else None
        return own or next((t for t in tracks if t.lead is None), None)

    def focus_lead(self) -> int | None:
        """Lead of the row last clicked (``None`` before any click)."""
        return self._focus_lead

    def set_focus_lead(self, lead: int | None) -> None:
        """Remember the row the user works in (edits without a selected wave go to its track)."""
        self._focus_lead = lead

    def editable_track(self) -> Delineation | None:
        """The editable track in focus: that of the selected wave's lead or the last clicked row."""
        tracks = self.editable_tracks()
        if not tracks:
            return None
        lead = self._wave.lead if self._wave is not None else self._focus_lead
        return self.editable_track_for(lead) or tracks[0]

    def _set_listeners(self, on: bool) -> None:
        for listener in self._listeners:
            listener.track.remove_listener(listener)
        self._listeners = [_TrackListener(self, t) for t in self.tracks] if on else []
        for listener in self._listeners:
            listener.track.add_listener(listener)

    def _assign_tracks(self) -> None:
        editable = self.editable_tracks()
        for row in self.rows:
            mine = [t for t in self.tracks if t.lead is None or t.lead == row.lead]
            refs = [t for t in mine if not any(t is e for e in editable)]
            edit = self.editable_track_for(row.lead)
            chosen = self.tracks[self.reference_index] if self.reference_index is not None else None
            same_kind = [t for t in refs if edit is not None and (t.lead is None) == (edit.lead is None)]
            compare = chosen if chosen in refs else (same_kind or refs or [None])[0]  # global with global first
            if edit is not None and edit.lead is None and compare is not None and compare.lead is not None:
                compare = self._consensus_of(compare, editable)
            row.tracks.set_tracks(refs, edit, compare if edit is not None else None)
            row.set_reference_count(len(refs))
        self.paper.size_rows()  # the bands take room

    def _on_track_changed(self, first: int, last: int) -> None:
        self._revalidate_selection()
        self._redraw()

    # ------------------------------------------------------------------ layout
    def rows_viewport_height(self) -> int:
        """Pixels of height the lead rows share (the scroll area's viewport)."""
        return max(1, self._scroll.viewport().height())

    def plot_width_px(self) -> float:
        """Width of the rows' plotting area in pixels."""
        shown = [row for row in self.rows if self._lead_shown[row.lead]] or self.rows
        return float(shown[0].vb.width()) if shown else 0.0

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QtCore.QEvent.Type.Resize and obj is self._scroll.viewport():
            self.paper.size_rows()
            self._schedule_redraw()
        return False

    def _on_rows_resized(self) -> None:
        self.paper.sync_speed()
        self._redraw()

    # ------------------------------------------------------------------ view range
    def set_view_range(self, first: float, last: float) -> None:
        """Show samples ``first..last`` (clamped to the record and a minimum width)."""
        if self.record is None:
            return
        fs = self.record.fs
        paper_span = self.paper.check_range(float(first), float(last))
        new = clamp_window(float(first), float(last), self.record.n_samples, max(MIN_SPAN_S * fs, 4.0), paper_span)
        changed = new != self._range
        self._range = new
        self.overview.set_window(*new)
        self._redraw()
        if changed:
            self.sigViewRangeChanged.emit(*self.view_range())

    def view_range(self) -> tuple[int, int]:
        """First and last visible sample."""
        return int(math.floor(self._range[0])), int(math.ceil(self._range[1]))

    def _redraw(self) -> None:
        if self.record is None:
            return
        first, last = self._range
        selection = (self._wave, self._boundary, self._selected_range)
        self.paper.fit_rows()
        shown = [row for row in self.rows if self._lead_shown[row.lead]]
        for row in shown:
            row.tracks.set_selection(*selection)
            row.update(first, last, self._cache)
            self.paper.after_update(row, first, last)
        self.ruler.follow(shown[0] if shown else None, self, first, last)

    def _schedule_redraw(self) -> None:
        """Redraw once control returns to the event loop (rows resized: new pixel width)."""
        self._redraw_timer.start()

    def cancel_drag(self) -> bool:
        """Abandon a boundary drag in progress (nothing is emitted); False if none."""
        return any([h.cancel_drag() for row in self.rows for h in row.tracks.visible_handles()])

    def keyPressEvent(self, event: object) -> None:  # noqa: N802 (Qt name)
        if event.key() == QtCore.Qt.Key.Key_Escape and (self.cancel_drag() or self.calipers.clear()):
            event.accept()
            return
        super().keyPressEvent(event)
