"""Signal-based T-end placement (core.t_wave) and its use by the decoder."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecgstudio.core.decode import DecodeConfig, decode
from ecgstudio.core.t_wave import TEndConfig, refine_t_ends, smooth, trapezium_ends
from ecgstudio.core.waves import SegmentClass, WaveKind

FS = 250.0


def _t_wave(n: int, peak: int, end: int, amplitude: float = 0.4) -> np.ndarray:
    """A T wave: a raised half-sine from ``2 * peak - end`` to ``end`` (the true end), 0 elsewhere."""
    x = np.zeros(n, np.float32)
    start = 2 * peak - end
    t = np.arange(start, end)
    x[start:end] = amplitude * np.sin(np.pi * (t - start) / (end - start))
    return x


@pytest.mark.parametrize("model_error", [-15, -8, 0, 8, 15])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_the_end_lands_near_the_true_end_whatever_the_models_error(model_error: int, sign: float) -> None:
    n, peak, end = 600, 300, 340
    y = (sign * _t_wave(n, peak, end))[:, None]
    full = TEndConfig(blend=1.0, reach_s=0.08)  # the signal's end alone
    got = refine_t_ends(y, np.array([peak]), np.array([end + model_error]), np.array([n - 1]), FS, full)
    assert abs(int(got[0]) - end) <= 6  # within 24 ms of the true end, from a model off by up to 60 ms
    half = refine_t_ends(y, np.array([peak]), np.array([end + model_error]), np.array([n - 1]), FS, TEndConfig())
    assert abs(int(half[0]) - end) <= abs(model_error) // 2 + 6  # the default goes halfway


def test_a_flat_signal_keeps_the_models_end_and_limits_hold() -> None:
    y = np.zeros((600, 2), np.float32)
    ends = np.array([330, 450])
    got = refine_t_ends(y, np.array([300, 420]), ends, np.array([599, 599]), FS, TEndConfig())
    assert got.tolist() == ends.tolist()
    y = _t_wave(600, 300, 360)[:, None]
    got = refine_t_ends(y, np.array([300]), np.array([340]), np.array([345]), FS, TEndConfig())
    assert 300 < int(got[0]) <= 345  # never past the next wave


def test_the_largest_t_wave_lead_decides_a_global_end() -> None:
    n = 600
    y = np.stack([_t_wave(n, 300, 340, 0.05), _t_wave(n, 300, 352, 0.5)], axis=1)
    config = TEndConfig(combine="largest", blend=1.0, reach_s=0.08)
    got = refine_t_ends(y, np.array([300]), np.array([345]), np.array([n - 1]), FS, config)
    assert abs(int(got[0]) - 352) <= 6
    latest = refine_t_ends(y, np.array([300]), np.array([345]), np.array([n - 1]), FS,
                           TEndConfig(combine="latest", blend=1.0, reach_s=0.08, min_amplitude_ratio=0.05))
    assert int(latest[0]) >= int(got[0]) - 1  # the latest end of the leads with a T wave


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=400), st.integers(min_value=0, max_value=2**31 - 1))
def test_batches_give_the_same_ends_as_one_pass(n_waves: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300 * n_waves + 300
    y = smooth(rng.normal(size=(n, 2)).astype(np.float32), 8)
    peaks = 100 + 300 * np.arange(n_waves)
    ends = peaks + rng.integers(2, 80, n_waves)
    import ecgstudio.core.t_wave as t_wave

    whole = trapezium_ends(y, peaks, ends, 20, n)
    small, t_wave._BATCH_ELEMENTS = t_wave._BATCH_ELEMENTS, 1000
    try:
        batched = trapezium_ends(y, peaks, ends, 20, n)
    finally:
        t_wave._BATCH_ELEMENTS = small
    assert np.array_equal(whole[0], batched[0]) and np.allclose(whole[1], batched[1])
    assert ((whole[0] >= peaks[:, None]) & (whole[0] <= (ends + 20)[:, None])).all()


def test_decode_places_the_t_end_on_the_signal_but_only_when_asked() -> None:
    n = 1000
    classes = np.full(n, SegmentClass.TP, dtype=np.int8)
    classes[100:120] = SegmentClass.QR
    classes[120:140] = SegmentClass.RS
    classes[140:330] = SegmentClass.ST  # the model's T end (330) is 20 samples (80 ms) early
    signal = _t_wave(n, 300, 350)
    probs = np.eye(6, dtype=np.float32)[classes]
    refined = [w for w in decode(probs, signal, FS) if w.kind is WaveKind.T]
    full = DecodeConfig(t_end=TEndConfig(blend=1.0, reach_s=0.08))
    placed = [w for w in decode(probs, signal, FS, config=full) if w.kind is WaveKind.T]
    plain = [w for w in decode(probs, signal, FS, config=DecodeConfig(t_end=None)) if w.kind is WaveKind.T]
    assert plain[0].offset == 330
    assert abs(placed[0].offset - 350) <= 6
    assert 330 < refined[0].offset < 350  # the default: halfway towards the signal's end
    assert abs(refined[0].peak - 300) <= 5  # the chord ends at the early model end: a few ms early
    with pytest.raises(ValueError):
        TEndConfig(combine="mean")


def test_block_smoothing_equals_smoothing_the_whole_signal() -> None:
    import ecgstudio.core.t_wave as t_wave

    rng = np.random.default_rng(0)
    x = rng.normal(size=(5000, 3)).astype(np.float32)
    x[100, 1] = np.nan
    whole = smooth(x, 15)
    small, t_wave._SMOOTH_BLOCK = t_wave._SMOOTH_BLOCK, 700
    try:
        blocks = smooth(x, 15)
    finally:
        t_wave._SMOOTH_BLOCK = small
    assert np.allclose(whole, blocks, atol=1e-5)
    assert whole.dtype == np.float32 and np.isfinite(whole).all()
    assert abs(float(whole[2500, 0]) - float(x[2500 - 14:2500 + 15, 0].mean())) < 0.5  # a local average
