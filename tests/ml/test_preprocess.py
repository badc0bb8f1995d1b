"""Signal preparation: resampling to the model rate and back, gaps, baseline, normalisation."""

from __future__ import annotations

import numpy as np
import pytest

from ecgstudio.ml.preprocess import (
    MODEL_FS,
    map_to_input,
    model_positions,
    normalise_windows,
    prepare_lead,
    prepared_length,
)


@pytest.mark.parametrize("fs", [360.0, 500.0, 1000.0, 250.0, 128.0])
def test_prepared_lead_is_at_model_rate_and_maps_back_to_every_input_sample(fs: float) -> None:
    n = int(fs * 7.3)
    x = np.sin(2 * np.pi * 1.2 * np.arange(n) / fs).astype(np.float32)
    y = prepare_lead(x, fs)
    assert y.dtype == np.float32
    assert y.size == prepared_length(n, fs)
    assert abs(y.size - n * MODEL_FS / fs) <= 1
    # a per-sample value on the model grid (its time in seconds) comes back at each input sample's time
    t_model = np.arange(y.size, dtype=np.float32) / MODEL_FS
    back = map_to_input(np.stack([t_model, 1 - t_model], axis=1), n, fs)
    assert back.shape == (n, 2)
    t_input = np.arange(n) / fs
    inside = t_input <= t_model[-1]
    np.testing.assert_allclose(back[inside, 0], t_input[inside], atol=1e-5)
    np.testing.assert_allclose(back.sum(axis=1), 1.0, atol=1e-5)


def test_resampled_signal_keeps_its_shape_in_time() -> None:
    fs = 500.0
    t = np.arange(int(fs * 10)) / fs
    x = np.sin(2 * np.pi * 3.0 * t)
    y = prepare_lead(x, fs, baseline=False)
    t_model = np.arange(y.size) / MODEL_FS
    core = slice(50, -50)
    np.testing.assert_allclose(y[core], np.sin(2 * np.pi * 3.0 * t_model)[core], atol=0.02)


def test_nan_gaps_are_filled_and_all_nan_lead_becomes_zero() -> None:
    x = np.linspace(0.0, 1.0, 2500).astype(np.float32)
    x[100:200] = np.nan
    y = prepare_lead(x, 250.0, baseline=False)
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y[100:200], np.linspace(0, 1, 2500)[100:200], atol=1e-4)
    z = prepare_lead(np.full(1000, np.nan, dtype=np.float32), 360.0)
    assert np.all(z == 0)


def test_baseline_removal_removes_slow_drift_but_keeps_qrs_sized_deflections() -> None:
    fs = 250.0
    t = np.arange(int(fs * 20)) / fs
    drift = 2.0 * np.sin(2 * np.pi * 0.05 * t)
    spikes = np.zeros_like(t)
    spikes[::250] = 1.0
    spikes = np.convolve(spikes, np.hanning(20), mode="same")
    y = prepare_lead(drift + spikes, fs)
    core = slice(500, -500)
    assert np.abs(y[core] - spikes[core]).max() < 0.3
    assert y[core].max() > 0.7


def test_normalised_windows_are_scale_and_offset_invariant_and_flat_windows_are_zero() -> None:
    rng = np.random.default_rng(1)
    w = rng.standard_normal((4, 500)).astype(np.float32)
    a = normalise_windows(w)
    b = normalise_windows(3.5 * w + 7.0)
    np.testing.assert_allclose(a, b, atol=1e-4)
    assert np.all(np.abs(np.median(a, axis=1)) < 1e-5)
    flat = normalise_windows(np.full((2, 300), 5.0))
    assert np.all(flat == 0)
    assert normalise_windows(w[0]).shape == (500,)


def test_model_positions_follow_the_rate_ratio() -> None:
    pos = model_positions(5, 500.0)
    np.testing.assert_allclose(pos, [0, 0.5, 1.0, 1.5, 2.0])


@pytest.mark.parametrize(("fs", "n"), [(500.0, 5000), (250.0, 4000), (360.0, 3600), (1000.0, 900)])
def test_all_leads_prepared_together_equal_each_lead_prepared_alone(fs: float, n: int) -> None:
    from ecgstudio.ml.preprocess import prepare_leads

    rng = np.random.default_rng(int(fs))
    signal = np.cumsum(rng.standard_normal((n, 5)), axis=0).astype(np.float32) * 0.01
    signal[100:140, 2] = np.nan
    signal[:, 4] = np.nan
    together = prepare_leads(signal, fs)
    for k in range(signal.shape[1]):
        assert np.array_equal(together[k], prepare_lead(signal[:, k], fs))
