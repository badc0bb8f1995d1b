"""What a beat is: the one definition of which waves of a track make one heart beat.

A track's waves are sorted by start and do not overlap (:mod:`ecgstudio.core.delineation`).
A **beat** is anchored on its QRS complex: its P wave is the wave directly before the QRS
if that is a P wave, its T wave the wave directly after it if that is a T wave. With a
``max_gap`` (samples), a P or T wave further than that from its QRS is not joined to it.
A P or T wave joined to no QRS belongs to no beat.

Every beat-wise view of a track uses this rule: the beat around a selected wave (the
editor's *Accept beat*, :func:`beat_span`), the per-beat measurements
(:mod:`ecgstudio.core.measurements`), the QT pairs of the scoring protocols
(:mod:`ecgstudio.core.protocols`) and the annotated extent of a sparse reference
(:func:`beat_regions`, used by :mod:`ecgstudio.core.metrics` and
:mod:`ecgstudio.core.disagreement`), where an isolated wave counts as an extent of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import EditError
from ecgstudio.core.waves import Wave, WaveKind

#: Kind codes of :class:`WaveArrays` (time order of a beat).
KIND_CODE: dict[WaveKind, int] = {WaveKind.P: 0, WaveKind.QRS: 1, WaveKind.T: 2}
P_CODE, QRS_CODE, T_CODE = 0, 1, 2

#: Longest gap between the waves of one annotated beat of a reference, in seconds.
REFERENCE_BEAT_GAP_S = 1.0

_FIELDS = ("onset", "peak", "offset")


@dataclass(frozen=True, eq=False)
class WaveArrays:
    """The waves of a track as arrays, in the track's order.

    Attributes
    ----------
    kind : np.ndarray
        int8 ``(n,)``: :data:`KIND_CODE` of each wave.
    bounds : np.ndarray
        int64 ``(n, 3)``: onset, peak and offset sample; -1 where unknown (``None``).
    """

    kind: np.ndarray
    bounds: np.ndarray

    def __len__(self) -> int:
        return int(self.kind.size)

    @property
    def start(self) -> np.ndarray:
        """int64 ``(n,)``: first known position (onset, else peak, else offset), as :attr:`Wave.start`."""
        onset, peak, offset = self.bounds[:, 0], self.bounds[:, 1], self.bounds[:, 2]
        return np.where(onset >= 0, onset, np.where(peak >= 0, peak, offset))

    @property
    def offset(self) -> np.ndarray:
        """int64 ``(n,)``: offset samples."""
        return self.bounds[:, 2]


def wave_arrays(waves: Iterable[Wave]) -> WaveArrays:
    """:class:`WaveArrays` of ``waves`` (a :class:`Delineation` iterates as its waves), order kept."""
    items = waves if isinstance(waves, list) else list(waves)
    n = len(items)
    kind = np.fromiter((KIND_CODE[w.kind] for w in items), dtype=np.int8, count=n)
    bounds = np.empty((n, 3), dtype=np.int64)
    for j, attr in enumerate(_FIELDS):
        bounds[:, j] = np.fromiter((-1 if getattr(w, attr) is None else getattr(w, attr) for w in items),
                                   dtype=np.int64, count=n)
    return WaveArrays(kind, bounds)


def beat_joins(waves: WaveArrays, max_gap: int | None = None) -> np.ndarray:
    """Whether each wave belongs to the same beat as the wave before it.

    Parameters
    ----------
    waves : WaveArrays
        Waves sorted by start, non-overlapping.
    max_gap : int | None
        Largest ``start - previous offset`` (samples) still joined; ``None``: no limit.

    Returns
    -------
    np.ndarray
        bool ``(max(n - 1, 0),)``: entry ``i`` joins wave ``i + 1`` to wave ``i``
        (a P directly before a QRS, or a T directly after one).
    """
    kind = waves.kind
    if kind.size < 2:
        return np.zeros(0, dtype=bool)
    joined = ((kind[:-1] == P_CODE) & (kind[1:] == QRS_CODE)) | ((kind[:-1] == QRS_CODE) & (kind[1:] == T_CODE))
    if max_gap is not None:
        joined &= waves.start[1:] - waves.offset[:-1] <= max_gap
    return joined


def beat_indices(waves: WaveArrays, max_gap: int | None = None) -> np.ndarray:
    """The beats of a track as wave indices.

    ``waves`` and ``max_gap`` as in :func:`beat_joins`.

    Returns
    -------
    np.ndarray
        int64 ``(n_beats, 3)``, one row per QRS complex in time order: the index of its
        P wave, of the QRS and of its T wave (-1 where the beat has none).
    """
    qrs = np.flatnonzero(waves.kind == QRS_CODE).astype(np.int64)
    joins = beat_joins(waves, max_gap)
    n = len(waves)
    has_p = qrs > 0
    has_p[has_p] = joins[qrs[has_p] - 1]
    has_t = qrs < n - 1
    has_t[has_t] = joins[qrs[has_t]]
    return np.stack((np.where(has_p, qrs - 1, -1), qrs, np.where(has_t, qrs + 1, -1)), axis=1).reshape(-1, 3)


def beat_regions(waves: WaveArrays, max_gap: int | None = None, margin: int = 0) -> np.ndarray:
    """Sample extent of the annotated beats: sorted, merged half-open spans.

    Each beat (its P, QRS and T as joined by :func:`beat_joins`) and each wave joined to
    no other spans its first to its last sample; the spans are widened by ``margin``
    samples on both sides and overlapping or touching ones merged.

    Parameters
    ----------
    waves : WaveArrays
        Waves sorted by start, non-overlapping.
    max_gap : int | None
        As in :func:`beat_joins`.
    margin : int
        Samples added on each side of every beat.

    Returns
    -------
    np.ndarray
        int64 ``(n_regions, 2)``: ``[start - margin, last + 1 + margin)``, sorted and disjoint.
    """
    if len(waves) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    start, stop = waves.start, waves.offset
    first = np.flatnonzero(np.concatenate(([True], ~beat_joins(waves, max_gap))))
    spans = np.stack((start[first] - margin, np.maximum.reduceat(stop, first) + 1 + margin), axis=1)
    spans = spans[np.argsort(spans[:, 0], kind="stable")]
    ends = np.maximum.accumulate(spans[:, 1])
    new = np.concatenate(([True], spans[1:, 0] > ends[:-1]))
    group_first = np.flatnonzero(new)
    group_last = np.concatenate((group_first[1:] - 1, [spans.shape[0] - 1]))
    return np.stack((spans[group_first, 0], ends[group_last]), axis=1).astype(np.int64)


def beat_span(track: Delineation, wave: Wave) -> tuple[int, int] | None:
    """Inclusive sample range of the beat holding ``wave``: its P start (if any) .. its T offset (if any).

    Returns
    -------
    tuple[int, int] | None
        ``None`` if ``wave`` is not in ``track`` or belongs to no beat (a P or T
        wave not joined to a QRS).
    """
    try:
        i = track.index_of(wave)
    except EditError:
        return None
    lo, hi = max(0, i - 2), min(len(track), i + 3)
    local = wave_arrays([track[j] for j in range(lo, hi)])
    for p, q, t in beat_indices(local).tolist():
        if i - lo in (p, q, t):
            first = track[lo + (p if p >= 0 else q)]
            last = track[lo + (t if t >= 0 else q)]
            return first.start, last.offset
    return None
