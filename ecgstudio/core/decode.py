"""From per-sample class probabilities to a valid track of waves.

The segmentation model gives, for every sample, the probabilities of the six
:class:`~ecgstudio.core.waves.SegmentClass` codes (``0 P, 1 PQ, 2 QR, 3 RS,
4 ST, 5 TP``). :func:`decode` turns them into waves that obey the cyclic order
of a heart beat:

1. **Viterbi decoding** (:mod:`ecgstudio.core.viterbi`) over a six-state hidden Markov model whose only
   transitions are the self-loops and ``TP->P, P->PQ, PQ->QR, TP->QR
   (no P wave), QR->RS, RS->ST, ST->TP`` plus the rare ``P->TP`` (a blocked P
   wave, penalised). Emissions are the log-probabilities; leaving a state
   costs ``log(1 / expected duration)``, so a one-sample blip can never
   start a wave: a spurious QRS label inside a T-P segment would have to be
   followed by RS, ST and TP, and loses to staying in TP. The record is cut
   into overlapping chunks decoded together (vectorised over chunks, so a
   24-hour record takes seconds and little memory); neighbouring chunks are
   joined where their paths agree inside the overlap, which keeps the
   transitions legal.
2. **Waves from runs**: a P run is a P wave ``[onset, offset)``; a block of
   QR/RS labels is a QRS complex; an ST run is a T wave with its offset at the
   run's end (T onset unknown: ``None``). Waves cut by the record's ends and
   runs shorter than ``DecodeConfig.min_duration_s`` are dropped.
3. **R peaks from the model**: a QRS complex's R peak is its ``QR -> RS``
   transition in the decoded path, the boundary the model was trained to put
   at the annotators' R mark (``DecodeConfig.r_peak``; chosen on the
   development records, ``bench/r_peak_experiment.py``: global-track R SD
   6.8 -> 6.2 ms on the QTDB validation records, 12.3 -> 8.5 ms on LUDB 1-50
   against the signal rule below).
   **P and T peaks from the signal** (:mod:`ecgstudio.core.peaks`): the sample of largest absolute deviation from
   the straight line joining the signal at the segment's two ends (for T the
   segment is QRS offset -> T offset). On several leads the deviations are
   combined as the energy envelope ``sum over leads of deviation**2`` (in
   physical units, so the lead where the wave is largest leads). Measured on
   all 105 QTDB records with the ``q1c`` boundaries given, the peaks found this
   way deviate from the ``q1c`` peaks with SD 12.9 (P), 12.3 (R) and 24.4 ms
   (T), against 14.4/15.6/31.4 ms on lead 0 alone and 13.1/13.8/26.7 ms on
   the lead of largest energy.
4. **Confidence**: the sharpness of the wave's weaker boundary in the model's
   probabilities, in ``[0, 1]`` (:mod:`ecgstudio.core.confidence`, measured to
   single out the waves with the largest boundary errors on QTDB). The GUI walks
   the least confident waves with ``U``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ecgstudio.core.confidence import boundary_confidence
from ecgstudio.core.decode_config import DEFAULT_CONFIG, DecodeConfig
from ecgstudio.core.delineation import Delineation, min_width_samples
from ecgstudio.core.errors import EditError
from ecgstudio.core.peaks import find_peaks_in_segments
from ecgstudio.core.spans import overlaps_spans
from ecgstudio.core.t_wave import TEndConfig, refine_t_ends, smooth
from ecgstudio.core.viterbi import ALLOWED_TRANSITIONS, N_CLASSES, _check_probs, viterbi_path
from ecgstudio.core.waves import Wave, WaveKind

__all__ = ["ALLOWED_TRANSITIONS", "DEFAULT_CONFIG", "N_CLASSES", "DecodeConfig", "decode", "find_peaks_in_segments",
           "viterbi_path"]

#: Longest part of a segment searched for its peak, in seconds.
_MAX_PEAK_SEARCH_S: dict[WaveKind, float] = {WaveKind.P: 0.4, WaveKind.QRS: 0.4, WaveKind.T: 1.0}


# --------------------------------------------------------------------------- waves
def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    change = np.flatnonzero(values[1:] != values[:-1]) + 1
    starts = np.concatenate(([0], change)).astype(np.int64)
    stops = np.concatenate((change, [values.size])).astype(np.int64)
    return starts, stops, values[starts]


def _prepare_signal(signal: np.ndarray, n: int) -> np.ndarray:
    sig = np.asarray(signal)
    if sig.ndim == 1:
        sig = sig[:, None]
    if sig.ndim != 2 or sig.shape[0] != n:
        raise ValueError(f"signal must have shape ({n},) or ({n}, leads), got {np.shape(signal)}")
    return sig


def decode(
    probs: np.ndarray,
    signal: np.ndarray,
    fs: float,
    *,
    lead: int | None = None,
    name: str = "model",
    config: DecodeConfig = DEFAULT_CONFIG,
    excluded: Sequence[np.ndarray | None] | None = None,
    unannotated: np.ndarray | None = None,
    path: np.ndarray | None = None,
) -> Delineation:
    """Waves of one track from per-sample class probabilities.

    Parameters
    ----------
    probs : np.ndarray
        shape ``(n_samples, 6)``, class probabilities per sample
        (:class:`SegmentClass` order); rows need not sum to one exactly.
        float16 input is processed without a float32 copy of the whole array.
    signal : np.ndarray
        shape ``(n_samples,)`` or ``(n_samples, n_leads)`` in physical units,
        used to place the peaks (all leads combined for a global track).
    fs : float
        Sampling frequency in Hz.
    lead : int | None
        Lead index of the produced track (``None``: global).
    name : str
        Track name.
    config : DecodeConfig
        Decoder settings (the defaults suit QTDB-like data).
    excluded : sequence of np.ndarray | None
        Per lead of ``signal``, sorted ``(k, 2)`` sample spans where the lead is
        unusable: peaks are placed from the other leads there
        (:func:`find_peaks_in_segments`).
    unannotated : np.ndarray | None
        Sorted ``(k, 2)`` sample spans where no lead is usable: no wave
        overlaps or touches them (waves cut by their edges are dropped too).
    path : np.ndarray | None
        ``viterbi_path(probs, fs, config)`` when already computed (e.g. for
        many records at once by :func:`ecgstudio.core.decode_batch.viterbi_paths`).

    Returns
    -------
    Delineation
        P waves and QRS complexes with onset, peak and offset; T waves with
        peak and offset (onset ``None``); every wave with a ``confidence`` in
        ``[0, 1]``. Offsets are exclusive ends of the decoded runs, as in
        :func:`ecgstudio.core.masks.to_mask`.

    Raises
    ------
    ValueError
        If the shapes do not match or ``fs`` is not positive.
    """
    if not fs > 0:
        raise ValueError(f"sampling frequency must be positive, got {fs}")
    probs = _check_probs(probs)
    n = probs.shape[0]
    sig = _prepare_signal(signal, n)
    if path is None:
        path = viterbi_path(probs, fs, config)
    coarse = np.array([0, 1, 2, 2, 4, 5], dtype=np.int8)[path]
    starts, stops, values = _runs(coarse)
    void = overlaps_spans(unannotated, starts - 1, stops)  # runs touching an unannotated span
    complete = (starts > 0) & (stops <= n - 1) & ~void
    kinds = {WaveKind.P: 0, WaveKind.QRS: 2, WaveKind.T: 4}
    selected: dict[WaveKind, np.ndarray] = {}
    for kind, code in kinds.items():
        min_len = config.min_samples(kind, fs)
        keep = (values == code) & (stops - starts >= min_len)
        keep &= complete if kind is not WaveKind.T else (stops <= n - 1) & ~void
        selected[kind] = np.flatnonzero(keep)
    peaks: dict[WaveKind, np.ndarray] = {}
    for kind, rows in selected.items():
        a, b = starts[rows], stops[rows]
        if kind is WaveKind.QRS and config.r_peak == "model":
            peaks[kind] = _model_r_peaks(path, a, b)  # from the path: no search on the signal
            continue
        search = b - min_width_samples(kind, fs) if kind is WaveKind.T else b
        where = sig
        if kind is WaveKind.T:
            a = np.minimum(a + np.round(config.t_peak_start_fraction * (b - a)).astype(np.int64), search)
            where = smooth(sig, int(round(config.t_peak_smooth_s * fs))) if config.t_peak_smooth_s > 0 else sig
        peaks[kind] = find_peaks_in_segments(
            where, a, b, search_stops=search, max_search=int(round(_MAX_PEAK_SEARCH_S[kind] * fs)), excluded=excluded)
    if config.t_end is not None and selected[WaveKind.T].size:
        stops = _refined_t_ends(sig, starts, stops, selected[WaveKind.T], peaks[WaveKind.T], fs, config.t_end,
                                excluded)
    all_rows = np.concatenate([selected[k] for k in kinds])
    all_kinds = np.concatenate([np.full(selected[k].size, i) for i, k in enumerate(kinds)])
    all_peaks = np.concatenate([peaks[k] for k in kinds])
    order = np.argsort(all_rows, kind="stable")
    all_rows, all_kinds, all_peaks = all_rows[order], all_kinds[order], all_peaks[order]
    # A T wave must follow a QRS complex (its own QRS may have been too short).
    prev = np.concatenate(([1], all_kinds[:-1]))
    ok = (all_kinds != 2) | (prev == 1)
    all_rows, all_kinds, all_peaks = all_rows[ok], all_kinds[ok], all_peaks[ok]
    kind_list = list(kinds)
    # confidence: sharpness of the weaker boundary (core.confidence, measured on QTDB)
    confidence = boundary_confidence(probs, starts[all_rows], stops[all_rows], values[all_rows], fs)
    waves = [
        Wave(kind_list[k], None if k == 2 else int(starts[r]), int(p), int(stops[r]), lead, None,
             float(c))
        for r, k, p, c in zip(all_rows.tolist(), all_kinds.tolist(), all_peaks.tolist(), confidence.tolist(),
                              strict=True)
    ]
    try:  # valid by construction; the strict check is twice as fast as the lenient one
        return Delineation(waves, n_samples=n, fs=fs, lead=lead, name=name)
    except EditError:  # pragma: no cover - defensive: drop whatever breaks a rule
        track, _ = Delineation.from_waves_lenient(waves, n_samples=n, fs=fs, lead=lead, name=name)
        return track


def _model_r_peaks(path: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """R peak of each QRS run ``[start, stop)``: its first ``RS`` sample of the decoded path (the QR -> RS boundary).

    Falls back to the run's middle where the run has no ``QR`` -> ``RS`` transition (cut by a chunk edge).
    """
    rs_starts = np.flatnonzero((path[1:] == 3) & (path[:-1] == 2)) + 1
    i = np.searchsorted(rs_starts, starts, side="right")
    found = rs_starts[np.minimum(i, max(rs_starts.size - 1, 0))] if rs_starts.size else starts
    inside = (i < rs_starts.size) & (found < stops)
    return np.where(inside, found, (starts + stops) // 2).astype(np.int64)


def _refined_t_ends(
    sig: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
    rows: np.ndarray,
    peaks: np.ndarray,
    fs: float,
    config: TEndConfig,
    excluded: Sequence[np.ndarray | None] | None,
) -> np.ndarray:
    """``stops`` with the T runs' ends (``rows``) placed on the signal; a T end stays before the next wave."""
    n = sig.shape[0]
    ends = stops[rows]
    ok = (peaks < ends) & (ends - peaks <= int(_MAX_PEAK_SEARCH_S[WaveKind.T] * fs))
    rows, peaks, ends = rows[ok], peaks[ok], ends[ok]
    after = rows + 2  # ST -> TP -> the next wave's run
    limits = np.where(after < starts.size, starts[np.minimum(after, starts.size - 1)] - 1, n - 1)
    limits = np.minimum(limits, n - 1)
    usable = None
    if excluded is not None and any(e is not None and len(e) for e in excluded):
        xr = np.minimum(ends + int(round(config.reach_s * fs)), n - 1)
        usable = np.stack([~overlaps_spans(e, peaks, xr) for e in excluded], axis=1)
        usable[~usable.any(axis=1)] = True
    y = smooth(sig, int(round(config.smooth_s * fs)))
    refined = np.maximum(refine_t_ends(y, peaks, ends, limits, fs, config, usable),
                         peaks + min_width_samples(WaveKind.T, fs))
    out = stops.copy()
    out[rows] = np.where(refined <= np.maximum(limits, ends), refined, ends)
    return out
