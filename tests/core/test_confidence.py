"""Per-wave confidence (boundary sharpness) and the worst share of a track."""

from __future__ import annotations

import numpy as np
import pytest

from ecgstudio.core.confidence import boundary_confidence, worst_share

FS = 250.0


def _probs_with_edges(n: int, runs: list[tuple[int, int, int, int]]) -> np.ndarray:
    """TP everywhere except runs ``(start, stop, class, ramp)``: the class rises linearly over ``ramp`` samples."""
    probs = np.zeros((n, 6), dtype=np.float32)
    probs[:, 5] = 1.0
    for start, stop, cls, ramp in runs:
        m = np.zeros(n, dtype=np.float32)
        m[start:stop] = 1.0
        if ramp:
            rise = np.linspace(0.0, 1.0, 2 * ramp + 1, dtype=np.float32)
            m[start - ramp:start + ramp + 1] = rise
            m[stop - ramp - 1:stop + ramp] = rise[::-1]
        probs[:, cls] = m
        probs[:, 5] = np.minimum(probs[:, 5], 1.0 - m)
    return probs


def test_clean_steps_are_fully_confident_and_smeared_edges_are_not() -> None:
    probs = _probs_with_edges(2000, [(100, 130, 0, 0), (500, 530, 0, 10), (900, 960, 4, 1)])
    conf = boundary_confidence(probs, np.array([100, 500, 900]), np.array([130, 530, 960]),
                               np.array([0, 0, 4]), FS)
    assert conf[0] == pytest.approx(1.0)
    assert conf[1] < 0.6 < conf[2] < 1.0
    assert conf[1] < conf[2]


def test_qrs_confidence_counts_qr_and_rs_as_one_class() -> None:
    probs = _probs_with_edges(1000, [(200, 215, 2, 0), (215, 230, 3, 0)])  # R peak at 215: QR then RS
    conf = boundary_confidence(probs, np.array([200]), np.array([230]), np.array([2]), FS)
    assert conf[0] == pytest.approx(1.0)


def test_the_weaker_boundary_decides_and_windows_scale_with_fs() -> None:
    probs = _probs_with_edges(4000, [(1000, 1100, 0, 0)])
    m = probs[:, 0].copy()
    m[1100:1110] = 0.5  # after the offset the model hesitates for 10 samples
    probs[:, 0], probs[:, 5] = m, 1 - m
    low = boundary_confidence(probs, np.array([1000]), np.array([1100]), np.array([0]), 500.0)
    assert low[0] == pytest.approx(0.5)  # +-10 samples at 500 Hz: half the window is at 0.5
    wider = boundary_confidence(probs, np.array([1000]), np.array([1100]), np.array([0]), 500.0, half_window_s=0.04)
    assert wider[0] == pytest.approx(0.75)


def test_worst_share_is_ordered_worst_first_and_skips_manual_waves() -> None:
    conf = np.array([0.9, 0.2, np.nan, 0.5, 0.1, 0.8, 0.7, 0.6, 0.95, 0.3, 0.4])
    assert worst_share(conf, 0.2).tolist() == [4, 1]  # 10 scored waves: 2
    assert worst_share(conf, 0.25).tolist() == [4, 1, 9]  # 2.5 rounds up
    assert worst_share(conf, 0.0).size == 0
    assert worst_share(conf, 1.0).tolist() == [4, 1, 9, 10, 3, 7, 6, 5, 0, 8]
    assert worst_share(np.array([np.nan, np.nan]), 0.5).size == 0


def test_ties_keep_the_wave_order_and_the_share_is_exact() -> None:
    conf = np.array([0.3, 0.1, 0.3, 0.9])
    assert worst_share(conf, 0.5).tolist() == [1, 0]
    assert worst_share(np.full(100, 0.8), 0.05).tolist() == [0, 1, 2, 3, 4]  # not the whole track
    with pytest.raises(ValueError):
        worst_share(conf, 1.5)
