"""Whole-record inference: shapes, probability sums, seamless stitching, bounded batches, progress, cancel."""

from __future__ import annotations

import numpy as np
import pytest

from ecgstudio.ml.cancel import Cancelled
from ecgstudio.ml.infer import predict_proba, predict_proba_per_lead
from ecgstudio.ml.model import base_metadata, build_model, inference_settings
from ecgstudio.ml.preprocess import normalise_windows, prepare_lead


class PointwiseModel:
    """A fake model whose output at each sample depends on that sample's input only."""

    def __init__(self) -> None:
        self.batch_sizes: list[int] = []
        self.lengths: set[int] = set()

    @staticmethod
    def probs(x: np.ndarray) -> np.ndarray:
        logits = np.stack([x, -x, 0.5 * x, x * x, np.zeros_like(x), np.sin(x)], axis=-1)
        e = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def predict_on_batch(self, x: np.ndarray) -> np.ndarray:
        assert x.ndim == 3 and x.shape[-1] == 1
        self.batch_sizes.append(x.shape[0])
        self.lengths.add(x.shape[1])
        return self.probs(x[..., 0]).astype(np.float32)


#: A pair without inference_* settings (as before issue 13): inference uses window_samples/hop_samples.
META = {k: v for k, v in base_metadata(window_samples=1000, hop_samples=500).items() if k not in inference_settings(1000)}


def _periodic(n: int, fs: float, period_s: float = 0.2) -> np.ndarray:
    t = np.arange(n) / fs
    return (np.sin(2 * np.pi * t / period_s) + 0.3 * np.sin(4 * np.pi * t / period_s)).astype(np.float32)


def test_stitched_output_equals_the_model_applied_to_the_whole_lead() -> None:
    # every window of a periodic signal gets the same normalisation, so a pointwise model must give
    # exactly its whole-signal output: any seam, offset or misplaced window would show
    fs = 250.0
    x = _periodic(12_345, fs)
    model = PointwiseModel()
    out = predict_proba(model, META, x[:, None], fs)
    prepared = prepare_lead(x, fs)
    core = slice(1000, -1000)  # normalisation statistics match away from the filter edges
    expected = PointwiseModel.probs(normalise_windows(prepared[None, :])[0])
    np.testing.assert_allclose(out[core], expected[core], atol=2e-3)


@pytest.mark.parametrize("n_leads", [1, 2, 12])
def test_output_shape_and_probability_sums(n_leads: int) -> None:
    fs = 500.0
    rng = np.random.default_rng(n_leads)
    signal = rng.standard_normal((int(fs * 9.5), n_leads)).astype(np.float32)
    model = PointwiseModel()
    fused = predict_proba(model, META, signal, fs)
    per_lead = predict_proba_per_lead(model, META, signal, fs)
    assert fused.shape == (signal.shape[0], 6) and fused.dtype == np.float32
    assert per_lead.shape == (n_leads, signal.shape[0], 6)
    np.testing.assert_allclose(fused.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(per_lead.sum(axis=2), 1.0, atol=1e-5)
    np.testing.assert_allclose(per_lead.mean(axis=0), fused, atol=1e-5)


def test_real_model_gives_probabilities_for_a_short_record_at_360_hz() -> None:
    model = build_model(seed=0)
    signal = np.random.default_rng(0).standard_normal((360 * 3, 2)).astype(np.float32)
    p = predict_proba(model, META, signal, 360.0)
    assert p.shape == (360 * 3, 6)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-4)


def test_long_records_are_processed_in_bounded_batches() -> None:
    fs = 250.0
    x = np.random.default_rng(2).standard_normal((int(fs) * 3600, 1)).astype(np.float32)  # one hour
    model = PointwiseModel()
    out = predict_proba(model, META, x, fs, batch_size=64)
    assert out.shape == (x.shape[0], 6)
    assert max(model.batch_sizes) <= 64
    assert model.lengths == {1000}
    n_windows = (x.shape[0] - 1000) // 500 + 1
    assert n_windows <= sum(model.batch_sizes) < n_windows + 64  # every window once (last batch padded)


def test_progress_rises_to_one_and_cancel_aborts() -> None:
    fs = 250.0
    signal = np.random.default_rng(3).standard_normal((250 * 120, 2)).astype(np.float32)
    seen: list[float] = []
    predict_proba(PointwiseModel(), META, signal, fs, progress=seen.append, batch_size=16)
    assert seen[-1] == pytest.approx(1.0)
    assert all(b >= a for a, b in zip(seen, seen[1:], strict=False))
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 2

    model = PointwiseModel()
    with pytest.raises(Cancelled):
        predict_proba(model, META, signal, fs, cancel=cancel, batch_size=16)
    assert len(model.batch_sizes) < 5  # stopped soon after cancel() said so


