"""Scoring a delineation against a reference (the standard fiducial protocol).

For each fiducial type (P onset, P peak, P offset, QRS onset, R peak, QRS
offset, T peak, T offset) every reference fiducial is matched one-to-one to the
nearest test fiducial of the same type within a tolerance (150 ms by default;
closest pairs are matched first). Then

* **sensitivity** = matched / reference fiducials;
* **PPV** = matched / test fiducials *inside the annotated regions*. A
  reference such as QTDB's ``q1c`` annotates only some beats, so a test
  fiducial elsewhere is not a false positive. A region is one annotated beat
  (a P wave, the QRS complex after it and the T wave after that, as far as
  they are annotated) from its first sample to its last, widened by a margin
  (the tolerance by default);
* **error** = test - reference in milliseconds: mean and standard deviation
  (sample SD, ``ddof=1``) over the matched pairs.

Scores of several records are pooled with :func:`pool` (counts summed, errors
concatenated), the usual way results on QTDB are reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

import numpy as np

from ecgstudio.core.beats import REFERENCE_BEAT_GAP_S, beat_regions, wave_arrays
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.spans import inside_spans
from ecgstudio.core.waves import WaveKind

#: Default matching tolerance in seconds.
DEFAULT_TOLERANCE_S = 0.150


class Fiducial(Enum):
    """The scored fiducial points (value: label used in tables and JSON)."""

    P_ON = "P on"
    P_PEAK = "P peak"
    P_OFF = "P off"
    QRS_ON = "QRS on"
    R_PEAK = "R peak"
    QRS_OFF = "QRS off"
    T_PEAK = "T peak"
    T_OFF = "T off"


#: Wave kind and field each fiducial is read from.
FIDUCIAL_SOURCE: dict[Fiducial, tuple[WaveKind, str]] = {
    Fiducial.P_ON: (WaveKind.P, "onset"),
    Fiducial.P_PEAK: (WaveKind.P, "peak"),
    Fiducial.P_OFF: (WaveKind.P, "offset"),
    Fiducial.QRS_ON: (WaveKind.QRS, "onset"),
    Fiducial.R_PEAK: (WaveKind.QRS, "peak"),
    Fiducial.QRS_OFF: (WaveKind.QRS, "offset"),
    Fiducial.T_PEAK: (WaveKind.T, "peak"),
    Fiducial.T_OFF: (WaveKind.T, "offset"),
}


@dataclass(frozen=True)
class FiducialScore:
    """Matching result of one fiducial type.

    Attributes
    ----------
    fiducial : Fiducial
        Which fiducial.
    n_reference : int
        Reference fiducials.
    n_test : int
        Test fiducials inside the annotated regions (matched or not).
    n_matched : int
        Matched pairs.
    errors_ms : tuple[float, ...]
        Test - reference of every matched pair, in milliseconds.
    """

    fiducial: Fiducial
    n_reference: int
    n_test: int
    n_matched: int
    errors_ms: tuple[float, ...] = ()

    @property
    def sensitivity(self) -> float:
        """Matched / reference, in [0, 1]; NaN without reference fiducials."""
        return self.n_matched / self.n_reference if self.n_reference else float("nan")

    @property
    def ppv(self) -> float:
        """Matched / test fiducials in the annotated regions; NaN if there are none."""
        return self.n_matched / self.n_test if self.n_test else float("nan")

    @property
    def mean_error_ms(self) -> float:
        """Mean of test - reference (ms); NaN without matches."""
        return float(np.mean(self.errors_ms)) if self.errors_ms else float("nan")

    @property
    def sd_error_ms(self) -> float:
        """Sample standard deviation of test - reference (ms); NaN below 2 matches."""
        return float(np.std(self.errors_ms, ddof=1)) if len(self.errors_ms) > 1 else float("nan")

    def summary(self) -> dict[str, float | int]:
        """JSON-ready numbers (NaN where undefined)."""
        return {
            "n_reference": self.n_reference,
            "n_test": self.n_test,
            "n_matched": self.n_matched,
            "sensitivity": self.sensitivity,
            "ppv": self.ppv,
            "mean_error_ms": self.mean_error_ms,
            "sd_error_ms": self.sd_error_ms,
        }


@dataclass(frozen=True)
class Score:
    """Scores of all fiducial types (one record, or pooled over records)."""

    fiducials: tuple[FiducialScore, ...]

    def __getitem__(self, fiducial: Fiducial) -> FiducialScore:
        for item in self.fiducials:
            if item.fiducial is fiducial:
                return item
        raise KeyError(fiducial)

    def summary(self) -> dict[str, dict[str, float | int]]:
        """``{fiducial label: FiducialScore.summary()}``."""
        return {item.fiducial.value: item.summary() for item in self.fiducials}


def fiducial_samples(track: Delineation, fiducial: Fiducial) -> np.ndarray:
    """Sorted sample positions (int64) of ``fiducial`` in ``track`` (unknown ones skipped)."""
    kind, field = FIDUCIAL_SOURCE[fiducial]
    values = [getattr(w, field) for w in track if w.kind is kind]
    return np.sort(np.array([v for v in values if v is not None], dtype=np.int64))


def annotated_regions(reference: Delineation, margin_samples: int) -> np.ndarray:
    """Half-open sample intervals covered by the reference's annotated beats.

    A beat is :mod:`ecgstudio.core.beats`' (P, the QRS after it, the T after that, at
    most :data:`~ecgstudio.core.beats.REFERENCE_BEAT_GAP_S` apart); an isolated wave is
    an annotated extent of its own.

    Parameters
    ----------
    reference : Delineation
        The (possibly sparse) reference track.
    margin_samples : int
        Each beat's extent is widened by this many samples on both sides.

    Returns
    -------
    np.ndarray
        int64, shape ``(n_regions, 2)``: sorted, merged ``[start, stop)``.
    """
    max_gap = int(round(REFERENCE_BEAT_GAP_S * reference.fs))
    return beat_regions(wave_arrays(reference), max_gap, margin_samples)


def match_nearest(reference: np.ndarray, test: np.ndarray, tolerance: int) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one matching of sorted positions, closest pairs first.

    Every pair within the tolerance is a candidate; pairs are taken in order
    of distance while both ends are free, so the matching is maximal (no
    unmatched reference has a free test position within the tolerance).

    Parameters
    ----------
    reference, test : np.ndarray
        Sorted int sample positions.
    tolerance : int
        Largest accepted ``|test - reference|`` in samples.

    Returns
    -------
    ref_index, test_index : np.ndarray
        Indices of the matched pairs (int64, same length, ordered by reference).
    """
    reference = np.asarray(reference, dtype=np.int64)
    test = np.asarray(test, dtype=np.int64)
    if reference.size == 0 or test.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    lo = np.searchsorted(test, reference - tolerance, side="left")
    hi = np.searchsorted(test, reference + tolerance, side="right")
    counts = hi - lo
    cand_ref = np.repeat(np.arange(reference.size), counts)
    first = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    cand_test = first + np.arange(cand_ref.size)
    dist = np.abs(test[cand_test] - reference[cand_ref])
    order = np.lexsort((cand_test, cand_ref, dist))
    ref_used = np.zeros(reference.size, dtype=bool)
    test_used = np.zeros(test.size, dtype=bool)
    pairs: list[tuple[int, int]] = []
    for r, t in zip(cand_ref[order].tolist(), cand_test[order].tolist(), strict=True):
        if not ref_used[r] and not test_used[t]:
            ref_used[r] = test_used[t] = True
            pairs.append((r, t))
    pairs.sort()
    arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def score_tracks(
    reference: Delineation,
    test: Delineation,
    *,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    margin_s: float | None = None,
) -> Score:
    """Score ``test`` against ``reference`` (same record, same fs).

    Parameters
    ----------
    reference, test : Delineation
        Reference (e.g. ``q1c``) and tested track.
    tolerance_s : float
        Matching tolerance in seconds.
    margin_s : float | None
        Widening of each annotated beat for the PPV regions, in seconds;
        default ``tolerance_s``.

    Raises
    ------
    ValueError
        If the tracks' sampling frequencies differ.
    """
    if abs(reference.fs - test.fs) > 1e-6 * reference.fs:
        raise ValueError(f"sampling frequencies differ: {reference.fs} Hz vs {test.fs} Hz")
    fs = reference.fs
    tolerance = int(round(tolerance_s * fs))
    margin = int(round((tolerance_s if margin_s is None else margin_s) * fs))
    regions = annotated_regions(reference, margin)
    items = []
    for fiducial in Fiducial:
        ref = fiducial_samples(reference, fiducial)
        tst = fiducial_samples(test, fiducial)
        ri, ti = match_nearest(ref, tst, tolerance)
        unmatched = np.ones(tst.size, dtype=bool)
        unmatched[ti] = False
        false_pos = int(np.count_nonzero(inside_spans(tst[unmatched], regions)))
        errors = (tst[ti] - ref[ri]) * (1000.0 / fs)
        items.append(FiducialScore(fiducial, int(ref.size), int(ti.size) + false_pos, int(ti.size),
                                   tuple(errors.tolist())))
    return Score(tuple(items))


