"""Per-beat interval measurements (RR, HR, PR, QRS, QT, QTc) from a delineation track.

Beats are the QRS complexes of the track. A beat's P wave is the last P wave
that ends at or before its QRS starts and after the previous QRS ended; its T
wave is the first T wave that starts at or after its QRS ended and before the
next QRS starts. A measure whose wave or boundary is missing is NaN.

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


def _split_by_kind(waves: Iterable[Wave]) -> dict[WaveKind, tuple[np.ndarray, np.ndarray]]:
    """Per kind, float64 ``(n, 4)`` (onset, peak, offset, confidence; NaN for ``None``) and the peak
    symbols (``(n,)`` str, the kind's default where a wave has none), sorted by start."""
    groups: dict[WaveKind, list[Wave]] = {kind: [] for kind in WaveKind}
    for wave in waves:
        groups[wave.kind].append(wave)
    nan = float("nan")
    out = {}
    for kind, items in groups.items():
        n = len(items)
        arr = np.empty((n, 4), dtype=np.float64)
        arr[:, 0] = np.fromiter((nan if w.onset is None else w.onset for w in items), np.float64, count=n)
        arr[:, 1] = np.fromiter((nan if w.peak is None else w.peak for w in items), np.float64, count=n)
        arr[:, 2] = np.fromiter((w.offset for w in items), np.float64, count=n)
        arr[:, 3] = np.fromiter((nan if w.confidence is None else w.confidence for w in items), np.float64,
                                count=n)
        default = DEFAULT_SYMBOL[kind]
        symbols = np.array([w.symbol or default for w in items] if kind is WaveKind.QRS else [default] * n,
                           dtype=str)
        start = _start(arr)
        if n > 1 and np.any(np.diff(start) < 0):
            order = np.lexsort((arr[:, 2], start))
            arr, symbols = arr[order], symbols[order]
        out[kind] = (arr, symbols)
    return out


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
    by_kind = _split_by_kind(waves)
    qrs, labels = by_kind[WaveKind.QRS]
    n = qrs.shape[0]
    p_of = np.full((n, 4), np.nan)
    t_of = np.full((n, 4), np.nan)
    ms_per_sample = 1000.0 / fs

    q_start = _start(qrs)
    q_onset, q_peak, q_offset = qrs[:, 0], qrs[:, 1], qrs[:, 2]
    fiducial = np.where(np.isnan(q_peak), q_start, q_peak)

    rr = np.full(n, np.nan)
    if n > 1:
        rr[1:] = np.diff(fiducial) * ms_per_sample
        rr[rr > max_rr_s * 1000.0] = np.nan
        rr[rr <= 0] = np.nan

    # P wave of beat i: the last P ending by QRS start and starting after the previous QRS offset.
    pr = np.full(n, np.nan)
    p_waves = by_kind[WaveKind.P][0]
    if n and p_waves.shape[0]:
        p_offset, p_start, p_onset = p_waves[:, 2], _start(p_waves), p_waves[:, 0]
        j = np.searchsorted(p_offset, q_start, side="right") - 1
        prev_offset = np.concatenate(([-np.inf], q_offset[:-1]))
        ok = j >= 0
        jj = np.where(ok, j, 0)
        ok &= p_start[jj] >= prev_offset
        pr = np.where(ok, (q_onset - p_onset[jj]) * ms_per_sample, np.nan)
        p_of[ok] = p_waves[jj[ok]]

    qrs_ms = (q_offset - q_onset) * ms_per_sample

    # T wave of beat i: the first T starting at/after QRS offset and before the next QRS start.
    qt = np.full(n, np.nan)
    t_waves = by_kind[WaveKind.T][0]
    if n and t_waves.shape[0]:
        t_start, t_offset = _start(t_waves), t_waves[:, 2]
        j = np.searchsorted(t_start, q_offset, side="left")
        next_start = np.concatenate((q_start[1:], [np.inf]))
        ok = j < t_waves.shape[0]
        jj = np.where(ok, j, 0)
        ok &= t_start[jj] < next_start
        qt = np.where(ok, (t_offset[jj] - q_onset) * ms_per_sample, np.nan)
        t_of[ok] = t_waves[jj[ok]]

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