def test_signal_shorter_than_a_window_is_one_short_window() -> None:
    model = PointwiseModel()
    out = predict_proba(model, META, np.random.default_rng(4).standard_normal((300, 1)).astype(np.float32), 250.0)
    assert out.shape == (300, 6)
    assert model.lengths == {300}


def test_inference_window_hop_and_taper_from_metadata_are_used_and_seamless() -> None:
    # inference settings chosen after training (longer windows, small overlap) override window/hop
    fs = 250.0
    x = _periodic(30_001, fs)
    meta = {**META, "inference_window_samples": 2000, "inference_hop_samples": 1750, "taper_samples": 250}
    model = PointwiseModel()
    out = predict_proba(model, meta, x[:, None], fs)
    assert model.lengths == {2000}
    n_windows = -(-(x.size - 2000) // 1750) + 1
    assert sum(model.batch_sizes) == n_windows
    prepared = prepare_lead(x, fs)
    expected = PointwiseModel.probs(normalise_windows(prepared[None, :])[0])
    core = slice(1000, -1000)
    np.testing.assert_allclose(out[core], expected[core], atol=2e-3)


def test_batches_mix_leads_and_fused_output_is_the_mean_of_the_leads() -> None:
    fs = 250.0
    rng = np.random.default_rng(5)
    signal = rng.standard_normal((250 * 60, 3)).astype(np.float32)
    model = PointwiseModel()
    fused = predict_proba(model, META, signal, fs, batch_size=7)
    assert max(model.batch_sizes) <= 7
    singles = [predict_proba(PointwiseModel(), META, signal[:, k:k + 1], fs) for k in range(3)]
    np.testing.assert_allclose(fused, np.mean(singles, axis=0), atol=1e-5)


def test_fast_forward_pass_equals_the_keras_model() -> None:
    # the inference path folds Dense/BatchNorm and runs both LSTM directions in one loop: it must give
    # what model(x, training=False) gives, for any weights and BatchNorm statistics, batch size and length
    from ecgstudio.ml.infer import FAST_PATH, _is_standard_bilstm, inference_path, run_windows

    model = build_model(seed=3, units=8)
    rng = np.random.default_rng(6)
    for layer in model.layers:
        weights = layer.get_weights()
        if weights:
            new = [rng.normal(0.0, 0.5, w.shape).astype(np.float32) for w in weights]
            if layer.name.startswith("batchnorm"):
                new[3] = np.abs(new[3]) + 0.5  # moving variance
            layer.set_weights(new)
    assert _is_standard_bilstm(model)
    for shape in [(5, 300), (1, 17), (64, 128)]:
        x = (2.0 * rng.standard_normal(shape)).astype(np.float32)
        expected = np.asarray(model(x[:, :, None], training=False))
        np.testing.assert_allclose(run_windows(model, x), expected, atol=1e-5)
    # equal outputs prove nothing if run_windows fell back to the Keras call (e.g. no fused LSTM kernel)
    assert inference_path(model) == FAST_PATH


def test_another_architecture_is_reported_on_the_keras_path() -> None:
    # the check above can fail: a model the fast pass does not cover is named as the slow path
    import keras

    from ecgstudio.ml.infer import KERAS_PATH, inference_path, run_windows

    inputs = keras.Input((None, 1))
    model = keras.Model(inputs, keras.layers.Dense(6, activation="softmax")(inputs))
    assert run_windows(model, np.zeros((2, 10), np.float32)).shape == (2, 10, 6)
    assert inference_path(model) == KERAS_PATH


@pytest.mark.parametrize(("seconds", "lengths"), [(10, {2500}), (12, {3000}), (12.1, {2000})])
def test_short_records_run_as_one_window_of_their_own_length(seconds: float, lengths: set[int]) -> None:
    # up to 1.5 inference windows (3000 samples at 250 Hz) a lead is one window: fewer LSTM steps, no seam
    meta = {**META, "inference_window_samples": 2000, "inference_hop_samples": 1750, "taper_samples": 250}
    model = PointwiseModel()
    predict_proba(model, meta, _periodic(int(250 * seconds), 250.0)[:, None], 250.0)
    assert model.lengths == lengths


@pytest.mark.parametrize("units", [4, 32])
def test_a_window_gets_the_same_output_alone_and_in_any_batch(units: int) -> None:
    from ecgstudio.ml.infer import run_windows

    model = build_model(units=units, seed=0)
    x = normalise_windows(np.random.default_rng(5).standard_normal((9, 300)).astype(np.float32))
    together = run_windows(model, x)
    for lo, hi in ((0, 1), (3, 4), (0, 3), (2, 7), (1, 9)):
        assert np.array_equal(run_windows(model, x[lo:hi]), together[lo:hi])
