"""The training loss: weighted cross-entropy divided by the sum of the weights, not by the number of samples."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ecgstudio.ml.model import build_model
from ecgstudio.ml.train import FitConfig, compile_for_training


def _batch_loss(model: Any, x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """The compiled loss on one batch, as ``train_on_batch`` computes it (without the update)."""
    return float(np.asarray(model.test_on_batch(x, y, sample_weight=w)).reshape(-1)[0])


def test_a_batch_with_few_labelled_samples_has_the_loss_of_those_samples_alone() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 64, 1)).astype(np.float32)
    y = rng.integers(0, 6, (4, 64)).astype(np.int8)
    w = np.zeros((4, 64), dtype=np.float32)
    w[0, 10:20] = 1.0  # a short reviewed span: 10 of 256 samples
    model = build_model(seed=0, units=4, l2=0.0)  # no regularisation term: the loss is the cross-entropy only
    compile_for_training(model, FitConfig())

    probs = np.asarray(model.predict_on_batch(x), dtype=np.float64)
    p_true = np.take_along_axis(probs, y[..., None].astype(np.int64), axis=-1)[..., 0]
    alone = float(np.mean(-np.log(p_true[0, 10:20])))

    assert _batch_loss(model, x, y, w) == pytest.approx(alone, rel=1e-4)
    assert _batch_loss(model, x[:1], y[:1], w[:1]) == pytest.approx(alone, rel=1e-4)
    w_full = np.ones_like(w)
    assert _batch_loss(model, x, y, w_full) == pytest.approx(float(np.mean(-np.log(p_true))), rel=1e-4)
