"""Beat-wise navigation over a track (pure functions, no Qt).

Used by the plot for next/previous beat; the beat around the selection
("accept beat") is :func:`ecgstudio.core.beats.beat_span`; uncertain waves are
walked by :mod:`ecgstudio.gui.view_flags`.
"""

from __future__ import annotations

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.waves import Wave, WaveKind


def next_qrs(track: Delineation, sample: int, step: int) -> Wave | None:
    """The first QRS starting after ``sample`` (``step > 0``) or the last one before it.

    Parameters
    ----------
    track : Delineation
        Track searched.
    sample : int
        Reference sample; a QRS starting exactly there is not returned.
    step : int
        ``+1`` forwards, ``-1`` backwards.
    """
    i = track.index_range(sample, sample).start
    if step > 0:
        while i < len(track) and (track[i].kind is not WaveKind.QRS or track[i].start <= sample):
            i += 1
        return track[i] if i < len(track) else None
    i = min(i + 1, len(track) - 1)
    while i >= 0 and (track[i].kind is not WaveKind.QRS or track[i].start >= sample):
        i -= 1
    return track[i] if i >= 0 else None


def clamp_window(first: float, last: float, n_samples: int, min_span: float,
                 fixed_span: float | None = None) -> tuple[float, float]:
    """``first..last`` kept inside ``0..n_samples - 1`` and at least ``min_span`` wide (samples).

    The centre is kept where possible; a window wider than the record shows it
    whole. With ``fixed_span`` (a paper speed) the window is exactly that wide,
    starting at 0 when the record is shorter (the rest of the paper stays empty).
    """
    if fixed_span is not None and fixed_span > 0:
        span = float(fixed_span)
        lo = min(max((first + last) / 2 - span / 2, 0.0), max(n_samples - 1 - span, 0.0))
        return lo, lo + span
    span = min(max(last - first, min_span), max(n_samples - 1, 1))
    centre = (first + last) / 2
    lo = min(max(centre - span / 2, 0.0), max(n_samples - 1 - span, 0.0))
    return lo, lo + span


def successor(track: Delineation, old: Wave) -> Wave | None:
    """The wave of ``track`` that replaced ``old`` after an edit (same kind, overlapping), if unique."""
    if track.lead != old.lead:
        return None
    same = [w for w in track.waves_between(old.start, old.offset) if w.kind is old.kind]
    return same[0] if len(same) == 1 else None
