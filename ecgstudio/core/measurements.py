"""Per-beat interval measurements (RR, HR, PR, QRS, QT, QTc) from a delineation track.

Beats are those of :mod:`ecgstudio.core.beats`: one per QRS complex, with the
P wave directly before it and the T wave directly after it in the track, if
any. A measure whose wave or boundary is missing is NaN.

Definitions (all in ms, converted from samples with the track's ``fs``):

- ``rr_ms``: R peak of the previous beat to R peak of this beat (QRS onset
  where a beat has no R peak). NaN for the first beat and across gaps longer
  than ``max_rr_s`` (unannotated stretches are not RR intervals).
- ``hr_bpm``: ``60000 / rr_ms``.
- ``pr_ms``: P onset to QRS onset.
- ``qrs_ms``: QRS onset to QRS offset.
- ``qt_ms``: QRS onset to T offset.
- ``qtc_bazett_ms``: ``qt_ms / sqrt(rr_s)``; ``qtc_fridericia_ms``:
  ``qt_ms / cbrt(rr_s)`` with the beat's preceding RR in seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ecgstudio.core.beats import WaveArrays, beat_indices, wave_arrays
from ecgstudio.core.waves import DEFAULT_SYMBOL, Wave, WaveKind

#: RR intervals longer than this (s) are treated as gaps in the annotation.
DEFAULT_MAX_RR_S = 3.0


@dataclass(frozen=True)
class Measure:
    """One column of the beat table: attribute ``key``, display ``label``, ``unit`` and ``short`` label."""

    key: str
    label: str
    unit: str
    short: str


#: The measures of :class:`BeatTable`, in display order.
MEASURES: tuple[Measure, ...] = (
    Measure("rr_ms", "RR", "ms", "RR"),
    Measure("hr_bpm", "HR", "bpm", "HR"),
    Measure("pr_ms", "PR", "ms", "PR"),
    Measure("qrs_ms", "QRS", "ms", "QRS"),
    Measure("qt_ms", "QT", "ms", "QT"),
    Measure("qtc_bazett_ms", "QTc Bazett", "ms", "QTcB"),
    Measure("qtc_fridericia_ms", "QTc Fridericia", "ms", "QTcF"),
)


@dataclass(frozen=True, eq=False)
class BeatTable:
    """Measurements of every beat of a track (one entry per QRS complex).

    Attributes
    ----------
    fs : float
        Sampling frequency in Hz.
    beat_sample : np.ndarray
        int64 ``(n_beats,)``: the beat's fiducial sample (R peak, else QRS
        onset/start), used to navigate to it.
    qrs_onset_sample : np.ndarray
        int64 ``(n_beats,)``: QRS start sample (onset, else peak).
    rr_ms, hr_bpm, pr_ms, qrs_ms, qt_ms, qtc_bazett_ms, qtc_fridericia_ms : np.ndarray
        float64 ``(n_beats,)``; NaN where not measurable.
    p, qrs, t : np.ndarray
        float64 ``(n_beats, 3)``: onset, peak and offset sample of the beat's
        P wave, QRS complex and T wave (NaN where missing).
    p_confidence, qrs_confidence, t_confidence : np.ndarray
        float64 ``(n_beats,)``: model confidence of those waves (NaN for
        manual or missing waves).
    label : np.ndarray
        str ``(n_beats,)``: the QRS complex's beat symbol (``N`` by default).
    """

    fs: float
    beat_sample: np.ndarray
    qrs_onset_sample: np.ndarray
    rr_ms: np.ndarray
    hr_bpm: np.ndarray
    pr_ms: np.ndarray
    qrs_ms: np.ndarray
    qt_ms: np.ndarray
    qtc_bazett_ms: np.ndarray
    qtc_fridericia_ms: np.ndarray
    p: np.ndarray = field(default_factory=lambda: np.empty((0, 3)))
    qrs: np.ndarray = field(default_factory=lambda: np.empty((0, 3)))
    t: np.ndarray = field(default_factory=lambda: np.empty((0, 3)))
    p_confidence: np.ndarray = field(default_factory=lambda: np.empty(0))
    qrs_confidence: np.ndarray = field(default_factory=lambda: np.empty(0))
    t_confidence: np.ndarray = field(default_factory=lambda: np.empty(0))
    label: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=str))

    def __len__(self) -> int:
        return int(self.beat_sample.shape[0])

    def column(self, key: str) -> np.ndarray:
        """The values of the measure ``key`` (one of :data:`MEASURES`' keys)."""
        if key not in {m.key for m in MEASURES}:
            raise KeyError(f"unknown measure {key!r}")
        return getattr(self, key)

    @property
    def beat_time_s(self) -> np.ndarray:
        """float64 ``(n_beats,)``: ``beat_sample / fs`` in seconds."""
        return self.beat_sample / self.fs


@dataclass(frozen=True)
class Summary:
    """Distribution of one measure over the beats where it is defined.

    Attributes
    ----------
    median, q1, q3 : float
        Median and quartiles (NaN when ``n == 0``).
    n : int
        Number of beats with a finite value.
    """

    median: float
    q1: float
    q3: float
    n: int

    @property
    def iqr(self) -> float:
        """Interquartile range ``q3 - q1``."""
        return self.q3 - self.q1


def _beats(waves: Iterable[Wave]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The beats of ``waves`` (:func:`~ecgstudio.core.beats.beat_indices`, waves sorted by start first).

    Returns
    -------
    p, qrs, t : np.ndarray
        float64 ``(n_beats, 4)``: onset, peak, offset and confidence of each beat's P wave,
        QRS complex and T wave (NaN for ``None`` and for a missing wave).
    labels : np.ndarray
        str ``(n_beats,)``: each QRS complex's symbol (``N`` where it has none).
    """
    items = list(waves)
    arrays = wave_arrays(items)
    order = np.arange(len(items))
    start = arrays.start
    if order.size > 1 and np.any(np.diff(start) < 0):
        order = np.lexsort((arrays.offset, start))
        arrays = WaveArrays(arrays.kind[order], arrays.bounds[order])
    table = np.empty((order.size, 4), dtype=np.float64)
    table[:, :3] = np.where(arrays.bounds >= 0, arrays.bounds, np.nan)
    table[:, 3] = np.fromiter((np.nan if items[i].confidence is None else items[i].confidence
                               for i in order.tolist()), np.float64, count=order.size)
    beats = beat_indices(arrays)
    default = DEFAULT_SYMBOL[WaveKind.QRS]
    labels = np.array([items[i].symbol or default for i in order[beats[:, 1]].tolist()], dtype=str)
    padded = np.vstack((table, np.full((1, 4), np.nan)))  # row -1: no such wave
    return padded[beats[:, 0]], table[beats[:, 1]], padded[beats[:, 2]], labels


def _start(arr: np.ndarray) -> np.ndarray:
    """First known position of each wave (onset, else peak, else offset), like :attr:`Wave.start`."""
    return np.where(np.isnan(arr[:, 0]), np.where(np.isnan(arr[:, 1]), arr[:, 2], arr[:, 1]), arr[:, 0])


def measure_beats(
    waves: Iterable[Wave],
    fs: float,
    *,
    max_rr_s: float = DEFAULT_MAX_RR_S,
) -> BeatTable:
    """Measure every beat of a track.

    Parameters
    ----------
    waves : Iterable[Wave]
        The waves of one track (a :class:`~ecgstudio.core.delineation.Delineation`
        iterates as its waves), non-overlapping.
    fs : float
        Sampling frequency in Hz.
    max_rr_s : float
        Longest RR interval in seconds; longer ones are NaN (annotation gaps).

    Returns
    -------
    BeatTable
        One entry per QRS complex, in time order.
    """
    if not (fs > 0 and np.isfinite(fs)):
        raise ValueError(f"sampling frequency must be positive, got {fs}")
    p_of, qrs, t_of, labels = _beats(waves)
    n = qrs.shape[0]
    ms_per_sample = 1000.0 / fs

    q_start = _start(qrs)
    q_onset, q_peak, q_offset = qrs[:, 0], qrs[:, 1], qrs[:, 2]
    fiducial = np.where(np.isnan(q_peak), q_start, q_peak)

    rr = np.full(n, np.nan)
    if n > 1:
        rr[1:] = np.diff(fiducial) * ms_per_sample
        rr[rr > max_rr_s * 1000.0] = np.nan
        rr[rr <= 0] = np.nan
    pr = (q_onset - p_of[:, 0]) * ms_per_sample
    qrs_ms = (q_offset - q_onset) * ms_per_sample
    qt = (t_of[:, 2] - q_onset) * ms_per_sample

    with np.errstate(divide="ignore", invalid="ignore"):
        hr = 60000.0 / rr
        rr_s = rr / 1000.0
        qtc_b = qt / np.sqrt(rr_s)
        qtc_f = qt / np.cbrt(rr_s)
    return BeatTable(
        fs=float(fs),
        beat_sample=fiducial.astype(np.int64),
        qrs_onset_sample=q_start.astype(np.int64),
        rr_ms=rr,
        hr_bpm=hr,
        pr_ms=pr,
        qrs_ms=qrs_ms,
        qt_ms=qt,
        qtc_bazett_ms=qtc_b,
        qtc_fridericia_ms=qtc_f,
        p=p_of[:, :3],
        qrs=qrs[:, :3],
        t=t_of[:, :3],
        p_confidence=p_of[:, 3],
        qrs_confidence=qrs[:, 3],
        t_confidence=t_of[:, 3],
        label=labels,
    )


def summarize_values(values: np.ndarray) -> Summary:
    """Median, quartiles and count of the finite entries of ``values``."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return Summary(float("nan"), float("nan"), float("nan"), 0)
    q1, median, q3 = np.percentile(finite, [25.0, 50.0, 75.0])
    return Summary(float(median), float(q1), float(q3), int(finite.size))


def summarize(table: BeatTable) -> dict[str, Summary]:
    """:class:`Summary` of every measure of ``table``, keyed by :attr:`Measure.key`."""
    return {m.key: summarize_values(table.column(m.key)) for m in MEASURES}
