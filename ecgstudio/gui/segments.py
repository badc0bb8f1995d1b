"""Waves -> coloured segments for the annotation bands (numpy only).

The bands colour samples exactly as :func:`ecgstudio.core.masks.to_mask`
classes them (P, PQ, QR, RS, ST, TP; short gaps between waves take the class
their neighbours define, other samples stay unlabelled), but work on a slice
of waves so that only the visible part of a 24-hour track is touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ecgstudio.core.masks import DEFAULT_MAX_GAP_S, GAP_CLASS
from ecgstudio.core.waves import SegmentClass, Wave, WaveKind
from ecgstudio.gui.colors import UNLABELLED

_KIND_CODE = {WaveKind.P: 0, WaveKind.QRS: 1, WaveKind.T: 2}

#: Gap class by (kind code before, kind code after), from core.masks; -1 = unlabelled.
_GAP_TABLE = np.full((3, 3), -1, dtype=np.int16)
for (_before, _after), _cls in GAP_CLASS.items():
    _GAP_TABLE[_KIND_CODE[_before], _KIND_CODE[_after]] = _cls


@dataclass(frozen=True)
class WaveArrays:
    """Columns of a run of waves (all int64 samples, shape ``(n_waves,)``).

    ``peak`` is -1 where unknown; ``confidence`` is NaN for manual waves.
    """

    kind: np.ndarray
    start: np.ndarray
    peak: np.ndarray
    offset: np.ndarray
    confidence: np.ndarray

    @classmethod
    def from_waves(cls, waves: Sequence[Wave]) -> WaveArrays:
        """Columns of ``waves`` (sorted by start, as a track holds them)."""
        n = len(waves)
        kind = np.fromiter((_KIND_CODE[w.kind] for w in waves), dtype=np.int8, count=n)
        start = np.fromiter((w.start for w in waves), dtype=np.int64, count=n)
        peak = np.fromiter((-1 if w.peak is None else w.peak for w in waves), dtype=np.int64, count=n)
        offset = np.fromiter((w.offset for w in waves), dtype=np.int64, count=n)
        conf = np.fromiter((np.nan if w.confidence is None else w.confidence for w in waves),
                           dtype=np.float64, count=n)
        return cls(kind, start, peak, offset, conf)


@dataclass(frozen=True)
class Segments:
    """Sorted, non-overlapping half-open runs ``[start, stop)`` of one class."""

    start: np.ndarray
    stop: np.ndarray
    cls: np.ndarray

    def classes_at(self, samples: np.ndarray) -> np.ndarray:
        """Class code at each of ``samples`` (float or int, any shape).

        Samples outside every segment get :data:`~ecgstudio.gui.colors.UNLABELLED`.
        """
        x = np.floor(np.asarray(samples, dtype=np.float64)).astype(np.int64)
        idx = np.searchsorted(self.start, x, side="right") - 1
        safe = np.clip(idx, 0, max(len(self.start) - 1, 0))
        out = np.full(x.shape, UNLABELLED, dtype=np.int16)
        if len(self.start):
            inside = (idx >= 0) & (x < self.stop[safe])
            out[inside] = self.cls[safe[inside]]
        return out


def segments_of(arrays: WaveArrays, fs: float, max_gap_s: float = DEFAULT_MAX_GAP_S) -> Segments:
    """Coloured runs of a slice of waves, including the classed gaps between them.

    Parameters
    ----------
    arrays : WaveArrays
        Consecutive waves of one track.
    fs : float
        Sampling frequency in Hz (for ``max_gap_s``).
    max_gap_s : float
        Longer gaps stay unlabelled (seconds).
    """
    kind, start, peak, offset = arrays.kind, arrays.start, arrays.peak, arrays.offset
    qrs_peak = np.where(peak >= 0, peak, start + (offset - start) // 2)
    is_qrs = kind == 1
    wave_cls = np.where(kind == 0, SegmentClass.P, SegmentClass.ST).astype(np.int16)
    starts = [np.where(is_qrs, start, start), qrs_peak[is_qrs]]
    stops = [np.where(is_qrs, qrs_peak, offset), offset[is_qrs]]
    classes = [np.where(is_qrs, SegmentClass.QR, wave_cls).astype(np.int16),
               np.full(int(is_qrs.sum()), SegmentClass.RS, dtype=np.int16)]
    if len(kind) > 1:
        gap_cls = _GAP_TABLE[kind[:-1], kind[1:]]
        gap_start, gap_stop = offset[:-1], start[1:]
        ok = (gap_cls >= 0) & (gap_stop - gap_start <= int(round(max_gap_s * fs)))
        starts.append(gap_start[ok])
        stops.append(gap_stop[ok])
        classes.append(gap_cls[ok])
    s = np.concatenate(starts)
    e = np.concatenate(stops)
    c = np.concatenate(classes)
    keep = e > s
    s, e, c = s[keep], e[keep], c[keep]
    order = np.argsort(s, kind="stable")
    return Segments(s[order], e[order], c[order])


def merge_runs(x0: np.ndarray, x1: np.ndarray, min_gap: float) -> tuple[np.ndarray, np.ndarray]:
    """Merge intervals ``[x0[i], x1[i]]`` (sorted by ``x0``) whose gaps are under ``min_gap``.

    Used to draw thousands of markers (low-confidence waves, reviewed spans of
    a zoomed-out 24-hour record) as at most about one rectangle per pixel.

    Returns
    -------
    x0, x1 : np.ndarray
        float64 merged intervals, sorted.
    """
    x0 = np.asarray(x0, dtype=np.float64)
    x1 = np.asarray(x1, dtype=np.float64)
    if x0.size < 2:
        return x0, x1
    ends = np.maximum.accumulate(x1)
    breaks = np.flatnonzero(x0[1:] - ends[:-1] >= min_gap) + 1
    first = np.concatenate(([0], breaks))
    last = np.concatenate((breaks - 1, [x0.size - 1]))
    return x0[first], ends[last]
