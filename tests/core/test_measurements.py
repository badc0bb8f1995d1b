"""Per-beat measurements against values computed by hand (fs = 250 Hz: 4 ms per sample)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.measurements import MEASURES, measure_beats, summarize, summarize_values
from ecgstudio.core.waves import Wave, WaveKind

P, QRS, T = WaveKind.P, WaveKind.QRS, WaveKind.T
FS = 250.0
NAN = math.nan


def _track() -> Delineation:
    waves = [
        # beat 1
        Wave(P, 100, 110, 125), Wave(QRS, 150, 160, 175), Wave(T, 200, 230, 260),
        # beat 2 (200 samples later)
        Wave(P, 300, 310, 325), Wave(QRS, 350, 360, 375), Wave(T, 400, 430, 460),
        # beat 3: no P, no T
        Wave(QRS, 550, 560, 575),
        # beat 4: T without onset
        Wave(P, 750, 760, 775), Wave(QRS, 800, 810, 825), Wave(T, None, 880, 910),
    ]
    return Delineation(waves, n_samples=2000, fs=FS, name="hand")


def test_hand_computed_beats():
    table = measure_beats(_track(), FS)
    assert len(table) == 4
    np.testing.assert_array_equal(table.beat_sample, [160, 360, 560, 810])
    np.testing.assert_array_equal(table.qrs_onset_sample, [150, 350, 550, 800])
    np.testing.assert_allclose(table.rr_ms, [NAN, 800, 800, 1000])
    np.testing.assert_allclose(table.hr_bpm, [NAN, 75, 75, 60])
    np.testing.assert_allclose(table.pr_ms, [200, 200, NAN, 200])
    np.testing.assert_allclose(table.qrs_ms, [100, 100, 100, 100])
    np.testing.assert_allclose(table.qt_ms, [440, 440, NAN, 440])
    np.testing.assert_allclose(table.qtc_bazett_ms, [NAN, 440 / math.sqrt(0.8), NAN, 440])
    np.testing.assert_allclose(table.qtc_fridericia_ms, [NAN, 440 / 0.8 ** (1 / 3), NAN, 440])
    np.testing.assert_allclose(table.beat_time_s, [0.64, 1.44, 2.24, 3.24])


def test_p_and_t_must_lie_inside_the_beat():
    waves = [
        Wave(QRS, 100, 110, 125),
        Wave(T, 150, 180, 210),
        # no T after this QRS: the T of the next beat must not be borrowed
        Wave(QRS, 300, 310, 325),
        Wave(QRS, 500, 510, 525),
        Wave(T, 550, 580, 610),
    ]
    table = measure_beats(waves, FS)
    np.testing.assert_allclose(table.qt_ms, [(210 - 100) * 4, NAN, (610 - 500) * 4])
    # no P anywhere
    assert np.isnan(table.pr_ms).all()


def test_p_before_the_previous_qrs_is_not_used():
    waves = [Wave(P, 50, 60, 75), Wave(QRS, 100, 110, 125), Wave(QRS, 300, 310, 325)]
    table = measure_beats(waves, FS)
    np.testing.assert_allclose(table.pr_ms, [(100 - 50) * 4, NAN])


def test_missing_boundaries_give_nan():
    waves = [Wave(P, None, 60, 75), Wave(QRS, None, 110, 125), Wave(T, 150, 170, 200)]
    table = measure_beats(waves, FS)
    assert np.isnan(table.pr_ms[0]) and np.isnan(table.qrs_ms[0]) and np.isnan(table.qt_ms[0])
    assert table.beat_sample[0] == 110


def test_long_gap_is_not_an_rr_interval():
    waves = [Wave(QRS, 100, 110, 125), Wave(QRS, 300, 310, 325), Wave(QRS, 1300, 1310, 1325)]
    table = measure_beats(waves, FS, max_rr_s=3.0)  # 1000 samples = 4 s
    np.testing.assert_allclose(table.rr_ms, [NAN, 800, NAN])


def test_qrs_without_peak_uses_onset_for_rr():
    waves = [Wave(QRS, 100, None, 125), Wave(QRS, 300, None, 325)]
    table = measure_beats(waves, FS)
    np.testing.assert_allclose(table.rr_ms, [NAN, 800])
    np.testing.assert_array_equal(table.beat_sample, [100, 300])


def test_empty_track():
    table = measure_beats([], FS)
    assert len(table) == 0
    summary = summarize(table)
    assert set(summary) == {m.key for m in MEASURES}
    assert all(s.n == 0 and math.isnan(s.median) for s in summary.values())


def test_summary_median_iqr_n():
    s = summarize_values(np.array([1.0, 2.0, 3.0, 4.0, NAN]))
    assert (s.median, s.q1, s.q3, s.n) == (2.5, 1.75, 3.25, 4)
    assert s.iqr == pytest.approx(1.5)


def test_summary_of_hand_track():
    summary = summarize(measure_beats(_track(), FS))
    assert summary["rr_ms"].median == 800 and summary["rr_ms"].n == 3
    assert summary["pr_ms"].n == 3
    assert summary["qt_ms"].median == 440


def test_many_beats_is_fast():
    import time

    waves = []
    for k in range(20_000):
        base = 200 * k
        waves += [Wave(P, base, base + 10, base + 25), Wave(QRS, base + 50, base + 60, base + 75),
                  Wave(T, base + 100, base + 130, base + 160)]
    t0 = time.perf_counter()
    table = measure_beats(waves, FS)
    assert time.perf_counter() - t0 < 1.0
    assert len(table) == 20_000
    assert np.nanmedian(table.qt_ms) == 440


def test_bad_fs_is_rejected():
    with pytest.raises(ValueError):
        measure_beats([], 0.0)
