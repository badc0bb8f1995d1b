"""Viterbi paths of many tracks at once (``annotate`` on archives of short records).

:func:`~ecgstudio.core.viterbi.viterbi_path` spends almost all of its time in
a per-sample loop whose cost hardly depends on how many sequences it carries;
:func:`viterbi_paths` puts the chunks of many tracks into the same loop. Every
chunk is decoded independently of the others in its batch, so each path is
exactly the one :func:`~ecgstudio.core.viterbi.viterbi_path` returns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ecgstudio.core.decode_config import DEFAULT_CONFIG, DecodeConfig
from ecgstudio.core.viterbi import (
    _BATCH_SAMPLES,
    _check_probs,
    _log_emissions,
    _setup,
    _stitch,
    _viterbi_batch,
)


def viterbi_paths(probs: Sequence[np.ndarray], fs: float, config: DecodeConfig = DEFAULT_CONFIG) -> list[np.ndarray]:
    """``[viterbi_path(p, fs, config) for p in probs]``, with the tracks' chunks decoded together.

    Parameters
    ----------
    probs : sequence of np.ndarray
        Per track, shape ``(n_samples, 6)`` class probabilities (any lengths).
    fs : float
        Sampling frequency in Hz, the same for every track.
    config : DecodeConfig
        Transition priors and emission settings.

    Returns
    -------
    list[np.ndarray]
        int8 ``(n_samples,)`` :class:`~ecgstudio.core.waves.SegmentClass` codes per track.
    """
    probs = [_check_probs(p) for p in probs]
    preds, costs, floor, scale, core, margin, length = _setup(fs, config)
    # jobs: (track, chunk starts, chunk length); tracks no longer than one chunk are one chunk of their length
    jobs: list[tuple[int, np.ndarray, int]] = []
    for i, p in enumerate(probs):
        n = p.shape[0]
        if n <= length:
            jobs.append((i, np.zeros(1, np.intp), n))
        else:
            n_chunks = -(-n // core)
            jobs.append((i, np.clip(np.arange(n_chunks) * core - margin, 0, n - length), length))
    out: list[np.ndarray | None] = [None] * len(probs)
    by_length: dict[int, list[tuple[int, np.ndarray, int]]] = {}
    for job in jobs:
        by_length.setdefault(job[2], []).append(job)
    for steps, group in by_length.items():
        per_batch = max(1, _BATCH_SAMPLES // max(steps, 1))
        rows = [(i, starts) for i, starts, _ in group]
        emis = [_log_emissions(probs[i], starts, steps, floor, scale) for i, starts in rows]
        total = sum(e.shape[1] for e in emis)
        paths = np.empty((total, steps), dtype=np.int8)
        stacked = np.concatenate(emis, axis=1) if steps else np.empty((0, total, 6), np.float32)
        for lo in range(0, total, per_batch):
            paths[lo:lo + per_batch] = _viterbi_batch(stacked[:, lo:lo + per_batch], preds, costs)
        at = 0
        for (i, starts), e in zip(rows, emis, strict=True):
            k = e.shape[1]
            n = probs[i].shape[0]
            out[i] = paths[at] if n <= length else _stitch(paths[at:at + k], starts, core, margin, n)
            at += k
    return out  # type: ignore[return-value]  # every track filled
