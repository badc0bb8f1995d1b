"""metrics: fiducial matching, sensitivity, PPV in annotated regions, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.metrics import (
    Fiducial,
    annotated_regions,
    format_table,
    match_nearest,
    pool,
    score_tracks,
)
from ecgstudio.core.waves import Wave, WaveKind

FS = 250.0
N = 20_000


def _beat(t: int, shift: int = 0) -> list[Wave]:
    s = shift
    return [
        Wave(WaveKind.P, t + s, t + 12 + s, t + 25 + s),
        Wave(WaveKind.QRS, t + 40 + s, t + 50 + s, t + 62 + s),
        Wave(WaveKind.T, None, t + 110 + s, t + 140 + s),
    ]


def _track(starts: list[int], shift: int = 0, name: str = "") -> Delineation:
    waves = [w for t in starts for w in _beat(t, shift)]
    return Delineation(waves, n_samples=N, fs=FS, name=name)


BEATS = list(range(1000, 3000, 200))


def test_perfect_match() -> None:
    score = score_tracks(_track(BEATS), _track(BEATS))
    for fiducial in Fiducial:
        item = score[fiducial]
        assert item.n_reference == len(BEATS)
        assert item.sensitivity == 1.0 and item.ppv == 1.0
        assert item.mean_error_ms == 0.0 and item.sd_error_ms == 0.0


def test_a_known_shift_is_the_mean_error() -> None:
    score = score_tracks(_track(BEATS), _track(BEATS, shift=5))  # 5 samples = 20 ms late
    for fiducial in Fiducial:
        assert score[fiducial].mean_error_ms == pytest.approx(20.0)
        assert score[fiducial].sd_error_ms == pytest.approx(0.0)
        assert score[fiducial].sensitivity == 1.0


def test_shift_beyond_the_tolerance_is_a_miss() -> None:
    score = score_tracks(_track(BEATS), _track(BEATS, shift=40), tolerance_s=0.15)  # 160 ms
    assert score[Fiducial.R_PEAK].n_matched == 0
    assert score[Fiducial.R_PEAK].sensitivity == 0.0
    assert score[Fiducial.R_PEAK].ppv == 0.0


def test_missed_beats_lower_sensitivity_not_ppv() -> None:
    score = score_tracks(_track(BEATS), _track(BEATS[::2]))
    item = score[Fiducial.QRS_ON]
    assert item.sensitivity == pytest.approx(0.5)
    assert item.ppv == 1.0


def test_detections_outside_the_reference_extent_are_not_false_positives() -> None:
    ref = _track(BEATS)
    extra = list(range(5000, 9000, 200))  # beats the reference did not annotate
    score = score_tracks(ref, _track(BEATS + extra))
    assert score[Fiducial.P_ON].ppv == 1.0
    assert score[Fiducial.P_ON].sensitivity == 1.0


def test_extra_detections_inside_an_annotated_beat_lower_ppv() -> None:
    ref = _track(BEATS)
    test = _track(BEATS)
    test.replace([], [Wave(WaveKind.P, t + 150, t + 160, t + 170) for t in BEATS])  # in the T-P gap
    score = score_tracks(ref, test, margin_s=0.15)
    assert score[Fiducial.P_ON].ppv == pytest.approx(0.5)
    assert score[Fiducial.QRS_ON].ppv == 1.0


def test_one_to_one_matching_prefers_the_closest_pair() -> None:
    ri, ti = match_nearest(np.array([100, 110]), np.array([108]), tolerance=20)
    assert ri.tolist() == [1] and ti.tolist() == [0]
    ri, ti = match_nearest(np.array([100, 110]), np.array([101, 109, 300]), tolerance=20)
    assert ri.tolist() == [0, 1] and ti.tolist() == [0, 1]


def test_regions_cover_each_beat_from_first_onset_to_last_offset_plus_margin() -> None:
    ref = _track([1000, 1200, 4000])
    regions = annotated_regions(ref, margin_samples=10)
    assert regions.tolist() == [[990, 1151], [1190, 1351], [3990, 4151]]


def test_missing_t_onset_in_the_test_is_not_a_reference_miss() -> None:
    ref = Delineation([Wave(WaveKind.QRS, 100, 110, 120)], n_samples=N, fs=FS)
    score = score_tracks(ref, _track([]))
    assert score[Fiducial.T_OFF].n_reference == 0
    assert math.isnan(score[Fiducial.T_OFF].sensitivity)
    assert score[Fiducial.QRS_ON].sensitivity == 0.0
    assert math.isnan(score[Fiducial.QRS_ON].ppv)


def test_pooling_sums_counts_and_concatenates_errors() -> None:
    a = score_tracks(_track(BEATS), _track(BEATS, shift=2))
    b = score_tracks(_track(BEATS[:4]), _track(BEATS[:2], shift=-2))
    pooled = pool([a, b])[Fiducial.R_PEAK]
    assert pooled.n_reference == len(BEATS) + 4
    assert pooled.n_matched == len(BEATS) + 2
    expected = [8.0] * len(BEATS) + [-8.0] * 2
    assert pooled.mean_error_ms == pytest.approx(np.mean(expected))
    assert pooled.sd_error_ms == pytest.approx(np.std(expected, ddof=1))


def test_different_sampling_rates_are_refused() -> None:
    other = Delineation([], n_samples=N, fs=500.0)
    with pytest.raises(ValueError):
        score_tracks(_track(BEATS), other)


def test_table_names_every_column_and_fiducial() -> None:
    score = score_tracks(_track(BEATS), _track(BEATS, shift=1))
    text = format_table({"model": score, "pu0": score}, title="QTDB")
    assert "model" in text and "pu0" in text and text.startswith("QTDB")
    for fiducial in Fiducial:
        assert fiducial.value in text
    assert "100.0" in text and "4.0" in text  # Se 100 %, mean error 4 ms


@settings(max_examples=60, deadline=None)
@given(
    ref=st.lists(st.integers(0, 400), max_size=40, unique=True),
    test=st.lists(st.integers(0, 400), max_size=40, unique=True),
    tolerance=st.integers(0, 60),
)
def test_matching_is_one_to_one_within_tolerance_and_maximal(ref: list[int], test: list[int], tolerance: int) -> None:
    r, t = np.sort(np.array(ref, dtype=np.int64)), np.sort(np.array(test, dtype=np.int64))
    ri, ti = match_nearest(r, t, tolerance)
    assert len(set(ri.tolist())) == ri.size and len(set(ti.tolist())) == ti.size
    assert np.all(np.abs(t[ti] - r[ri]) <= tolerance)
    free_r = np.setdiff1d(np.arange(r.size), ri)
    free_t = np.setdiff1d(np.arange(t.size), ti)
    for i in free_r:  # no unmatched pair is left that could still be matched
        assert not np.any(np.abs(t[free_t] - r[i]) <= tolerance)
