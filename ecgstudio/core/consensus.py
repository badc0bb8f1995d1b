"""One global track from per-lead tracks: the multi-lead boundaries of each wave.

Per-lead references (LUDB annotates every lead in its own file) disagree by
lead, and a global track (one boundary per wave for all leads) cannot match
all of them. The global convention of multi-lead measurement (CSE) takes a
wave's **onset as the earliest onset and its offset as the latest offset over
the leads** that show it; the peak here is the median of the leads' peaks.

Waves of one kind from all leads are grouped when they overlap in time; each
group gives one wave. Groups that would break a track rule (overlapping
neighbours after widening) are dropped, never moved.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.waves import Wave, WaveKind


def _groups(waves: list[Wave]) -> list[list[Wave]]:
    """Waves (one kind, sorted by start) grouped while they overlap the group's extent."""
    groups: list[list[Wave]] = []
    end = -1
    for wave in waves:
        if groups and wave.start <= end:
            groups[-1].append(wave)
            end = max(end, wave.offset)
        else:
            groups.append([wave])
            end = wave.offset
    return groups


def _merged(kind: WaveKind, group: list[Wave]) -> Wave:
    onsets = [w.onset for w in group if w.onset is not None]
    peaks = [w.peak for w in group if w.peak is not None]
    onset = min(onsets) if onsets else None
    offset = max(w.offset for w in group)
    peak = int(np.median(peaks)) if peaks else None
    if peak is not None:
        low = onset if onset is not None else peak
        peak = min(max(peak, low), offset - 1 if offset - 1 >= low else low)
    return Wave(kind, onset, peak, offset)


def consensus_track(tracks: Sequence[Delineation], *, name: str = "") -> Delineation:
    """The global track of per-lead ``tracks`` (same record, same fs).

    Parameters
    ----------
    tracks : Sequence[Delineation]
        Per-lead tracks (at least one).
    name : str
        Name of the result (default: the first track's name).

    Returns
    -------
    Delineation
        A global track (``lead=None``): per wave, the earliest onset, the
        latest offset and the median peak of the leads' waves that overlap it.

    Raises
    ------
    ValueError
        If ``tracks`` is empty or the tracks' lengths or rates differ.
    """
    if not tracks:
        raise ValueError("consensus_track needs at least one track")
    first = tracks[0]
    if any(t.n_samples != first.n_samples or abs(t.fs - first.fs) > 1e-9 * first.fs for t in tracks):
        raise ValueError("consensus_track: tracks of different records")
    merged: list[Wave] = []
    for kind in WaveKind:
        waves = sorted((w for t in tracks for w in t if w.kind is kind), key=lambda w: (w.start, w.offset))
        merged += [_merged(kind, group) for group in _groups(waves)]
    track, _ = Delineation.from_waves_lenient(merged, n_samples=first.n_samples, fs=first.fs, lead=None,
                                              name=name or first.name)
    return track
