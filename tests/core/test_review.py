"""ReviewSpans: merged half-open sample intervals, compared with a plain set of samples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecgstudio.core.review import ReviewSpans

LIMIT = 60
interval = st.tuples(st.integers(0, LIMIT), st.integers(0, LIMIT))
operation = st.tuples(st.sampled_from(["add", "remove"]), interval)


def samples_of(spans: ReviewSpans) -> set[int]:
    return {s for start, stop in spans for s in range(start, stop)}


@settings(max_examples=200, deadline=None)
@given(st.lists(operation, max_size=12))
def test_add_remove_behave_like_a_set_of_samples(ops):
    spans = ReviewSpans()
    model: set[int] = set()
    for name, (start, stop) in ops:
        spans = getattr(spans, name)(start, stop)
        if name == "add":
            model |= set(range(start, stop))
        else:
            model -= set(range(start, stop))
    assert samples_of(spans) == model
    assert spans.total_samples == len(model)
    # sorted, non-empty, neither overlapping nor touching
    pairs = list(spans)
    assert all(a < b for a, b in pairs)
    assert all(prev[1] < nxt[0] for prev, nxt in zip(pairs, pairs[1:], strict=False))
    for sample in range(LIMIT + 2):
        assert spans.contains(sample) == (sample in model)
    for start in range(0, LIMIT, 7):
        for stop in range(start, LIMIT, 5):
            assert spans.covers(start, stop) == set(range(start, stop)).issubset(model)
    mask = spans.to_mask(LIMIT // 2)
    assert mask.shape == (LIMIT // 2,)
    assert set(np.flatnonzero(mask).tolist()) == {s for s in model if s < LIMIT // 2}


def test_touching_spans_merge_and_values_are_immutable():
    spans = ReviewSpans([(20, 30), (10, 20), (50, 60)])
    assert spans.spans == ((10, 30), (50, 60))
    grown = spans.add(30, 50)
    assert grown.spans == ((10, 60),)
    assert spans.spans == ((10, 30), (50, 60))  # the original is unchanged
    assert grown == ReviewSpans([(10, 60)])
    assert hash(grown) == hash(ReviewSpans([(10, 60)]))


def test_remove_splits_a_span():
    spans = ReviewSpans([(0, 100)]).remove(40, 60)
    assert spans.spans == ((0, 40), (60, 100))
    assert not spans.contains(40) and spans.contains(39) and spans.contains(60)
    assert not spans.covers(30, 70)
    assert spans.overlapping(30, 70).spans == ((30, 40), (60, 70))


def test_empty_spans():
    spans = ReviewSpans()
    assert not spans and len(spans) == 0 and spans.total_samples == 0
    assert spans.add(5, 5) == spans  # empty interval: nothing reviewed
    assert not spans.contains(0)
    assert spans.covers(3, 3)


def test_negative_samples_are_rejected():
    with pytest.raises(ValueError, match="non-negative"):
        ReviewSpans([(-1, 5)])
