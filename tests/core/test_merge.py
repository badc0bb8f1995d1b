"""Re-annotation keeps reviewed waves exactly and always yields a valid track."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.merge import merge_prediction, touches_review
from ecgstudio.core.review import ReviewSpans
from ecgstudio.core.waves import Wave, WaveKind
from tests.core.strategies import FS, delineations


def _beat(start: int, symbol: str | None = None) -> list[Wave]:
    return [Wave(WaveKind.P, start, start + 10, start + 20),
            Wave(WaveKind.QRS, start + 40, start + 50, start + 60, symbol=symbol),
            Wave(WaveKind.T, start + 100, start + 130, start + 160)]


def test_no_review_means_the_prediction():
    current = Delineation(_beat(0), n_samples=1000, fs=FS)
    predicted = _beat(300)
    result = merge_prediction(current, predicted, ReviewSpans())
    assert list(result.waves) == predicted
    assert result.n_kept == 0


def test_reviewed_beat_kept_exactly_and_rest_replaced():
    corrected = _beat(0, symbol="V") + _beat(200)
    current = Delineation(corrected, n_samples=1000, fs=FS)
    predicted = [w.shifted(3) for w in _beat(0)] + [w.shifted(5) for w in _beat(200)] + _beat(500)
    result = merge_prediction(current, predicted, ReviewSpans([(0, 170)]))
    assert list(result.waves[:3]) == corrected[:3]  # the reviewed beat, symbol included
    assert list(result.waves[3:]) == [w.shifted(5) for w in _beat(200)] + _beat(500)
    assert result.n_kept == 3 and result.n_predicted == 6
    Delineation(result.waves, n_samples=1000, fs=FS)  # valid


def test_seam_prediction_overlapping_a_reviewed_wave_is_left_out():
    current = Delineation(_beat(0), n_samples=1000, fs=FS)
    # a predicted T that starts inside the reviewed span's last wave
    predicted = [Wave(WaveKind.T, 150, 170, 190), *_beat(300)]
    result = merge_prediction(current, predicted, ReviewSpans([(0, 150)]))
    assert list(result.waves) == _beat(0) + _beat(300)
    assert result.n_seam_dropped == 1


def test_two_reviewed_t_waves_keep_the_original_gap_when_no_prediction_fits():
    waves = [Wave(WaveKind.T, 0, 10, 20), Wave(WaveKind.QRS, 40, 45, 50), Wave(WaveKind.T, 80, 90, 100)]
    current = Delineation(waves, n_samples=200, fs=FS)
    result = merge_prediction(current, [], ReviewSpans([(0, 21), (80, 101)]))
    assert list(result.waves) == waves
    assert result.n_gap_kept == 1


@settings(max_examples=300, deadline=None)
@given(current=delineations(), predicted=delineations(), data=st.data())
def test_merge_is_valid_and_keeps_every_reviewed_wave(current, predicted, data):
    n = min(current.n_samples, predicted.n_samples)
    current = Delineation([w for w in current.waves if w.offset < n], n_samples=n, fs=FS)
    fresh = [w for w in predicted.waves if w.offset < n]
    spans = data.draw(st.lists(st.tuples(st.integers(0, n), st.integers(0, 60)), max_size=4))
    review = ReviewSpans((a, a + w) for a, w in spans)
    result = merge_prediction(current, fresh, review)
    merged = Delineation(result.waves, n_samples=n, fs=FS)  # raises if a rule is broken
    reviewed_before = [w for w in current.waves if touches_review(w, review)]
    assert all(w in merged.waves for w in reviewed_before)
    # nothing the model predicted inside a reviewed span is taken
    new = [w for w in merged.waves if w not in current.waves]
    assert not any(touches_review(w, review) for w in new)
    assert set(new) <= set(fresh)
