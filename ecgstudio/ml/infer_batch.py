"""Fused class probabilities of many records in shared model calls (``annotate`` on archives).

A ten-second record needs only a few dozen model windows, so running records
one by one pays the model call's fixed cost per time step for small batches.
:func:`predict_proba_many` fills each model call with the windows of several
records; every record's probabilities are accumulated exactly as
:func:`~ecgstudio.ml.infer.predict_proba` accumulates them alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ecgstudio.ml.infer import _stitched, window_config
from ecgstudio.ml.preprocess import map_to_input, prepare_leads
from ecgstudio.ml.windows import effective_window

#: Samples per model call for many records: bigger batches than one record fills (~460 MB of
#: temporaries at most).
MANY_BATCH_SAMPLES = 256_000


def predict_proba_many(
    model: Any,
    metadata: dict[str, Any],
    signals: Sequence[np.ndarray],
    fs: float,
    *,
    batch_samples: int = MANY_BATCH_SAMPLES,
    prepared: Sequence[list[np.ndarray] | None] | None = None,
) -> list[np.ndarray]:
    """``[predict_proba(model, metadata, s, fs) for s in signals]`` in shared model calls.

    Parameters
    ----------
    model, metadata
        From :func:`~ecgstudio.ml.model.load_model_pair`.
    signals : sequence of np.ndarray
        Per record, shape ``(n_samples, n_leads)`` mV with ``n_leads >= 1``;
        every record of the same ``n_samples`` (group records by length).
    fs : float
        Sampling frequency in Hz of every record.
    batch_samples : int
        Samples per model call (windows x window length).
    prepared : sequence | None
        Per record, its leads already prepared by
        :func:`~ecgstudio.ml.preprocess.prepare_leads` (e.g. in a reader
        thread), or ``None`` to prepare them here.

    Returns
    -------
    list[np.ndarray]
        float32 ``(n_samples, 6)`` per record: the mean over its leads.
    """
    if not signals:
        return []
    n = signals[0].shape[0]
    if any(s.ndim != 2 or s.shape[0] != n or s.shape[1] < 1 for s in signals):
        raise ValueError("predict_proba_many needs records of the same length with at least one lead each")
    window, hop, ramp = window_config(metadata)
    ready = list(prepared) if prepared is not None else [None] * len(signals)
    if len(ready) != len(signals):
        raise ValueError("prepared must give one entry per record")
    if any(p is not None and len(p) != s.shape[1] for s, p in zip(signals, ready, strict=True)):
        raise ValueError("prepared must hold one prepared lead per signal column")
    leads = [lead for s, p in zip(signals, ready, strict=True) for lead in (p if p is not None else prepare_leads(s, fs))]
    acc_of = np.repeat(np.arange(len(signals)), [s.shape[1] for s in signals])
    win = effective_window(leads[0].shape[0], window)
    stitched = _stitched(model, leads, window=window, hop=hop, ramp=ramp, fused=True,
                         batch_size=max(1, batch_samples // win), on_batch=None, cancel=None, acc_of=acc_of)
    return [map_to_input(total, n, fs, copy=False) for total in stitched]
