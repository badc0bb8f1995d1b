"""The training loop: it learns, respects frozen layers, stops early and can be cancelled."""

from __future__ import annotations

import numpy as np
import pytest

from ecgstudio.ml.batches import Augment, WindowSet, labelled_window_starts, model_batch
from ecgstudio.ml.cancel import Cancelled
from ecgstudio.ml.model import build_model
from ecgstudio.ml.train import FitConfig, evaluate_windows, fit_arrays


def _toy(n: int, length: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows whose class is 2 (QR) where the signal is high and 5 (TP) elsewhere; half unlabelled."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, length), dtype=np.float32)
    for i in range(n):
        s = rng.integers(5, length - 20)
        x[i, s:s + 10] = 1.0
    x += 0.05 * rng.standard_normal(x.shape).astype(np.float32)
    y = np.where(x > 0.5, 2, 5).astype(np.int8)
    w = np.ones_like(x)
    w[:, : length // 4] = 0.0
    return x, y, w


@pytest.mark.slow
def test_a_few_training_steps_decrease_the_weighted_loss() -> None:
    x, y, w = _toy(48)
    xv, yv, wv = _toy(16, seed=1)
    model = build_model(seed=0)
    val = WindowSet.from_arrays(xv, yv, wv)
    before = evaluate_windows(model, val, np.arange(len(val)))
    history = fit_arrays(model, x, y, w, xv, yv, wv,
                         config=FitConfig(epochs=4, batch_size=16, lr=3e-3, augment=None, seed=0))
    after = evaluate_windows(model, val, np.arange(len(val)))
    assert after["loss"] < before["loss"] - 0.05
    assert len(history["loss"]) == history["epochs_run"] <= 4
    assert history["best_epoch"] >= 1
    assert min(history["val_loss"]) == pytest.approx(after["loss"], rel=1e-3)  # best weights are kept


def test_frozen_layers_do_not_change() -> None:
    x, y, w = _toy(16)
    model = build_model(seed=1)
    frozen_before = [v.copy() for v in model.get_layer("dense_in").get_weights()]
    free_before = [v.copy() for v in model.get_layer("classes").get_weights()]
    fit_arrays(model, x, y, w, config=FitConfig(epochs=1, batch_size=8, freeze_layers=2, augment=None))
    for a, b in zip(frozen_before, model.get_layer("dense_in").get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b)
               for a, b in zip(free_before, model.get_layer("classes").get_weights(), strict=True))


def test_cancel_stops_training_with_cancelled() -> None:
    x, y, w = _toy(32)
    model = build_model(seed=2)
    trained: list[int] = []
    train_on_batch = model.train_on_batch

    def counted(*args, **kwargs):
        trained.append(len(args[0]))
        return train_on_batch(*args, **kwargs)

    model.train_on_batch = counted
    steps: list[float] = []
    with pytest.raises(Cancelled):
        fit_arrays(model, x, y, w, config=FitConfig(epochs=3, batch_size=8, augment=None),
                   progress=steps.append, cancel=lambda: len(steps) >= 2)
    # 3 epochs of 4 batches: progress is a share of the whole run, and no batch trains after the request
    assert steps == pytest.approx([1 / 12, 2 / 12])
    assert trained == [8, 8]


def test_unlabelled_samples_do_not_count_in_the_validation_loss() -> None:
    x, y, w = _toy(8)
    model = build_model(seed=3)
    ws = WindowSet.from_arrays(x, y, w)
    y_garbage = y.copy()
    y_garbage[w == 0] = 0
    ws2 = WindowSet.from_arrays(x, y_garbage, w)
    rows = np.arange(8)
    assert evaluate_windows(model, ws, rows)["loss"] == pytest.approx(evaluate_windows(model, ws2, rows)["loss"])


def test_labelled_window_starts_need_half_the_window_labelled() -> None:
    labelled = np.zeros(1000, dtype=bool)
    labelled[300:500] = True
    starts = labelled_window_starts(labelled, 100, 25)
    assert starts.size
    for s in starts:
        assert labelled[s:s + 100].mean() >= 0.5
    assert labelled_window_starts(labelled, 2000, 25).size == 0


def test_augmented_batches_are_normalised_and_keep_labels() -> None:
    rng = np.random.default_rng(0)
    sig = rng.standard_normal(5000).astype(np.float32)
    cls = rng.integers(0, 6, 5000).astype(np.int8)
    wts = np.ones(5000, dtype=np.float32)
    ws = WindowSet([sig], [cls], [wts], np.array([[0, 0], [0, 1000], [0, 4000]]), 1000, jitter=0)
    x, y, w = model_batch(ws, np.array([1, 2]), rng, Augment(probability=1.0))
    assert x.shape == (2, 1000, 1) and x.dtype == np.float32
    np.testing.assert_array_equal(y[0], cls[1000:2000])
    assert np.abs(np.median(x[:, :, 0], axis=1)).max() < 1e-4
    with pytest.raises(ValueError):
        WindowSet([sig], [cls], [wts], np.array([[0, 4500]]), 1000)
