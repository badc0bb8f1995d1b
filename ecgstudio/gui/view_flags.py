"""Walking the plot's flags: uncertain waves worst first (U), disagreements in time order (D).

A global editable track shown against per-lead references is compared with their multi-lead
consensus (:meth:`ViewFlags._consensus_of`).

:class:`ViewFlags` is a mixin of :class:`~ecgstudio.gui.leads_view.LeadsView` (it uses the
view's rows, tracks, window and selection, and its :class:`~ecgstudio.gui.flag_state.FlagState`).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ecgstudio.core.consensus import consensus_track
from ecgstudio.core.disagreement import Disagreements
from ecgstudio.gui.flag_state import FlagState, UncertainWaves

if TYPE_CHECKING:
    from ecgstudio.core.delineation import Delineation
    from ecgstudio.core.waves import Wave
    from ecgstudio.gui.lead_row import LeadRow
    from ecgstudio.gui.track_items import TrackCache


@dataclass(frozen=True)
class FlagPair:
    """An editable track, the reference it is compared with, and their disagreements."""

    edited: Delineation
    reference: Delineation
    found: Disagreements


class ViewFlags:
    """Uncertain-wave and disagreement navigation of a :class:`LeadsView` (mixin)."""

    rows: list[LeadRow]
    flags: FlagState
    _cache: TrackCache
    _range: tuple[float, float]
    _wave: Wave | None
    _flag_visit: tuple[Wave | None, tuple[int, int, int]] | None
    _consensus: tuple[tuple[int, ...], Delineation] | None
    tracks: list[Delineation]

    # LeadsView provides editable_track, select_wave and centre_on

    # ------------------------------------------------------------------ uncertain waves
    def uncertain_waves(self, track: Delineation | None = None) -> UncertainWaves | None:
        """The worst share of ``track`` (default: the editable track in focus), worst first."""
        track = track or self.editable_track()
        if track is None:
            return None
        return self.flags.uncertain(track, lambda: self._cache.get(track)[0])

    def goto_uncertain(self, step: int = 1) -> bool:
        """Select the next less (``+1``) or more (``-1``) confident uncertain wave; False if none.

        From a wave outside the list, ``+1`` goes to the least confident one.
        """
        track = self.editable_track()
        found = self.uncertain_waves(track)
        if track is None or found is None or not len(found):
            return False
        here = found.position_of(self._wave)
        i = 0 if here is None and step > 0 else (len(found) - 1 if here is None else here + step)
        while 0 <= i < len(found):
            wave = found.wave(track, i)
            if wave is not None:
                self.show_flagged_wave(wave)
                return True
            i += 1 if step > 0 else -1
        return False

    def show_flagged_wave(self, wave: Wave) -> None:
        """Centre the window on ``wave`` and select it."""
        centre = wave.peak if wave.peak is not None else (wave.start + wave.offset) / 2
        self.centre_on(centre)
        self.select_wave(wave)

    # ------------------------------------------------------------------ disagreements
    def disagreement_pairs(self) -> list[FlagPair]:
        """Every (editable, reference) pair shown on a visible row, once."""
        pairs: dict[tuple[int, int], FlagPair] = {}
        for row in self.rows:
            items = row.tracks
            if items.editable is None or items.compare_to is None or not self.lead_visible(row.lead):
                continue
            key = (id(items.editable), id(items.compare_to))
            if key not in pairs:
                found = self.flags.disagreements(items.editable, items.compare_to)
                pairs[key] = FlagPair(items.editable, items.compare_to, found)
        return list(pairs.values())

    def disagreement_count(self) -> int:
        """Number of flagged fiducials over every pair shown."""
        return sum(len(p.found) for p in self.disagreement_pairs())

    def goto_disagreement(self, step: int = 1) -> str | None:
        """Centre on the next (``+1``) or previous (``-1``) disagreement and select its wave.

        Returns
        -------
        str | None
            What disagrees (one clinical line), ``None`` if there is no further one.
        """
        pairs = self.disagreement_pairs()
        flat = sorted((int(s), k, i) for k, p in enumerate(pairs) for i, s in enumerate(p.found.sample.tolist()))
        if not flat:
            return None
        visit = self._flag_visit
        if visit is not None and visit[0] is self._wave:
            last = visit[1]  # the flag shown last: the next one, even at the same sample
            j = bisect.bisect_right(flat, last) if step > 0 else bisect.bisect_left(flat, last) - 1
        else:
            if self._wave is not None:
                here = self._wave.start if step > 0 else self._wave.offset
            else:
                here = int(self._range[0]) if step > 0 else int(self._range[1])
            j = bisect.bisect_left(flat, (here, -1, -1)) if step > 0 else bisect.bisect_right(
                flat, (here, len(pairs), 1 << 62)) - 1
        if not 0 <= j < len(flat):
            return None
        sample, k, i = flat[j]
        pair = pairs[k]
        wave = pair.edited.wave_at(sample) or pair.reference.wave_at(sample)
        self.centre_on(sample)
        if wave is not None:
            self.select_wave(wave)
        self._flag_visit = (self._wave, flat[j])
        return f"{pair.found.describe(i, pair.reference.name)} ({j + 1} of {len(flat)})"

    def _consensus_of(self, reference: Delineation, editable: list[Delineation]) -> Delineation:
        """A global track compared with per-lead references: with their multi-lead consensus.

        The per-lead tracks of one source (same name, e.g. ``pu``; or one file
        per lead named after it, LUDB's ``i`` ... ``v6``) give one global reference
        (:func:`ecgstudio.core.consensus.consensus_track`: earliest onset, latest
        offset over the leads), built once per set of tracks, so ticks and the
        count mean "this global boundary is outside what the leads show", once.
        """
        per_lead = [t for t in self.tracks if t.lead is not None and not any(t is e for e in editable)]
        same = [t for t in per_lead if t.name == reference.name]
        if len(same) < 2:  # one file per lead, named after its lead (LUDB): the first such track of each lead
            first: dict[int, Delineation] = {}
            for track in per_lead:
                first.setdefault(track.lead, track)
            same = list(first.values())
        key = tuple(id(t) for t in same)
        if self._consensus is None or self._consensus[0] != key:
            self._consensus = (key, consensus_track(same, name=f"{reference.name} (all leads)"))
        return self._consensus[1]
