"""Whole-track arrays for the annotation bands, and the coloured runs of a visible window.

:class:`TrackCache` keeps, per track, the columns and segments of every wave,
rebuilt lazily when the track's revision changes; :func:`visible_segments`
reads the window from it when too many waves are visible to build them
directly (:mod:`ecgstudio.gui.track_items` draws them).
"""

from __future__ import annotations

import numpy as np

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.waves import Wave
from ecgstudio.gui.segments import Segments, WaveArrays, segments_of

#: Above this many visible waves, a track's arrays come from the whole-track cache.
DIRECT_WAVE_LIMIT = 2000


class TrackCache:
    """Whole-track columns and segments, rebuilt lazily when a track's revision changes."""

    def __init__(self) -> None:
        self._items: dict[int, tuple[Delineation, int, WaveArrays, Segments]] = {}

    def get(self, track: Delineation) -> tuple[WaveArrays, Segments]:
        """Arrays and segments of every wave of ``track``."""
        hit = self._items.get(id(track))
        if hit is not None and hit[0] is track and hit[1] == track.revision:
            return hit[2], hit[3]
        arrays = WaveArrays.from_waves(track.waves)
        segs = segments_of(arrays, track.fs)
        self._items[id(track)] = (track, track.revision, arrays, segs)
        return arrays, segs

    def clear(self) -> None:
        """Forget every track."""
        self._items.clear()

    def retain(self, tracks: list[Delineation]) -> None:
        """Forget every track not in ``tracks`` (tracks replaced by new ones free their arrays)."""
        keep = {id(t) for t in tracks}
        for key in [k for k in self._items if k not in keep]:
            del self._items[key]


def visible_segments(track: Delineation, first: int, last: int, cache: TrackCache,
                     substitute: tuple[Wave, Wave] | None = None) -> Segments:
    """Coloured runs of ``track`` covering samples ``first..last``.

    ``substitute = (old, new)`` draws ``new`` in place of ``old`` (the preview
    of a drag in progress; only when few waves are visible).
    """
    r = track.index_range(first, last)
    lo, hi = max(0, r.start - 1), min(len(track), r.stop + 1)
    if hi - lo <= DIRECT_WAVE_LIMIT:
        waves = [track[i] for i in range(lo, hi)]
        if substitute is not None:
            waves = [substitute[1] if w == substitute[0] else w for w in waves]
        return segments_of(WaveArrays.from_waves(waves), track.fs)
    _, segs = cache.get(track)
    a = max(0, int(np.searchsorted(segs.stop, first, side="right")))
    b = int(np.searchsorted(segs.start, last, side="right"))
    return Segments(segs.start[a:b], segs.stop[a:b], segs.cls[a:b])
