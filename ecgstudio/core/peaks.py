"""Where a wave peaks: the sample of largest deviation from the chord between the segment's ends.

The one definition of a wave's peak, used by the decoder (:func:`ecgstudio.core.decode.decode`)
and by a wave the user adds by hand (:func:`segment_peak`). On several leads the squared
deviations are summed (the energy envelope, in physical units, so the lead where the wave is
largest leads); leads unusable over the segment (:mod:`ecgstudio.core.quality`) can be left out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ecgstudio.core.spans import overlaps_spans

#: Samples x leads held in memory per batch of segments.
_BATCH_SAMPLES = 1 << 23


def find_peaks_in_segments(
    signal: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    *,
    search_stops: np.ndarray | None = None,
    max_search: int | None = None,
    excluded: Sequence[np.ndarray | None] | None = None,
) -> np.ndarray:
    """Peak of each segment: largest deviation from the chord between its ends.

    Parameters
    ----------
    signal : np.ndarray
        shape ``(n_samples,)`` or ``(n_samples, n_leads)``, physical units.
    starts, ends : np.ndarray
        int, shape ``(n_segments,)``; the chord joins ``signal[start]`` and
        ``signal[end]`` (``start < end <= n_samples - 1``).
    search_stops : np.ndarray | None
        Last sample (inclusive) that may be the peak; default ``ends``.
    max_search : int | None
        At most this many samples from ``start`` are searched (memory bound).
    excluded : sequence of np.ndarray | None
        Per lead (column of ``signal``), sorted ``(k, 2)`` sample spans the lead
        is unusable in (:mod:`ecgstudio.core.quality`). A segment's peak is
        found on the leads usable over the whole segment (on all leads if
        none is).

    Returns
    -------
    np.ndarray
        int64, shape ``(n_segments,)``, peak samples in ``[start, search_stop]``.
        On several leads the squared deviations of the leads are summed
        before taking the maximum.
    """
    sig = signal[:, None] if signal.ndim == 1 else signal
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    stops = ends if search_stops is None else np.minimum(np.asarray(search_stops, np.int64), ends)
    stops = np.maximum(stops, starts)
    out = np.empty(starts.size, dtype=np.int64)
    if starts.size == 0:
        return out
    span = int((stops - starts).max()) + 1
    if max_search is not None:
        span = min(span, max(1, int(max_search)))
    n_leads = sig.shape[1]
    use: np.ndarray | None = None
    if excluded is not None and any(e is not None and len(e) for e in excluded):
        if len(excluded) != n_leads:
            raise ValueError(f"excluded: {len(excluded)} span lists for {n_leads} leads")
        use = np.stack([~overlaps_spans(e, starts, ends) for e in excluded], axis=1).astype(np.float32)
        use[use.sum(axis=1) == 0] = 1.0  # no lead usable over the whole segment: all of them
    per_batch = max(1, _BATCH_SAMPLES // (span * n_leads))
    steps = np.arange(span)
    for lo in range(0, starts.size, per_batch):
        hi = min(starts.size, lo + per_batch)
        a, b, last = starts[lo:hi], ends[lo:hi], stops[lo:hi]
        idx = a[:, None] + steps[None, :]
        inside = idx <= last[:, None]
        idx = np.minimum(idx, b[:, None])
        seg = np.nan_to_num(sig[idx].astype(np.float32))  # (W, span, leads)
        first = np.nan_to_num(sig[a].astype(np.float32))
        final = np.nan_to_num(sig[b].astype(np.float32))
        frac = (steps[None, :] / np.maximum(b - a, 1)[:, None]).astype(np.float32)
        chord = first[:, None, :] + frac[:, :, None] * (final - first)[:, None, :]
        seg -= chord
        if use is not None:
            seg *= use[lo:hi, None, :]
        energy = np.einsum("wsl,wsl->ws", seg, seg)
        energy[~inside] = -1.0
        best = energy.argmax(axis=1)
        flat = energy[np.arange(hi - lo), best] <= 0.0  # no signal: take the middle
        best[flat] = (last[flat] - a[flat]) // 2
        out[lo:hi] = a + best
    return out


def segment_peak(signal: np.ndarray, start: int, stop: int) -> int:
    """Peak of one segment ``start..stop`` (inclusive): :func:`find_peaks_in_segments` for one segment.

    Parameters
    ----------
    signal : np.ndarray
        float, shape ``(n_samples,)`` (one lead) or ``(n_samples, n_leads)`` (all leads combined), mV.
    start, stop : int
        Inclusive sample range, ``0 <= start <= stop < n_samples``.

    Returns
    -------
    int
        The peak sample in ``start..stop`` (the middle of a flat segment; NaN samples count as 0 mV).
    """
    if stop <= start:
        return int(start)
    return int(find_peaks_in_segments(signal, np.array([start]), np.array([stop]))[0])
