"""Window slicing and stitching."""

from __future__ import annotations

import numpy as np
import pytest

from ecgstudio.ml.windows import OverlapAdd, slice_windows, stitch, taper, window_starts


@pytest.mark.parametrize(("n", "window", "hop"), [(10_000, 1000, 500), (10_001, 1000, 500), (999, 1000, 500),
                                                  (1000, 1000, 1000), (5003, 700, 233)])
def test_windows_cover_every_sample_and_stay_inside(n: int, window: int, hop: int) -> None:
    starts = window_starts(n, window, hop)
    win = min(window, n)
    covered = np.zeros(n, dtype=int)
    for s in starts:
        assert 0 <= s and s + win <= n
        covered[s:s + win] += 1
    assert covered.min() >= 1
    assert np.all(np.diff(starts) > 0) and np.all(np.diff(starts) <= hop)


def test_stitching_an_echo_of_positions_gives_the_positions_exactly() -> None:
    n, window, hop = 7777, 1000, 500
    starts = window_starts(n, window, hop)
    positions = np.arange(n, dtype=np.float32)[:, None]
    values = slice_windows(positions, starts, window)  # (B, window, 1): each window echoes its positions
    out = stitch(values, starts, n)
    np.testing.assert_allclose(out[:, 0], np.arange(n), rtol=0, atol=1e-2)


def test_stitching_blends_disagreeing_windows_smoothly() -> None:
    n, window, hop = 4000, 1000, 500
    starts = window_starts(n, window, hop)
    values = np.stack([np.full((window, 1), float(i)) for i in range(len(starts))])
    out = stitch(values, starts, n)[:, 0]
    assert np.abs(np.diff(out)).max() < 0.01  # no jump where windows meet
    assert out[0] == 0.0 and out[-1] == float(len(starts) - 1)


def test_taper_is_positive_and_symmetric() -> None:
    w = taper(1000)
    assert w.min() > 0 and w.max() == 1.0
    np.testing.assert_allclose(w, w[::-1])


def test_overlap_add_rejects_wrong_shapes() -> None:
    acc = OverlapAdd(100, 6, 50)
    with pytest.raises(ValueError):
        acc.add(np.array([0]), np.zeros((1, 40, 6)))
    with pytest.raises(ValueError):
        window_starts(100, 10, 20)
