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


@pytest.mark.parametrize(("n", "window", "hop", "ramp"), [(7777, 1000, 500, None), (30_001, 2000, 1750, 250),
                                                          (9_999, 1000, 750, 250), (5000, 2000, 1999, 1)])
def test_stitching_an_echo_of_positions_gives_the_positions_exactly(n: int, window: int, hop: int,
                                                                   ramp: int | None) -> None:
    starts = window_starts(n, window, hop)
    positions = np.arange(n, dtype=np.float32)[:, None]
    values = slice_windows(positions, starts, window)  # (B, window, 1): each window echoes its positions
    out = stitch(values, starts, n, ramp)
    np.testing.assert_allclose(out[:, 0], np.arange(n), rtol=0, atol=2e-2)


@pytest.mark.parametrize(("window", "hop", "ramp", "max_step"), [(1000, 500, None, 0.01), (2000, 1750, 250, 0.01),
                                                                 (1000, 750, 250, 0.01)])
def test_stitching_blends_disagreeing_windows_smoothly(window: int, hop: int, ramp: int | None,
                                                       max_step: float) -> None:
    n = 4 * window
    starts = window_starts(n, window, hop)
    values = np.stack([np.full((window, 1), float(i)) for i in range(len(starts))])
    out = stitch(values, starts, n, ramp)[:, 0]
    assert np.abs(np.diff(out)).max() < max_step  # no jump where windows meet
    assert out[0] == 0.0 and out[-1] == float(len(starts) - 1)


def test_short_ramp_crossfades_only_inside_the_overlap() -> None:
    # window 2000, hop 1750: the 250-sample overlap is a linear crossfade; elsewhere one window alone counts
    window, hop, ramp = 2000, 1750, 250
    starts = window_starts(3750, window, hop)
    values = np.stack([np.full((window, 1), float(i)) for i in range(len(starts))])
    out = stitch(values, starts, 3750, ramp)[:, 0]
    assert np.all(out[:1750] == 0.0) and np.all(out[2000:] == 1.0)
    ramp_part = out[1750:2000]
    assert np.all(np.diff(ramp_part) > 0) and abs(ramp_part[125] - 0.5) < 0.01


@pytest.mark.parametrize("ramp", [None, 1, 125, 250])
def test_taper_is_positive_and_symmetric(ramp: int | None) -> None:
    w = taper(1000, ramp)
    assert w.min() > 0 and w.max() == 1.0
    np.testing.assert_allclose(w, w[::-1])
    edge = 250 if ramp is None else ramp
    assert np.all(w[edge:1000 - edge] == 1.0) and np.all(w[:edge - 1] < 1.0)


def test_overlap_add_rejects_wrong_shapes() -> None:
    acc = OverlapAdd(100, 6, 50)
    with pytest.raises(ValueError):
        acc.add(np.array([0]), np.zeros((1, 40, 6)))
    with pytest.raises(ValueError):
        window_starts(100, 10, 20)
