"""What the user's gestures on a lead row mean (the rows' :class:`~ecgstudio.gui.lead_row.RowHost`).

Wheel zooms time around the cursor, Ctrl+wheel the amplitude of all leads, drag pans (in caliper mode: spans the
calipers), Shift+drag chooses a range, a click
selects the wave under it, dragging a boundary handle previews the move
(clamped by the track's rules) and, on release, asks for ONE
:class:`~ecgstudio.core.edits.MoveBoundary` (a right click or Escape during
the drag cancels it). Everything goes through the
view's public methods and signals; nothing here changes a track.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PyQt5 import QtCore

from ecgstudio.core.edits import MoveBoundary
from ecgstudio.core.errors import EditError
from ecgstudio.core.waves import Wave
from ecgstudio.gui.handles import BoundaryHandle

if TYPE_CHECKING:
    from ecgstudio.gui.lead_row import LeadRow
    from ecgstudio.gui.leads_view import LeadsView


class RowGestures:
    """Turns row and handle events into view changes and edit requests for ``view``."""

    def __init__(self, view: LeadsView) -> None:
        self._view = view

    def row_wheel(self, centre_sample: float, factor: float) -> None:
        self._view.zoom_by(factor, centre_sample)

    def row_amplitude(self, lead: int, factor: float, centre_mv: float) -> None:
        self._view.scale_amplitude(lead, factor, centre_mv)

    def row_pan(self, delta_samples: float) -> None:
        self._view.pan_samples(delta_samples)

    def row_range_drag(self, start_sample: float, sample: float, finished: bool) -> None:
        self._view.set_selected_range(tuple(sorted((start_sample, sample))))

    def caliper_active(self) -> bool:
        return self._view.calipers.is_enabled()

    def row_caliper(self, lead: int, start_sample: float, sample: float, finished: bool) -> None:
        self._view.calipers.drag(lead, start_sample, sample, finished)

    def row_click(self, lead: int, sample: float, y_mv: float) -> None:
        wave = self._view.rows[lead].tracks.wave_at(int(round(sample)), y_mv)
        self._view.set_focus_lead(lead)
        self._view.set_selected_range(None)
        self._view.select_wave(wave)

    def handle_clamp(self, handle: BoundaryHandle, sample: float) -> int:
        track = self._view.editable_track_for(handle.wave.lead) if handle.wave is not None else None
        try:
            allowed = track.clamp_boundary(handle.wave, handle.field, int(round(sample)))
        except (EditError, AttributeError):
            return int(round(handle.value()))
        self._preview((handle.wave, handle.wave.with_boundary(handle.field, allowed), handle.field))
        return allowed

    def handle_finished(self, handle: BoundaryHandle, sample: int | None) -> None:
        wave, field = handle.wave, handle.field
        self._preview(None, redraw=False)
        if wave is not None and sample is not None and getattr(wave, field) != sample:
            moved = wave.with_boundary(field, sample)
            self._view.sigEditRequested.emit(MoveBoundary(wave, field, int(sample), clamp=True))
            track = self._view.editable_track_for(wave.lead)
            try:
                if track is not None:
                    track.index_of(moved)  # the owner applied it: keep the boundary selected
                    self._view.select_boundary(moved, field)
            except EditError:
                pass
        self._view.refresh_tracks()  # the owner may have refused the edit: show the model again

    def handle_pressed(self, handle: BoundaryHandle) -> None:
        if handle.wave is not None:
            self._view.select_boundary(handle.wave, handle.field)

    def mouse_moved(self, row: LeadRow, pos: QtCore.QPointF) -> None:
        """Report the signal under the mouse (``sigCursorMoved``)."""
        record = self._view.record
        if record is None or not row.vb.sceneBoundingRect().contains(pos):
            return
        s = int(round(row.vb.mapSceneToView(pos).x()))
        if 0 <= s < record.n_samples:
            self._view.sigCursorMoved.emit(s / record.fs, row.lead, float(record.signal[s, row.lead]))

    def _preview(self, preview: tuple[Wave, Wave, str] | None, redraw: bool = True) -> None:
        for row in self._view.rows:
            row.tracks.set_preview(preview)
        if redraw:
            self._view.refresh_tracks()
