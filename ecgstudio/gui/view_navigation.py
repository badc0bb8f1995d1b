"""Time navigation of the plot that keeps the beat: zoom, pan, presets, Home/End, go to time, beats.

:class:`ViewNavigation` is a mixin of :class:`~ecgstudio.gui.leads_view.LeadsView`
(it uses the view's record, window, tracks and selection). Zooming without a
cursor position (keys ``+``/``-``, presets ``1``/``2``/``3``, a paper speed)
centres the window on the selected wave when it is on screen, so the beat
being worked on stays in front of the user; otherwise the window keeps its
centre.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecgstudio.core.beats import beat_span
from ecgstudio.core.waves import Wave
from ecgstudio.gui.navigation import next_qrs

if TYPE_CHECKING:
    from PyQt5 import QtWidgets

    from ecgstudio.core.delineation import Delineation
    from ecgstudio.core.record import Record
    from ecgstudio.gui.lead_row import LeadRow
    from ecgstudio.gui.track_items import TrackCache


def wave_centre(wave: Wave) -> float:
    """The sample a wave is shown around: its peak, else the middle of its extent."""
    return float(wave.peak) if wave.peak is not None else (wave.start + wave.offset) / 2


class ViewNavigation:
    """Zoom, pan and beat navigation of a :class:`LeadsView` (mixin)."""

    record: Record | None
    rows: list[LeadRow]
    tracks: list[Delineation]
    _range: tuple[float, float]
    _wave: Wave | None
    _cache: TrackCache
    _lead_shown: list[bool]
    _scroll: QtWidgets.QScrollArea

    # LeadsView provides set_view_range, editable_track, editable_track_for, set_focus_lead and
    # select_wave (not declared here: a stub in a mixin would hide the real method further down the MRO)

    def _n_samples(self) -> int:
        return self.record.n_samples if self.record is not None else 1

    def window(self) -> tuple[float, float]:
        """The visible window in (fractional) samples."""
        return self._range

    def anchor(self) -> float:
        """Sample a zoom centres on: the selected wave if it is visible, else the window's centre."""
        first, last = self._range
        wave = self._wave
        if wave is not None and wave.offset >= first and wave.start <= last:
            return wave_centre(wave)
        return (first + last) / 2

    def zoom_to_span(self, span: float, centre: float | None = None) -> None:
        """Show ``span`` samples around ``centre`` (default: :meth:`anchor`)."""
        c = self.anchor() if centre is None else centre
        self.set_view_range(c - span / 2, c + span / 2)

    def zoom_seconds(self, seconds: float | None) -> None:
        """Show ``seconds`` around the selected beat or the current centre (``None``: the whole record)."""
        if self.record is None:
            return
        if seconds is None:
            self.set_view_range(0, self._n_samples() - 1)
            return
        self.zoom_to_span(seconds * self.record.fs)

    def zoom_by(self, factor: float, centre: float | None = None) -> None:
        """Scale the visible width by ``factor`` (< 1 zooms in).

        With ``centre`` (samples, e.g. under the mouse wheel) that sample stays
        where it is on screen; without, the window centres on :meth:`anchor`.
        """
        first, last = self._range
        if centre is None:
            self.zoom_to_span((last - first) * factor)
            return
        self.set_view_range(centre + (first - centre) * factor, centre + (last - centre) * factor)

    def pan_by(self, fraction: float) -> None:
        """Move the window by ``fraction`` of its width (negative: back in time)."""
        first, last = self._range
        delta = fraction * (last - first)
        self.set_view_range(first + delta, last + delta)

    def pan_samples(self, delta: float) -> None:
        """Move the window by ``delta`` samples."""
        first, last = self._range
        self.set_view_range(first + delta, last + delta)

    def centre_on(self, sample: float) -> None:
        """Centre the window on ``sample`` keeping its width."""
        half = (self._range[1] - self._range[0]) / 2
        self.set_view_range(sample - half, sample + half)

    def goto_start(self) -> None:
        """Home: the start of the record, same width."""
        span = self._range[1] - self._range[0]
        self.set_view_range(0, span)
        self._drop_hidden_selection()

    def goto_end(self) -> None:
        """End: the end of the record, same width."""
        span = self._range[1] - self._range[0]
        end = self._n_samples() - 1
        self.set_view_range(end - span, end)
        self._drop_hidden_selection()

    def goto_time(self, seconds: float, lead: int | None = None) -> bool:
        """Centre the window on ``seconds`` from the record's start and select the beat there.

        With ``lead`` (a record lead index) that lead's row is scrolled into
        sight and becomes the row in focus, and the beat selected is the one
        of the track shown on it. Returns ``False`` (nothing changes) when the
        time lies outside the record.
        """
        if self.record is None:
            return False
        sample = float(seconds) * self.record.fs
        if not 0 <= sample <= self._n_samples() - 1:
            return False
        if lead is not None and 0 <= lead < len(self.rows):
            self.show_lead(lead)
            track = self.editable_track_for(lead) or next(
                (t for t in self.tracks if t.lead is None or t.lead == lead), None)
        else:
            track = self.editable_track() or (self.tracks[0] if self.tracks else None)
        self.centre_on(sample)
        nearest = _nearest_qrs(track, int(round(sample))) if track is not None else None
        first, last = self._range
        if nearest is not None and first <= wave_centre(nearest) <= last:
            self.select_wave(nearest)
        else:
            self._drop_hidden_selection()
        return True

    def show_lead(self, lead: int) -> None:
        """Scroll the rows so that ``lead``'s row is in sight and make it the row in focus.

        A lead the user hid stays hidden (it only becomes the row in focus).
        """
        self.set_focus_lead(lead)
        if not self._lead_shown[lead]:
            return
        # the rows may just have been shown again (12-lead sheet): lay them out now, not at the next event loop
        self.layout().activate()
        self._scroll.widget().layout().activate()
        widget = self.rows[lead].widget
        half = widget.height() // 2  # not ensureWidgetVisible: a plot's input-method rectangle is its corner
        self._scroll.ensureVisible(0, widget.y() + half, 0, widget.height() - half)

    def _drop_hidden_selection(self) -> None:
        """Clear a selected wave that is no longer on screen (keys must act on what the user sees)."""
        wave = self._wave
        if wave is not None and (wave.offset < self._range[0] or wave.start > self._range[1]):
            self.select_wave(None)

    # ------------------------------------------------------------------ beats
    def goto_beat(self, step: int) -> bool:
        """Select and centre the next (``+1``) or previous (``-1``) QRS; False if none."""
        track = self.editable_track() or (self.tracks[0] if self.tracks else None)
        if track is None or self.record is None:
            return False
        if self._wave is not None:
            ref = self._wave.start
        else:
            ref = int(self._range[0]) - 1 if step > 0 else int(self._range[1]) + 1
        qrs = next_qrs(track, ref, step)
        if qrs is None:
            return False
        self._show_and_select(qrs)
        return True

    def current_beat_range(self) -> tuple[int, int] | None:
        """Inclusive ``(first, last)`` sample of the beat around the selected wave, or ``None``."""
        if self._wave is None:
            return None
        for track in [self.editable_track(), *self.tracks]:
            if track is not None and (track.lead is None or track.lead == self._wave.lead):
                beat = beat_span(track, self._wave)
                if beat is not None:
                    return beat
        return None

    def _show_and_select(self, wave: Wave) -> None:
        self.centre_on(wave_centre(wave))
        self.select_wave(wave)


def _nearest_qrs(track: Delineation, sample: int) -> Wave | None:
    """The QRS complex of ``track`` whose centre is nearest to ``sample``."""
    candidates = [w for w in (next_qrs(track, sample + 1, -1), next_qrs(track, sample, +1)) if w is not None]
    if not candidates:
        return None
    return min(candidates, key=lambda w: abs(wave_centre(w) - sample))

