"""Beat labels (``N``, ``V``, ``A`` ...) from a beat annotation file onto delineated QRS complexes.

A record's beat file (MIT-BIH ``atr``) marks each beat with one sample, near
the R peak, and a symbol. :func:`label_qrs` gives each QRS complex of a track
the symbol of the beat annotation that matches it:

* a QRS is located at its peak (or, without a peak, at the middle of
  ``start..offset``);
* a beat annotation matches the QRS it lies inside (``start <= s <= offset``)
  or one whose location is at most ``tolerance_s`` away; of several, the
  nearest to the location;
* each beat annotation labels at most one QRS (the nearest of those that
  chose it);
* unmatched QRS complexes keep their symbol; P and T waves are never changed.

Pure numpy; the reading lives in :mod:`ecgstudio.io.beats`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ecgstudio.core.waves import DEFAULT_SYMBOL, QRS_SYMBOLS, Wave, WaveKind

#: Default largest distance (seconds) between a QRS's peak and its beat annotation.
DEFAULT_TOLERANCE_S = 0.150


def match_beats(
    start: np.ndarray,
    location: np.ndarray,
    offset: np.ndarray,
    beat_samples: np.ndarray,
    tolerance: float,
) -> np.ndarray:
    """Index of the beat annotation matched to each QRS complex, or -1.

    Parameters
    ----------
    start, location, offset : np.ndarray
        int64, shape ``(n_qrs,)``: first sample, peak (or centre) and offset of
        each QRS (any order).
    beat_samples : np.ndarray
        int64, shape ``(n_beats,)``: sorted beat annotation samples.
    tolerance : float
        Largest ``|beat - location|`` in samples for a beat outside the QRS.

    Returns
    -------
    np.ndarray
        int64, shape ``(n_qrs,)``: index into ``beat_samples``, -1 where no
        beat annotation matches (see the module docs for the rules).
    """
    start = np.asarray(start, dtype=np.int64)
    location = np.asarray(location, dtype=np.int64)
    offset = np.asarray(offset, dtype=np.int64)
    beats = np.asarray(beat_samples, dtype=np.int64)
    n = location.size
    out = np.full(n, -1, dtype=np.int64)
    if n == 0 or beats.size == 0:
        return out
    # the nearest beat on each side of the location is the best candidate on that side
    right = np.searchsorted(beats, location, side="left")
    left = right - 1
    cand = np.stack([np.clip(left, 0, beats.size - 1), np.clip(right, 0, beats.size - 1)])
    exists = np.stack([left >= 0, right < beats.size])
    s = beats[cand]
    dist = np.abs(s - location).astype(np.float64)
    ok = exists & ((dist <= tolerance) | ((s >= start) & (s <= offset)))
    dist = np.where(ok, dist, np.inf)
    side = np.argmin(dist, axis=0)  # ties go to the earlier beat
    cols = np.arange(n)
    best = cand[side, cols]
    best_dist = dist[side, cols]
    matched = np.isfinite(best_dist)
    if not matched.any():
        return out
    # one QRS per beat annotation: the nearest of those that chose it
    idx = np.flatnonzero(matched)
    order = np.lexsort((best_dist[idx], best[idx]))
    idx = idx[order]
    first = np.ones(idx.size, dtype=bool)
    first[1:] = best[idx][1:] != best[idx][:-1]
    keep = idx[first]
    out[keep] = best[keep]
    return out


def label_qrs(
    waves: Sequence[Wave],
    beat_samples: np.ndarray,
    beat_symbols: Sequence[str],
    fs: float,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> tuple[list[Wave], int]:
    """The waves with each matched QRS complex's symbol set from the beat annotations.

    Parameters
    ----------
    waves : Sequence[Wave]
        Waves of one track, sorted by start (as a
        :class:`~ecgstudio.core.delineation.Delineation` holds them).
    beat_samples : np.ndarray
        int, shape ``(n_beats,)``: beat annotation samples, in the waves'
        sample frame (any order).
    beat_symbols : Sequence[str]
        Beat symbol of each annotation (``N``, ``V``, ``A`` ...); symbols that
        are not beat labels (:data:`~ecgstudio.core.waves.QRS_SYMBOLS`) are ignored.
    fs : float
        Sampling frequency in Hz.
    tolerance_s : float
        Largest distance in seconds between a QRS's peak and a beat annotation
        outside the QRS (default 150 ms).

    Returns
    -------
    waves : list[Wave]
        Same length and order as ``waves``; a matched QRS gets the beat's symbol
        (``N`` is stored as ``None``, the default), every other wave is the
        same object as given.
    n_matched : int
        Number of QRS complexes that matched a beat annotation.

    Raises
    ------
    ValueError
        If ``beat_samples`` and ``beat_symbols`` differ in length, or ``fs`` or
        ``tolerance_s`` is not positive / negative.
    """
    samples = np.asarray(beat_samples, dtype=np.int64).reshape(-1)
    symbols = list(beat_symbols)
    if samples.size != len(symbols):
        raise ValueError(f"{samples.size} beat samples but {len(symbols)} symbols")
    if not (fs > 0 and np.isfinite(fs)):
        raise ValueError(f"sampling frequency must be positive, got {fs}")
    if not (tolerance_s >= 0 and np.isfinite(tolerance_s)):
        raise ValueError(f"tolerance must be a non-negative number of seconds, got {tolerance_s}")
    is_beat = np.fromiter((s in QRS_SYMBOLS for s in symbols), dtype=bool, count=len(symbols))
    samples = samples[is_beat]
    symbols = [s for s, b in zip(symbols, is_beat, strict=True) if b]
    order = np.argsort(samples, kind="stable")
    samples = samples[order]
    symbols = [symbols[i] for i in order]
    out = list(waves)
    qrs = [i for i, w in enumerate(out) if w.kind is WaveKind.QRS]
    if not qrs or not samples.size:
        return out, 0
    start = np.fromiter((out[i].start for i in qrs), dtype=np.int64, count=len(qrs))
    offset = np.fromiter((out[i].offset for i in qrs), dtype=np.int64, count=len(qrs))
    peak = np.fromiter((-1 if out[i].peak is None else out[i].peak for i in qrs), dtype=np.int64,
                       count=len(qrs))
    location = np.where(peak >= 0, peak, start + (offset - start) // 2)
    matched = match_beats(start, location, offset, samples, tolerance_s * fs)
    default = DEFAULT_SYMBOL[WaveKind.QRS]
    n_matched = 0
    for k, beat in enumerate(matched.tolist()):
        if beat < 0:
            continue
        n_matched += 1
        symbol = symbols[beat]
        symbol = None if symbol == default else symbol
        wave = out[qrs[k]]
        if wave.symbol != symbol:
            out[qrs[k]] = replace(wave, symbol=symbol)
    return out, n_matched
