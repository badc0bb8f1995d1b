"""Viterbi decoding of per-sample class probabilities under the cyclic order of a heart beat.

A six-state hidden Markov model over the :class:`~ecgstudio.core.waves.SegmentClass` codes
(``0 P, 1 PQ, 2 QR, 3 RS, 4 ST, 5 TP``) whose only transitions are the self-loops and
:data:`ALLOWED_TRANSITIONS`. Emissions are the log-probabilities; leaving a state costs
``log(1 / expected duration)`` (:class:`~ecgstudio.core.decode_config.DecodeConfig`), so a
one-sample blip can never start a wave. The record is cut into overlapping chunks decoded
together (vectorised over chunks, so a 24-hour record takes seconds and little memory);
neighbouring chunks are joined where their paths agree inside the overlap, which keeps the
transitions legal. :mod:`ecgstudio.core.decode` turns the path into waves;
:mod:`ecgstudio.core.decode_batch` decodes the chunks of many records together.
"""

from __future__ import annotations

import math

import numpy as np

from ecgstudio.core.decode_config import DEFAULT_CONFIG, DecodeConfig
from ecgstudio.core.waves import SegmentClass

N_CLASSES = 6

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


def _setup(fs: float, config: DecodeConfig) -> tuple[np.ndarray, np.ndarray, np.float32, np.ndarray | None,
                                                    int, int, int]:
    """Transition tables, emission floor and class scaling, and the chunking (core, margin, length in samples)."""
    preds, costs = _transition_tables(fs, config)
    floor = np.float32(config.prob_floor)
    scale = None if config.class_prior is None else (1.0 / np.asarray(config.class_prior, np.float32))
    core = max(16, int(round(_CHUNK_S * fs)))
    margin = max(4, min(core // 2, int(round(_MARGIN_S * fs))))
    return preds, costs, floor, scale, core, margin, core + 2 * margin


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
    preds, costs, floor, scale, core, margin, length = _setup(fs, config)
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



def _check_probs(probs: np.ndarray) -> np.ndarray:
    arr = np.asarray(probs)
    if arr.ndim != 2 or arr.shape[1] != N_CLASSES or arr.shape[0] < 1:
        raise ValueError(f"probabilities must have shape (n_samples, {N_CLASSES}), got {arr.shape}")
    if arr.dtype not in (np.float16, np.float32):  # float16 is read chunk by chunk, never copied whole
        arr = arr.astype(np.float32)
    return arr
