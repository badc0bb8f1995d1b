"""The resampling filter designed once per ratio gives exactly scipy's default ``resample_poly`` result."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal as sps

from ecgstudio.ml.preprocess import MODEL_FS, prepare_lead, prepared_length, remove_baseline, resample_ratio


@pytest.mark.parametrize("fs", [500.0, 360.0, 1000.0, 128.0, 257.0, 1234.5])
@pytest.mark.parametrize("n", [1, 7, 5000, 12_345])
def test_prepare_lead_equals_scipy_default_resampling(fs: float, n: int) -> None:
    x = np.random.default_rng(n).standard_normal(n)
    up, down = resample_ratio(fs)
    expected = sps.resample_poly(x, up, down)[: prepared_length(n, fs)]
    expected = remove_baseline(expected, MODEL_FS).astype(np.float32)
    got = prepare_lead(x, fs)
    assert got.dtype == expected.dtype
    assert np.array_equal(got, expected)
