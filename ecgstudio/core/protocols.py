"""Scoring protocols beyond pooled errors: best lead, per-record SD, QT interval.

* **Best lead** (Martínez et al., IEEE TBME 51:570, 2004, on the QT Database):
  per record and fiducial, of several single-lead tracks the one closest to
  the reference is scored (most matched fiducials, then the smallest mean
  absolute error). It uses the reference to choose, so it is an optimistic
  protocol; applied alike to the model's per-lead tracks and to the peer
  annotators' (``pu0``/``pu1``), it compares like with like.
* **Mean per-record SD**: the SD of the errors of each record, averaged over
  the records (pooled SDs also count each record's bias).
* **QT interval**: per reference beat with a QRS onset and the T offset of
  the same beat, the tested QT (matched QRS onset to matched T offset) minus
  the reference QT, in ms.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ecgstudio.core.beats import beat_indices, wave_arrays
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.metrics import Fiducial, FiducialScore, Score, match_nearest


def _closeness(item: FiducialScore) -> tuple[int, float]:
    errors = np.abs(np.asarray(item.errors_ms, dtype=np.float64))
    return (-item.n_matched, float(errors.mean()) if errors.size else math.inf)


def best_lead(scores: Sequence[Score]) -> tuple[Score, tuple[int, ...]]:
    """Per fiducial, the score of the lead closest to the reference.

    Parameters
    ----------
    scores : Sequence[Score]
        One score per lead of one record (same reference).

    Returns
    -------
    score : Score
        Fiducial by fiducial, the chosen lead's counts and errors.
    chosen : tuple[int, ...]
        The chosen lead index per fiducial (in :class:`Fiducial` order).

    Raises
    ------
    ValueError
        If ``scores`` is empty.
    """
    if not scores:
        raise ValueError("best_lead needs at least one lead's score")
    items, chosen = [], []
    for fiducial in Fiducial:
        index = min(range(len(scores)), key=lambda i: _closeness(scores[i][fiducial]))
        items.append(scores[index][fiducial])
        chosen.append(index)
    return Score(tuple(items)), tuple(chosen)


def mean_record_sd(per_record: Iterable[Score]) -> dict[Fiducial, float]:
    """Per fiducial, the mean over records of each record's error SD (ms).

    Records with fewer than two matched fiducials are left out; NaN when none
    is left.
    """
    sds: dict[Fiducial, list[float]] = {f: [] for f in Fiducial}
    for score in per_record:
        for fiducial in Fiducial:
            sd = score[fiducial].sd_error_ms
            if math.isfinite(sd):
                sds[fiducial].append(sd)
    return {f: float(np.mean(v)) if v else math.nan for f, v in sds.items()}


def qt_pairs(track: Delineation) -> np.ndarray:
    """(QRS onset, T offset) of every beat (:mod:`ecgstudio.core.beats`) with a T wave and a QRS onset.

    Returns
    -------
    np.ndarray
        int64, shape ``(n_beats, 2)``, sorted by QRS onset.
    """
    waves = wave_arrays(track)
    beats = beat_indices(waves)
    beats = beats[beats[:, 2] >= 0]
    onset = waves.bounds[beats[:, 1], 0]
    pairs = np.stack((onset, waves.bounds[beats[:, 2], 2]), axis=1)
    return pairs[onset >= 0].astype(np.int64).reshape(-1, 2)


@dataclass(frozen=True)
class QtScore:
    """Per-beat QT-interval errors of a tested track against a reference.

    Attributes
    ----------
    n_reference : int
        Reference beats with a QRS onset and a T offset.
    errors_ms : tuple[float, ...]
        Tested QT minus reference QT (ms), one per reference beat whose QRS
        onset and T offset both have a tested counterpart within the tolerance.
    """

    n_reference: int
    errors_ms: tuple[float, ...]

    @property
    def n_matched(self) -> int:
        """Beats with a QT error."""
        return len(self.errors_ms)

    @property
    def mean_ms(self) -> float:
        """Mean error (ms), NaN without beats."""
        return float(np.mean(self.errors_ms)) if self.errors_ms else math.nan

    @property
    def sd_ms(self) -> float:
        """Error SD (ms, ``ddof=1``), NaN with fewer than two beats."""
        return float(np.std(self.errors_ms, ddof=1)) if len(self.errors_ms) > 1 else math.nan

    def share_within(self, limit_ms: float) -> float:
        """Share of the reference beats whose QT error is within ``+-limit_ms`` (unmatched beats count as outside)."""
        if self.n_reference == 0:
            return math.nan
        errors = np.abs(np.asarray(self.errors_ms, dtype=np.float64))
        return float(np.count_nonzero(errors <= limit_ms)) / self.n_reference

    def summary(self) -> dict[str, float | int]:
        """JSON-ready figures."""
        return {"n_reference": self.n_reference, "n_matched": self.n_matched, "mean_error_ms": self.mean_ms,
                "sd_error_ms": self.sd_ms, "within_10_ms": self.share_within(10.0),
                "within_20_ms": self.share_within(20.0)}


def score_qt(reference: Delineation, test: Delineation, *, tolerance_s: float) -> QtScore:
    """Per-beat QT errors of ``test`` against ``reference`` (same record and fs).

    A reference beat is scored when the tested track has a beat whose QRS
    onset and T offset match the reference's (one-to-one, within the
    tolerance, :func:`~ecgstudio.core.metrics.match_nearest`).
    """
    tolerance = int(round(tolerance_s * reference.fs))
    ref, tst = qt_pairs(reference), qt_pairs(test)
    ri, ti = match_nearest(ref[:, 0], tst[:, 0], tolerance)
    ok = np.abs(tst[ti, 1] - ref[ri, 1]) <= tolerance
    ri, ti = ri[ok], ti[ok]
    errors = ((tst[ti, 1] - tst[ti, 0]) - (ref[ri, 1] - ref[ri, 0])) * (1000.0 / reference.fs)
    return QtScore(int(ref.shape[0]), tuple(errors.tolist()))


def pool_qt(scores: Iterable[QtScore]) -> QtScore:
    """QT scores of several records pooled."""
    scores = list(scores)
    return QtScore(sum(s.n_reference for s in scores), tuple(e for s in scores for e in s.errors_ms))


def format_protocols(
    columns: Mapping[str, Score],
    record_sd: Mapping[str, Mapping[Fiducial, float]],
    qt: Mapping[str, QtScore],
    *,
    title: str = "",
) -> str:
    """Plain-text table: per column the pooled SD, the mean per-record SD, then a QT line.

    Parameters
    ----------
    columns : Mapping[str, Score]
        Pooled scores per column.
    record_sd : Mapping[str, Mapping[Fiducial, float]]
        :func:`mean_record_sd` per column.
    qt : Mapping[str, QtScore]
        Pooled QT scores per column (columns without one show ``-``).
    """
    names = list(columns)
    width = 20
    lines = [title] if title else []
    lines.append(f"{'':9}" + "".join(f"| {n[:width - 2]:<{width - 2}}" for n in names))
    lines.append(f"{'':9}" + "".join(f"| {'Se%':>5} {'SD':>5} {'recSD':>5} " for _ in names))
    for fiducial in Fiducial:
        row = f"{fiducial.value:<9}"
        for n in names:
            item = columns[n][fiducial]
            rec = record_sd.get(n, {}).get(fiducial, math.nan)
            row += f"| {_f(100 * item.sensitivity):>5} {_f(item.sd_error_ms):>5} {_f(rec):>5} "
        lines.append(row.rstrip())
    row = f"{'QT':<9}"
    for n in names:
        q = qt.get(n)
        row += f"| {_f(q.mean_ms) if q else '-':>5} {_f(q.sd_ms) if q else '-':>5} {'':5} "
    lines.append(row.rstrip())
    row = f"{'QT <=10':<9}"
    for n in names:
        q = qt.get(n)
        text = f"{_f(100 * q.share_within(10.0), 0)}%/{_f(100 * q.share_within(20.0), 0)}%" if q else "-"
        row += f"| {text:>17} "
    lines.append(row.rstrip() + "   (share of beats within 10 ms / 20 ms)")
    lines.append("Se: sensitivity %; SD: pooled error SD; recSD: mean per-record SD (ms); "
                 "QT: per-beat QT error mean and SD (ms).")
    return "\n".join(lines)


def _f(value: float, digits: int = 1) -> str:
    return "-" if not math.isfinite(value) else f"{value:.{digits}f}"
