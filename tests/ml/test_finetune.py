"""ml.finetune: frozen layers stay put, the others learn, scores before/after, bad settings refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecgstudio.core.errors import ModelError
from ecgstudio.ml.batches import WindowSet
from ecgstudio.ml.finetune import FineTuneSettings, finetune_model
from ecgstudio.ml.model import base_metadata, build_model, save_model_pair


def _windows(n: int, seed: int) -> WindowSet:
    """Windows whose class follows the sign of a sine; the second half of every window is unlabelled."""
    rng = np.random.default_rng(seed)
    t = np.arange(200) / 250.0
    x = np.stack([np.sin(2 * np.pi * rng.uniform(2, 4) * t + rng.uniform(0, 6)) for _ in range(n)]).astype(np.float32)
    y = np.where(x > 0, 2, 5).astype(np.int8)
    w = np.zeros_like(x)
    w[:, :100] = 1.0
    return WindowSet.from_arrays(x, y, w)


def test_frozen_layers_keep_their_weights_and_scores_are_reported(tmp_path: Path) -> None:
    save_model_pair(build_model(seed=1, units=4), tmp_path / "base", base_metadata(window_samples=200, hop_samples=100))
    before_bytes = (tmp_path / "base.keras").read_bytes()
    calls: list[str] = []

    run = finetune_model(tmp_path / "base", _windows(16, 0), _windows(4, 1),
                         FineTuneSettings(epochs=2, lr=1e-2, freeze=2, batch_size=4, patience=5),
                         score=lambda model: calls.append("score") or {"extra": 1})

    base_model = build_model(seed=1, units=4)
    for name in ("dense_in", "bilstm"):
        for a, b in zip(run.model.get_layer(name).get_weights(), base_model.get_layer(name).get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    changed = [not np.array_equal(a, b) for a, b in zip(run.model.get_layer("classes").get_weights(),
                                                        base_model.get_layer("classes").get_weights(), strict=True)]
    assert any(changed)
    assert run.before["samples"] == run.after["samples"] == 400
    assert run.before["extra"] == run.after["extra"] == 1 and calls == ["score", "score"]
    assert run.history["epochs_run"] >= 1
    assert (tmp_path / "base.keras").read_bytes() == before_bytes


@pytest.mark.parametrize("settings", [FineTuneSettings(epochs=0), FineTuneSettings(freeze=9),
                                      FineTuneSettings(lr=0.0), FineTuneSettings(steps_per_epoch=0)])
def test_bad_settings_are_refused_before_loading(tmp_path: Path, settings: FineTuneSettings) -> None:
    with pytest.raises(ModelError):
        finetune_model(tmp_path / "missing", _windows(2, 0), _windows(2, 1), settings)


def test_finetuning_leaves_global_random_state_and_op_determinism_alone(tmp_path: Path) -> None:
    """The editor fine-tunes in its own process: no global seed, no process-wide TensorFlow switch."""
    from tensorflow.python.framework import config as tf_config

    save_model_pair(build_model(seed=1, units=4), tmp_path / "base", base_metadata(window_samples=200, hop_samples=100))
    determinism = tf_config.is_op_determinism_enabled()
    np.random.seed(12345)
    settings = FineTuneSettings(epochs=1, lr=1e-2, batch_size=4, patience=5, seed=7)

    first = finetune_model(tmp_path / "base", _windows(8, 0), _windows(4, 1), settings)

    assert np.random.random() == np.random.RandomState(12345).random_sample()  # not reseeded, not drawn from
    assert tf_config.is_op_determinism_enabled() == determinism
    second = finetune_model(tmp_path / "base", _windows(8, 0), _windows(4, 1), settings)
    for a, b in zip(first.model.get_weights(), second.model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)  # repeatable from settings.seed alone


def test_auto_batch_size_keeps_small_batches_for_a_few_beats_and_grows_for_a_database() -> None:
    from ecgstudio.ml.finetune import (
        AUTO_BATCH_STEPS,
        DEFAULT_FINETUNE_BATCH,
        MAX_AUTO_BATCH,
        auto_batch_size,
    )

    assert auto_batch_size(0) == auto_batch_size(40) == DEFAULT_FINETUNE_BATCH  # an editing session's windows
    sizes = [auto_batch_size(n) for n in range(0, 20_000, 37)]
    assert sizes == sorted(sizes) and max(sizes) == MAX_AUTO_BATCH
    for n in (1_000, 1_823, 3_600, 9_000):
        batch = auto_batch_size(n)
        assert batch == DEFAULT_FINETUNE_BATCH or n // batch >= AUTO_BATCH_STEPS  # enough steps per epoch
