"""Sample spans: sorted, disjoint, half-open ``[start, stop)`` intervals as int64 arrays of shape ``(k, 2)``."""

from __future__ import annotations

import numpy as np


def true_runs(mask: np.ndarray) -> np.ndarray:
    """int64 ``(k, 2)``: the runs ``[start, stop)`` of True in a 1-D boolean ``mask``."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], np.asarray(mask, dtype=np.int8), [0]))))
    return edges.astype(np.int64).reshape(-1, 2)


def intersect_spans(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """int64 ``(k, 2)``: the samples in both ``a`` and ``b`` (each sorted and disjoint), as spans."""
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if hi > lo:
            out.append((int(lo), int(hi)))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return np.asarray(out, dtype=np.int64).reshape(-1, 2)


def overlaps_spans(spans: np.ndarray | None, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Whether each segment ``[first, last]`` (inclusive samples) overlaps one of ``spans``.

    Parameters
    ----------
    spans : np.ndarray | None
        int, shape ``(k, 2)``, sorted and disjoint ``[start, stop)`` samples.
    first, last : np.ndarray
        int, shape ``(n_segments,)``.

    Returns
    -------
    np.ndarray
        bool, shape ``(n_segments,)``.
    """
    first = np.asarray(first, dtype=np.int64)
    if spans is None or len(spans) == 0:
        return np.zeros(first.shape, dtype=bool)
    spans = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    k = np.searchsorted(spans[:, 0], np.asarray(last, dtype=np.int64), side="right") - 1
    return (k >= 0) & (spans[np.maximum(k, 0), 1] > first)


def inside_spans(samples: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """Whether each of ``samples`` lies in one of ``spans``.

    Parameters
    ----------
    samples : np.ndarray
        int, shape ``(n,)``, sample positions (any order).
    spans : np.ndarray
        int, shape ``(k, 2)``, sorted and disjoint ``[start, stop)`` samples.

    Returns
    -------
    np.ndarray
        bool, shape ``(n,)``.
    """
    samples = np.asarray(samples, dtype=np.int64)
    if len(spans) == 0 or samples.size == 0:
        return np.zeros(samples.shape, dtype=bool)
    i = np.searchsorted(spans[:, 0], samples, side="right") - 1
    ok = i >= 0
    out = np.zeros(samples.shape, dtype=bool)
    out[ok] = samples[ok] < spans[i[ok], 1]
    return out