def pool(scores: Iterable[Score]) -> Score:
    """Pool scores of several records: counts summed, errors concatenated."""
    scores = list(scores)
    items = []
    for fiducial in Fiducial:
        parts = [s[fiducial] for s in scores]
        items.append(FiducialScore(
            fiducial,
            sum(p.n_reference for p in parts),
            sum(p.n_test for p in parts),
            sum(p.n_matched for p in parts),
            tuple(e for p in parts for e in p.errors_ms),
        ))
    return Score(tuple(items))


def _fmt(value: float, digits: int) -> str:
    return "-" if not np.isfinite(value) else f"{value:.{digits}f}"


def format_table(columns: Mapping[str, Score], *, title: str = "") -> str:
    """A plain-text table, one row per fiducial, one column group per scorer.

    Each group shows sensitivity (%), PPV (%), mean and SD of the error (ms);
    ``n`` is the number of reference fiducials.
    """
    names = list(columns)
    width = 26
    lines = [title] if title else []
    lines.append(f"{'':9}{'n':>6}  " + "".join(f"| {name[:width - 2]:<{width - 2}}" for name in names))
    lines.append(f"{'':9}{'':>6}  " + "".join(f"| {'Se%':>5} {'PPV%':>5} {'mean':>5} {'SD':>5} " for _ in names))
    for fiducial in Fiducial:
        n_ref = max((columns[name][fiducial].n_reference for name in names), default=0)
        row = f"{fiducial.value:<9}{n_ref:>6}  "
        for name in names:
            item = columns[name][fiducial]
            row += (f"| {_fmt(100 * item.sensitivity, 1):>5} {_fmt(100 * item.ppv, 1):>5} "
                    f"{_fmt(item.mean_error_ms, 1):>5} {_fmt(item.sd_error_ms, 1):>5} ")
        lines.append(row.rstrip())
    lines.append("Se: sensitivity, PPV: positive predictive value inside annotated beats, "
                 "mean/SD: error test - reference in ms.")
    return "\n".join(lines)
