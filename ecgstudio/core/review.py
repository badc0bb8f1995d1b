"""Which parts of a record a clinician has reviewed.

:class:`ReviewSpans` is a frozen set of half-open sample intervals
``[start, stop)``, always kept sorted and merged (touching intervals are
joined). Every change returns a new value, so the GUI can keep the old one for
undo. Fine-tuning uses the reviewed samples only.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np


def _normalise(spans: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Sorted, merged intervals; empty ones are dropped.

    Raises
    ------
    ValueError
        If a bound is negative.
    """
    pairs = []
    for start, stop in spans:
        start, stop = int(start), int(stop)
        if start < 0 or stop < 0:
            raise ValueError(f"review span {start}..{stop}: samples must be non-negative")
        if stop > start:
            pairs.append((start, stop))
    pairs.sort()
    merged: list[tuple[int, int]] = []
    for start, stop in pairs:
        if merged and start <= merged[-1][1]:
            if stop > merged[-1][1]:
                merged[-1] = (merged[-1][0], stop)
        else:
            merged.append((start, stop))
    return tuple(merged)


@dataclass(frozen=True)
class ReviewSpans:
    """Reviewed sample intervals ``[start, stop)``, sorted and merged.

    Parameters
    ----------
    spans : Iterable[tuple[int, int]]
        Intervals in any order; overlapping or touching ones are merged and
        empty ones (``stop <= start``) ignored.

    Examples
    --------
    >>> ReviewSpans([(10, 20), (20, 30), (50, 60)]).spans
    ((10, 30), (50, 60))
    """

    spans: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "spans", _normalise(self.spans))

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(self.spans)

    def __len__(self) -> int:
        return len(self.spans)

    def __bool__(self) -> bool:
        return bool(self.spans)

    @property
    def total_samples(self) -> int:
        """Number of reviewed samples."""
        return sum(stop - start for start, stop in self.spans)

    def add(self, start: int, stop: int) -> ReviewSpans:
        """A copy with ``[start, stop)`` marked reviewed."""
        return ReviewSpans((*self.spans, (start, stop)))

    def remove(self, start: int, stop: int) -> ReviewSpans:
        """A copy with ``[start, stop)`` no longer reviewed (spans are split as needed)."""
        start, stop = int(start), int(stop)
        if stop <= start:
            return self
        out: list[tuple[int, int]] = []
        for a, b in self.spans:
            if b <= start or a >= stop:
                out.append((a, b))
                continue
            if a < start:
                out.append((a, start))
            if b > stop:
                out.append((stop, b))
        return ReviewSpans(tuple(out))

    def _index_at(self, sample: int) -> int:
        """Index of the span that could contain ``sample`` (-1 if none starts at or before it)."""
        starts = [a for a, _ in self.spans]
        return bisect.bisect_right(starts, sample) - 1

    def contains(self, sample: int) -> bool:
        """Whether ``sample`` is reviewed."""
        i = self._index_at(int(sample))
        return i >= 0 and self.spans[i][0] <= sample < self.spans[i][1]

    def covers(self, start: int, stop: int) -> bool:
        """Whether every sample of ``[start, stop)`` is reviewed (True for an empty range)."""
        if stop <= start:
            return True
        i = self._index_at(int(start))
        return i >= 0 and self.spans[i][0] <= start and stop <= self.spans[i][1]

    def overlapping(self, start: int, stop: int) -> ReviewSpans:
        """The reviewed parts of ``[start, stop)``."""
        return ReviewSpans(tuple((max(a, start), min(b, stop)) for a, b in self.spans if a < stop and b > start))

    def to_mask(self, n_samples: int) -> np.ndarray:
        """bool array of shape ``(n_samples,)``, True where reviewed (spans clipped to it)."""
        mask = np.zeros(int(n_samples), dtype=bool)
        for start, stop in self.spans:
            if start >= n_samples:
                break
            mask[start:min(stop, n_samples)] = True
        return mask


@dataclass(frozen=True)
class ReviewMark:
    """One "marked reviewed" act: who reviewed which samples when.

    Attributes
    ----------
    start, stop : int
        Half-open sample span ``[start, stop)`` the reviewer marked.
    reviewer : str
        Who marked it (login name or what the user entered).
    at : str
        When, as an ISO 8601 UTC time (``2026-12-03T17:50:00Z``).
    """

    start: int
    stop: int
    reviewer: str
    at: str


@dataclass(frozen=True)
class ReviewInfo:
    """Provenance kept beside the reviewed spans (review sidecar, version 2).

    Attributes
    ----------
    marks : tuple[ReviewMark, ...]
        Every marking act, oldest first (a log: the spans of
        :class:`ReviewSpans` are what is reviewed now; unmarking does not
        rewrite history).
    model : str | None
        Name of the model that produced the unreviewed waves of the file,
        ``None`` when no model output was ever put into it.
    model_at : str | None
        When that pre-annotation ran (ISO 8601 UTC).
    """

    marks: tuple[ReviewMark, ...] = ()
    model: str | None = None
    model_at: str | None = None

    def with_mark(self, mark: ReviewMark) -> ReviewInfo:
        """A copy with ``mark`` appended."""
        return ReviewInfo((*self.marks, mark), self.model, self.model_at)
