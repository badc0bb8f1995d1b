"""Band colouring (same classes as core.masks.to_mask), disagreement matching, navigation helpers."""

from __future__ import annotations

import numpy as np
import pytest

from ecgstudio.core.beats import beat_span
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.masks import to_mask
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.gui.colors import PALETTES, UNLABELLED, get_palette, segment_rgba_table
from ecgstudio.gui.envelope import MinMaxPyramid
from ecgstudio.gui.navigation import next_qrs
from ecgstudio.gui.segments import WaveArrays, segments_of
from ecgstudio.gui.time_axis import format_time
from ecgstudio.gui.track_items import TrackCache, visible_segments

P, QRS, T = WaveKind.P, WaveKind.QRS, WaveKind.T


def _track() -> Delineation:
    waves = [
        Wave(P, 10, 20, 30), Wave(QRS, 40, 50, 60), Wave(T, None, 90, 120),   # full beat
        Wave(P, 150, None, 170), Wave(QRS, 175, None, 195),                    # QRS without T
        Wave(QRS, 300, 310, 320),                                              # QRS -> QRS: gap unlabelled
        Wave(T, 330, 350, 380),
        Wave(P, 1500, 1510, 1520),                                             # gap > 2 s at 250 Hz
        Wave(P, 1530, 1535, 1540),                                             # blocked P: TP gap
        Wave(QRS, 1550, 1555, 1560),
    ]
    return Delineation(waves, n_samples=2000, fs=250.0, name="t")


def test_band_classes_equal_core_to_mask():
    track = _track()
    classes, labelled = to_mask(track)
    segs = segments_of(WaveArrays.from_waves(track.waves), track.fs)
    got = segs.classes_at(np.arange(track.n_samples))
    expected = np.where(labelled, classes, UNLABELLED)
    np.testing.assert_array_equal(got, expected)


def test_visible_segments_direct_and_cached_agree():
    track = _track()
    cache = TrackCache()
    xs = np.arange(100, 1600)
    direct = visible_segments(track, 100, 1600, cache).classes_at(xs)
    _, whole = cache.get(track)
    np.testing.assert_array_equal(direct, whole.classes_at(xs))
    # the cache follows edits (revision)
    track.replace([track[0]], [])
    arrays, _ = cache.get(track)
    assert len(arrays.start) == len(track)


def test_navigation_helpers():
    track = _track()
    assert next_qrs(track, 0, +1) == track[1]
    assert next_qrs(track, track[1].start, +1) == track[4]
    assert next_qrs(track, track[4].start, -1) == track[1]
    assert next_qrs(track, 0, -1) is None
    assert beat_span(track, track[0]) == (10, 120)
    assert beat_span(track, track[2]) == (10, 120)
    assert beat_span(track, track[6]) == (300, 380)


def test_palettes_have_every_class_and_differ():
    tables = {name: segment_rgba_table(p) for name, p in PALETTES.items()}
    assert set(tables) == {"classic", "colorblind"}
    for table in tables.values():
        assert (table[:UNLABELLED, 3] == 255).all() and table[UNLABELLED, 3] == 0
        assert len({tuple(row) for row in table[:UNLABELLED]}) == UNLABELLED
    assert not np.array_equal(tables["classic"], tables["colorblind"])
    with pytest.raises(ValueError):
        get_palette("sepia")


def test_minmax_pyramid_keeps_extremes_and_gaps():
    values = np.zeros(100_000, dtype=np.float32)
    values[12_345] = 5.0
    values[54_321] = -3.0
    values[70_000:80_000] = np.nan
    pyramid = MinMaxPyramid(values)
    x, y = pyramid.window(0, 99_999, 500)
    assert len(x) <= 1000 and np.nanmax(y) == 5.0 and np.nanmin(y) == -3.0
    assert np.isnan(y[(x > 71_000) & (x < 79_000)]).all()
    x, y = pyramid.window(1000, 1999, 500)  # short: raw samples
    np.testing.assert_array_equal(x, np.arange(1000, 2000))


@pytest.mark.parametrize(("seconds", "spacing", "text"), [
    (12.5, 0.5, "12.5"), (75, 15, "1:15"), (3725, 600, "1:02:05"), (61.2, 0.2, "1:01.2"), (5, 1, "5"),
])
def test_time_labels(seconds, spacing, text):
    assert format_time(seconds, spacing) == text


def test_merge_runs_joins_intervals_closer_than_the_gap():
    from ecgstudio.gui.segments import merge_runs

    x0, x1 = merge_runs(np.array([0, 5, 30, 31, 100]), np.array([10, 8, 31, 40, 101]), min_gap=3)
    assert x0.tolist() == [0, 30, 100] and x1.tolist() == [10, 40, 101]
    x0, x1 = merge_runs(np.array([0.0]), np.array([1.0]), 5)
    assert x0.tolist() == [0.0]
