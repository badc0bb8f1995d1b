"""Heart-rate trend for the overview of long records (core.rate_trend)."""

from __future__ import annotations

import numpy as np

from ecgstudio.core.rate_trend import heart_rate_trend

FS = 250.0


def test_the_trend_follows_the_rate_bin_by_bin_and_ignores_missed_beats() -> None:
    first = np.arange(0, 600 * FS, 0.5 * FS)  # 10 min at 120 bpm
    second = np.arange(600 * FS, 1200 * FS, 1.0 * FS)  # 10 min at 60 bpm
    peaks = np.concatenate([first, second]).astype(np.int64)
    peaks = np.delete(peaks, [100, 101, 102, 103, 104, 105, 106, 107])  # a 4.5-s gap: not a rate
    centres, bpm = heart_rate_trend(peaks, FS, int(1200 * FS), 20)
    assert centres.shape == bpm.shape == (20,)
    assert np.allclose(bpm[:10], 120.0) and np.allclose(bpm[10:], 60.0)


def test_empty_bins_and_too_few_beats_are_nan() -> None:
    _, bpm = heart_rate_trend(np.array([10, 260], dtype=np.int64), FS, 100_000, 4)
    assert np.isfinite(bpm[0]) and np.isnan(bpm[1:]).all()
    _, none = heart_rate_trend(np.array([5], dtype=np.int64), FS, 1000, 3)
    assert np.isnan(none).all()
