"""Windows of fine-tuning's reviewed material, for training or validation.

One segment per labelled lead of each :class:`~ecgstudio.app.finetune_data.RecordMaterial`;
only windows holding enough weighted (reviewed) samples are indexed
(:func:`build_windows`). Re-exported by :mod:`ecgstudio.app.finetune_data`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ecgstudio.app.dataset import LabelledLead
from ecgstudio.ml.batches import WindowSet, labelled_window_starts

if TYPE_CHECKING:
    from ecgstudio.app.finetune_data import RecordMaterial

#: Minimum weighted share of a window for it to be trained on.
MIN_WEIGHTED_FRACTION = 0.05


def _padded(lead: LabelledLead, window: int) -> LabelledLead:
    """A lead shorter than one window, padded with zero signal and zero weight."""
    pad = window - lead.signal.size
    if pad <= 0:
        return lead
    return replace(lead, signal=np.concatenate([lead.signal, np.zeros(pad, np.float32)]),
                   classes=np.concatenate([lead.classes, np.full(pad, 5, np.int8)]),
                   weights=np.concatenate([lead.weights, np.zeros(pad, np.float32)]))


def build_windows(materials: list[RecordMaterial], *, window: int, hop: int, jitter: int = 0) -> WindowSet:
    """Windows of the reviewed material, for training or validation.

    Parameters
    ----------
    materials : list[RecordMaterial]
        Records (possibly restricted in time) read with ``with_signal=True``.
    window, hop : int
        Window length and hop at :data:`~ecgstudio.ml.preprocess.MODEL_FS`, in samples.
    jitter : int
        Random shift of window starts when sampled for training.

    Returns
    -------
    WindowSet
        One segment per labelled lead; indexed windows (every ``hop``
        samples) hold at least :data:`MIN_WEIGHTED_FRACTION` weighted
        samples. Empty (``len == 0``) when nothing is weighted.
    """
    signals: list[np.ndarray] = []
    classes: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    index: list[np.ndarray] = []
    for material in materials:
        for lead in material.leads:
            lead = _padded(lead, window)
            starts = labelled_window_starts(lead.weights > 0, window, hop, MIN_WEIGHTED_FRACTION)
            if starts.size == 0:
                continue
            index.append(np.stack([np.full(starts.size, len(signals), dtype=np.int64), starts], axis=1))
            signals.append(lead.signal)
            classes.append(lead.classes)
            weights.append(lead.weights)
    rows = np.concatenate(index) if index else np.zeros((0, 2), dtype=np.int64)
    return WindowSet(signals, classes, weights, rows, window, jitter=jitter)
