"""Inference over the usable parts of a record, for :mod:`ecgstudio.app.preannotate`.

Long records are inferred one overlapping segment at a time
(:func:`predict_in_segments`); the model sees only the usable leads, with NaN
in their excluded stretches (:func:`usable_signal`); the per-lead
probabilities are fused by their masked mean (:func:`fuse_usable_leads`).
:mod:`ecgstudio.app.preannotate` re-exports every name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ecgstudio.core.quality import LeadQuality
from ecgstudio.core.waves import SegmentClass

ProgressFn = Callable[[float], None]
CancelFn = Callable[[], bool]

#: Records longer than this (seconds) are inferred one segment at a time.
SEGMENT_S = 3600.0

#: Extra signal on each side of a segment (seconds), discarded after inference,
#: so filters and model windows see the same context as in one pass.
SEGMENT_OVERLAP_S = 30.0


def _scaled(progress: ProgressFn | None, lo: float, hi: float) -> ProgressFn | None:
    if progress is None:
        return None
    return lambda fraction: progress(lo + (hi - lo) * min(max(fraction, 0.0), 1.0))


def predict_in_segments(
    predict: Callable[..., np.ndarray],
    model: Any,
    metadata: dict[str, Any],
    signal: np.ndarray,
    fs: float,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    segment_s: float = SEGMENT_S,
    overlap_s: float = SEGMENT_OVERLAP_S,
    reduce: Callable[[np.ndarray, int, int], np.ndarray] | None = None,
) -> np.ndarray:
    """Probabilities of a long record, inferred one overlapping segment at a time.

    Memory stays bounded by one segment's inference plus the output, which is
    kept as float16 for records longer than ``segment_s`` (half the size of
    float32; ample precision for decoding). Shorter records go through
    ``predict`` in one call (float32).

    Parameters
    ----------
    predict : callable
        ``predict_proba`` or ``predict_proba_per_lead`` of :mod:`ecgstudio.ml.infer`.
    signal : np.ndarray
        shape ``(n_samples, n_leads)``.
    reduce : callable | None
        ``reduce(part, lo, hi)`` turns the output for samples ``lo:hi`` into
        what is kept (e.g. per-lead probabilities into their masked mean),
        before the segments are joined.

    Returns
    -------
    np.ndarray
        ``predict``'s (or ``reduce``'s) output for the whole record:
        ``(n_samples, 6)`` or ``(n_leads, n_samples, 6)``.
    """
    n = signal.shape[0]
    seg = max(1, int(round(segment_s * fs)))
    overlap = max(0, int(round(overlap_s * fs)))
    if n <= seg + 2 * overlap:
        whole = predict(model, metadata, signal, fs, progress=progress, cancel=cancel)
        return whole if reduce is None else reduce(whole, 0, n)
    starts = list(range(0, n, seg))
    out: np.ndarray | None = None
    for k, start in enumerate(starts):
        stop = min(n, start + seg)
        lo, hi = max(0, start - overlap), min(n, stop + overlap)
        part = predict(model, metadata, signal[lo:hi], fs,
                       progress=_scaled(progress, k / len(starts), (k + 1) / len(starts)), cancel=cancel)
        if reduce is not None:
            part = reduce(part, lo, hi)
        if out is None:
            shape = list(part.shape)
            shape[-2] = n
            out = np.empty(shape, dtype=np.float16)
        out[..., start:stop, :] = part[..., start - lo:stop - lo, :]
    assert out is not None  # set by the first segment (n > seg: at least one)
    return out


def usable_signal(signal: np.ndarray, leads: Sequence[int], quality: LeadQuality) -> np.ndarray:
    """The signal :func:`~ecgstudio.app.preannotate.preannotate` feeds the model for a global track (usable leads,
    NaN where excluded)."""
    return _usable_signal(signal, leads, quality, relative=True)


def _usable_signal(signal: np.ndarray, leads: Sequence[int], quality: LeadQuality, *,
                   relative: bool) -> np.ndarray:
    """The columns ``leads`` of ``signal``; a copy with NaN (interpolated over by the model's
    preprocessing) in each lead's excluded stretches when it has any."""
    spans = [quality.spans(k, relative=relative) for k in leads]
    if not any(len(s) for s in spans):
        return signal if list(leads) == list(range(signal.shape[1])) else signal[:, leads]
    out = np.array(signal[:, leads], dtype=np.float32)
    for col, lead_spans in enumerate(spans):
        for a, b in lead_spans:
            out[a:b, col] = np.nan
    return out


def _no_waves(probs: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """``probs`` with every sample of ``spans`` set to certain T-P (no wave there)."""
    for a, b in spans:
        probs[a:b] = 0.0
        probs[a:b, SegmentClass.TP] = 1.0
    return probs


def fuse_usable_leads(quality: LeadQuality, leads: Sequence[int]) -> Callable[[np.ndarray, int, int], np.ndarray]:
    """The masked mean of the leads' probabilities, as a ``reduce`` for :func:`predict_in_segments`.

    Parameters
    ----------
    quality : LeadQuality
        Excluded stretches of the record's leads.
    leads : sequence of int
        The leads (record indices) the per-lead probabilities belong to, in order.

    Returns
    -------
    callable
        ``fuse(part, lo, hi)``: per-lead probabilities ``(k, m, 6)`` of samples
        ``lo:hi`` -> float32 ``(m, 6)``, at each sample the mean over the
        leads usable there; certain T-P (no wave) where none is.
    """

    def fuse(part: np.ndarray, lo: int, hi: int) -> np.ndarray:
        weights = quality.usable_mask(leads, lo, hi).astype(np.float32)  # (m, k)
        total = weights.sum(axis=1)
        out = np.einsum("kmc,mk->mc", part, weights, dtype=np.float32)
        none = total == 0
        out /= np.where(none, 1.0, total)[:, None]
        out[none, SegmentClass.TP] = 1.0
        return out

    return fuse
