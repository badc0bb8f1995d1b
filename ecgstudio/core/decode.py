"""From per-sample class probabilities to a valid track of waves.

The segmentation model gives, for every sample, the probabilities of the six
:class:`~ecgstudio.core.waves.SegmentClass` codes (``0 P, 1 PQ, 2 QR, 3 RS,
4 ST, 5 TP``). :func:`decode` turns them into waves that obey the cyclic order
of a heart beat:

1. **Viterbi decoding** over a six-state hidden Markov model whose only
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
3. **Peaks from the signal**: the sample of largest absolute deviation from
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

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ecgstudio.core.confidence import boundary_confidence
from ecgstudio.core.delineation import Delineation, min_width_samples
from ecgstudio.core.errors import EditError
from ecgstudio.core.spans import overlaps_spans
from ecgstudio.core.t_wave import TEndConfig, refine_t_ends, smooth
from ecgstudio.core.waves import SegmentClass, Wave, WaveKind

N_CLASSES = 6

#: Legal changes of class between two consecutive samples (self-loops aside).
ALLOWED_TRANSITIONS: frozenset[tuple[SegmentClass, SegmentClass]] = frozenset({
    (SegmentClass.TP, SegmentClass.P),
    (SegmentClass.P, SegmentClass.PQ),
    (SegmentClass.PQ, SegmentClass.QR),
    (SegmentClass.TP, SegmentClass.QR),
    (SegmentClass.QR, SegmentClass.RS),
    (SegmentClass.RS, SegmentClass.ST),
    (SegmentClass.ST, SegmentClass.TP),
    (SegmentClass.P, SegmentClass.TP),
})



@dataclass(frozen=True)
class DecodeConfig:
    """Tunable settings of :func:`decode`.

    The defaults are physiological priors. On the 10 QTDB validation records
    of the default model, halving or doubling every duration, P-wave priors
    from 0.2 to 0.8 and floors from 1e-6 to 1e-2 changed no error SD by more
    than 0.3 ms and no sensitivity/PPV by more than 0.3 %; dividing by class
    priors hurt (QRS offset SD 12.5 -> 25 ms), so it is off. Against plain
    per-sample argmax the decoder raised PPV of QRS onset from 98.8 to 99.8 %
    and of R peak from 99.0 to 100 % on the same records.

    Attributes
    ----------
    expected_duration_s : tuple[float, ...]
        Expected duration of each class (``SegmentClass`` order) in seconds;
        leaving a class costs ``log(1 / (duration * fs))``.
    p_wave_prior : float
        Prior probability that a P wave (rather than directly a QRS) follows
        the T-P segment.
    blocked_p_prior : float
        Prior probability that a P wave is followed by a T-P segment instead
        of a QRS complex (blocked P wave).
    min_duration_s : tuple[float, float, float]
        Shortest P wave, QRS complex and QRS offset -> T offset segment kept.
    prob_floor : float
        Probabilities are clipped below at this value before taking logs, so
        one confident wrong sample cannot force a path.
    class_prior : tuple[float, ...] | None
        If given, posteriors are divided by these class frequencies (the
        "scaled likelihoods" of hybrid network/HMM decoders).
    t_peak_smooth_s : float
        T peaks are searched on the signal smoothed by a moving average this
        wide (applied twice, :func:`ecgstudio.core.t_wave.smooth`); 0: raw.
    t_peak_start_fraction : float
        The T-peak search (and its chord) starts this share of the way from
        the QRS offset to the T end, past the ST segment.
    t_end : TEndConfig | None
        Place T ends on the signal (:mod:`ecgstudio.core.t_wave`, trapezium
        area); ``None``: the end of the decoded run.

    The T settings were chosen on the default model's 10 validation records
    (``bench/t_wave_experiment.py``); on its 20 test records they moved the
    pooled T-peak SD from 22.9 to 21.9 ms and the T-end SD from 40.8 to 32.8 ms
    (global track; see ``models/README.md`` for the per-lead figures).
    """

    expected_duration_s: tuple[float, ...] = (0.10, 0.06, 0.04, 0.04, 0.30, 0.35)
    p_wave_prior: float = 0.5
    blocked_p_prior: float = 0.001
    min_duration_s: tuple[float, float, float] = (0.024, 0.024, 0.040)
    prob_floor: float = 1e-4
    class_prior: tuple[float, ...] | None = None
    t_peak_smooth_s: float = 0.06
    t_peak_start_fraction: float = 0.2
    t_end: TEndConfig | None = TEndConfig()

    def min_samples(self, kind: WaveKind, fs: float) -> int:
        """Shortest kept wave of ``kind`` in samples (never below the track's minimum width)."""
        index = {WaveKind.P: 0, WaveKind.QRS: 1, WaveKind.T: 2}[kind]
        return max(min_width_samples(kind, fs), int(round(self.min_duration_s[index] * fs)))


DEFAULT_CONFIG = DecodeConfig()

#: Longest part of a segment searched for its peak, in seconds.
_MAX_PEAK_SEARCH_S: dict[WaveKind, float] = {WaveKind.P: 0.4, WaveKind.QRS: 0.4, WaveKind.T: 1.0}

_CHUNK_S = 4.0
_MARGIN_S = 2.0
_BATCH_SAMPLES = 1 << 21
_NEG = np.float32(-1e9)


# --------------------------------------------------------------------------- HMM
def _transition_tables(fs: float, config: DecodeConfig) -> tuple[np.ndarray, np.ndarray]:
    """Predecessor table ``(6, 3)`` (column 0 = self) and its log-costs."""
    branch = {
        (SegmentClass.TP, SegmentClass.P): config.p_wave_prior,
        (SegmentClass.TP, SegmentClass.QR): 1.0 - config.p_wave_prior,
        (SegmentClass.P, SegmentClass.PQ): 1.0 - config.blocked_p_prior,
        (SegmentClass.P, SegmentClass.TP): config.blocked_p_prior,
    }
    preds = np.zeros((N_CLASSES, 3), dtype=np.intp)
    costs = np.full((N_CLASSES, 3), _NEG, dtype=np.float32)

    def leave(state: int) -> float:
        return min(0.5, 1.0 / max(config.expected_duration_s[state] * fs, 1.0))

    for state in SegmentClass:
        preds[state, 0] = state
        costs[state, 0] = math.log(1.0 - leave(state))
    filled = np.ones(N_CLASSES, dtype=np.intp)
    for src, dst in sorted(ALLOWED_TRANSITIONS):
        k = filled[dst]
        preds[dst, k] = src
        costs[dst, k] = math.log(max(leave(src) * branch.get((src, dst), 1.0), 1e-30))
        filled[dst] += 1
    for row in range(N_CLASSES):  # pad unused columns with a never-chosen self-loop
        preds[row, filled[row]:] = row
    return preds, costs


def _viterbi_batch(log_emis: np.ndarray, preds: np.ndarray, costs: np.ndarray) -> np.ndarray:
    """Best paths of a batch of chunks.

    Parameters
    ----------
    log_emis : np.ndarray
        float32, shape ``(T, B, 6)``: log-probabilities, time first.

    Returns
    -------
    np.ndarray
        int8, shape ``(B, T)``.
    """
    n_steps, batch, _ = log_emis.shape
    # Each state has itself and at most two predecessors: three explicit
    # candidates are far cheaper than a gather + argmax over a size-3 axis.
    took1 = np.empty((n_steps, batch, N_CLASSES), dtype=bool)
    took2 = np.empty((n_steps, batch, N_CLASSES), dtype=bool)
    p1, p2 = preds[:, 1], preds[:, 2]
    c0, c1, c2 = costs[:, 0], costs[:, 1], costs[:, 2]
    delta = log_emis[0].copy()
    for t in range(1, n_steps):
        stay = delta + c0
        via1 = delta[:, p1]
        via1 += c1
        via2 = delta[:, p2]
        via2 += c2
        np.greater(via1, stay, out=took1[t])
        np.maximum(stay, via1, out=stay)
        np.greater(via2, stay, out=took2[t])
        np.maximum(stay, via2, out=stay)
        stay += log_emis[t]
        delta = stay
        if t % 64 == 0:
            delta -= delta.max(axis=1, keepdims=True)
    path = np.empty((batch, n_steps), dtype=np.int8)
    state = delta.argmax(axis=1)
    rows = np.arange(batch)
    path[:, -1] = state
    for t in range(n_steps - 1, 0, -1):
        state = np.where(took2[t, rows, state], p2[state], np.where(took1[t, rows, state], p1[state], state))
        path[:, t - 1] = state
    return path


def viterbi_path(probs: np.ndarray, fs: float, config: DecodeConfig = DEFAULT_CONFIG) -> np.ndarray:
    """Most likely class sequence that obeys :data:`ALLOWED_TRANSITIONS`.

    Parameters
    ----------
    probs : np.ndarray
        shape ``(n_samples, 6)``, per-sample class probabilities.
    fs : float
        Sampling frequency in Hz (sets the transition costs and chunk sizes).
    config : DecodeConfig
        Transition priors and emission settings.

    Returns
    -------
    np.ndarray
        int8, shape ``(n_samples,)``, :class:`SegmentClass` codes.
    """
    probs = _check_probs(probs)
    n = probs.shape[0]
    preds, costs = _transition_tables(fs, config)
    floor = np.float32(config.prob_floor)
    scale = None if config.class_prior is None else (1.0 / np.asarray(config.class_prior, np.float32))
    core = max(16, int(round(_CHUNK_S * fs)))
    margin = max(4, min(core // 2, int(round(_MARGIN_S * fs))))
    length = core + 2 * margin
    if n <= length:
        emis = _log_emissions(probs, np.zeros(1, np.intp), n, floor, scale)
        return _viterbi_batch(emis, preds, costs)[0]
    n_chunks = -(-n // core)
    window_starts = np.clip(np.arange(n_chunks) * core - margin, 0, n - length)
    paths = np.empty((n_chunks, length), dtype=np.int8)
    per_batch = max(1, _BATCH_SAMPLES // length)
    for lo in range(0, n_chunks, per_batch):
        hi = min(n_chunks, lo + per_batch)
        emis = _log_emissions(probs, window_starts[lo:hi], length, floor, scale)
        paths[lo:hi] = _viterbi_batch(emis, preds, costs)
    return _stitch(paths, window_starts, core, margin, n)


def _log_emissions(
    probs: np.ndarray, window_starts: np.ndarray, length: int, floor: np.float32, scale: np.ndarray | None,
) -> np.ndarray:
    """float32 ``(length, n_windows, 6)`` log-probabilities of the windows."""
    idx = np.arange(length)[:, None] + window_starts[None, :]
    emis = np.fmax(probs[idx], floor, dtype=np.float32)  # fmax: NaN -> floor
    if scale is not None:
        emis *= scale
    np.log(emis, out=emis)
    return emis


def _stitch(paths: np.ndarray, window_starts: np.ndarray, core: int, margin: int, n: int) -> np.ndarray:
    """Join chunk paths where neighbours agree near each core boundary."""
    n_chunks, length = paths.shape
    joins = np.empty(n_chunks - 1, dtype=np.int64)
    offsets = np.arange(-margin, margin)
    order = np.argsort(np.abs(offsets), kind="stable")
    offsets = offsets[order]
    step = max(1, _BATCH_SAMPLES // (2 * margin))
    for lo in range(0, n_chunks - 1, step):
        k = np.arange(lo, min(n_chunks - 1, lo + step))
        bound = (k + 1) * core
        pos = bound[:, None] + offsets[None, :]
        left = pos - window_starts[k][:, None]
        right = pos - window_starts[k + 1][:, None]
        valid = (left >= 0) & (left < length) & (right >= 0) & (right < length) & (pos < n)
        a = paths[k[:, None], np.clip(left, 0, length - 1)]
        b = paths[k[:, None] + 1, np.clip(right, 0, length - 1)]
        agree = valid & (a == b)
        first = agree.argmax(axis=1)
        found = agree[np.arange(len(k)), first]
        chosen = pos[np.arange(len(k)), first]
        fallback = np.clip(bound, window_starts[k + 1], window_starts[k] + length - 1)
        joins[k] = np.where(found, chosen, fallback)
    out = np.empty(n, dtype=np.int8)
    edges = np.concatenate(([0], joins, [n]))
    for c in range(n_chunks):
        a, b = int(edges[c]), int(edges[c + 1])
        if b > a:
            w = int(window_starts[c])
            out[a:b] = paths[c, a - w:b - w]
    return out


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
    per_batch = max(1, (4 * _BATCH_SAMPLES) // (span * n_leads))
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


def _check_probs(probs: np.ndarray) -> np.ndarray:
    arr = np.asarray(probs)
    if arr.ndim != 2 or arr.shape[1] != N_CLASSES or arr.shape[0] < 1:
        raise ValueError(f"probabilities must have shape (n_samples, {N_CLASSES}), got {arr.shape}")
    if arr.dtype not in (np.float16, np.float32):  # float16 is read chunk by chunk, never copied whole
        arr = arr.astype(np.float32)
    return arr
