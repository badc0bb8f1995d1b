"""Where an edited track disagrees with a reference, fiducial by fiducial, beyond a stated tolerance.

Only the reference's annotated extent counts: a reference such as QTDB's ``q1c`` or a LUDB
lead file annotates some beats only, and a wave where the reference annotated nothing says
nothing about the edited track. For each fiducial (P on/peak/off, QRS on, R peak, QRS off,
T peak/off) the positions of the two tracks are paired one to one, nearest first, within
:data:`PAIRING_WINDOW_S` (the scoring protocol of :mod:`ecgstudio.core.metrics`), and

* a pair further apart than the fiducial's tolerance is a disagreement (``MOVED``, drawn at
  the edited position);
* a reference fiducial without a partner is ``MISSING`` (drawn at the reference position);
* an edited fiducial without a partner is ``EXTRA`` only inside an annotated beat (a P wave,
  the QRS after it and the T wave after that, first to last sample:
  :func:`ecgstudio.core.beats.beat_regions`).

A fiducial the reference never annotates (no P peaks in the whole file, say) is not compared.

Tolerances (:data:`CSE_TOLERANCES_MS`): the CSE working party's limits for the deviation of a
program from the referees' median (2 SD: P on 10.2 ms, P off 12.7 ms, QRS on 6.5 ms, QRS off
11.6 ms, T off 30.6 ms). CSE sets none for peaks; chosen here: R peak 10 ms (sharp, between
the QRS on and off limits), P peak 15 ms (a little above the P limits: a rounded wave), T peak
30.6 ms (as T off: T waves are as flat at the top as at the end).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from ecgstudio.core.beats import KIND_CODE, REFERENCE_BEAT_GAP_S, WaveArrays, beat_regions, wave_arrays
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.metrics import DEFAULT_TOLERANCE_S, FIDUCIAL_SOURCE, Fiducial, match_nearest
from ecgstudio.core.spans import inside_spans
from ecgstudio.core.waves import Wave

#: Largest distance at which two fiducials are still the same one displaced, in seconds.
PAIRING_WINDOW_S = DEFAULT_TOLERANCE_S

#: Tolerance per fiducial in milliseconds (module docstring).
CSE_TOLERANCES_MS: Mapping[Fiducial, float] = {
    Fiducial.P_ON: 10.2,
    Fiducial.P_PEAK: 15.0,
    Fiducial.P_OFF: 12.7,
    Fiducial.QRS_ON: 6.5,
    Fiducial.R_PEAK: 10.0,
    Fiducial.QRS_OFF: 11.6,
    Fiducial.T_PEAK: 30.6,
    Fiducial.T_OFF: 30.6,
}

#: Name of the tolerance set, for legends and counts.
CSE_NAME = "CSE tolerances"

FIDUCIALS: tuple[Fiducial, ...] = tuple(Fiducial)

class Reason(IntEnum):
    """Why a fiducial is flagged."""

    MOVED = 0
    MISSING = 1
    EXTRA = 2


@dataclass(frozen=True, eq=False)
class Disagreements:
    """Flagged fiducials, sorted by sample.

    Attributes
    ----------
    sample : np.ndarray
        int64 ``(n,)``: where the flag is drawn (the edited fiducial; the reference's when missing).
    fiducial : np.ndarray
        int8 ``(n,)``: index into :data:`FIDUCIALS`.
    reason : np.ndarray
        int8 ``(n,)``: a :class:`Reason`.
    error_ms : np.ndarray
        float64 ``(n,)``: edited - reference in ms (NaN when missing or extra).
    tolerances_ms : Mapping[Fiducial, float]
        The tolerances applied.
    """

    sample: np.ndarray
    fiducial: np.ndarray
    reason: np.ndarray
    error_ms: np.ndarray
    tolerances_ms: Mapping[Fiducial, float] = field(default_factory=lambda: dict(CSE_TOLERANCES_MS))

    def __len__(self) -> int:
        return int(self.sample.size)

    def between(self, first: float, last: float) -> np.ndarray:
        """Samples of the flags in ``first..last`` (inclusive)."""
        lo = int(np.searchsorted(self.sample, first, side="left"))
        hi = int(np.searchsorted(self.sample, last, side="right"))
        return self.sample[lo:hi]

    def describe(self, i: int, reference_name: str = "the reference") -> str:
        """One clinical line about flag ``i``, e.g. ``"QRS on 14 ms later than q1c (tolerance 6.5 ms)"``."""
        fid = FIDUCIALS[int(self.fiducial[i])]
        tol = self.tolerances_ms[fid]
        reason = Reason(int(self.reason[i]))
        if reason is Reason.MISSING:
            return f"{fid.value} of {reference_name} has no counterpart here"
        if reason is Reason.EXTRA:
            return f"{fid.value} here has no counterpart in {reference_name}'s annotated beat"
        err = float(self.error_ms[i])
        side = "later" if err > 0 else "earlier"
        return f"{fid.value} {abs(err):.0f} ms {side} than {reference_name} (tolerance {tol:g} ms)"


def _column(waves: WaveArrays, fid: Fiducial) -> np.ndarray:
    """Sorted known positions of ``fid`` among ``waves``."""
    wave_kind, attr = FIDUCIAL_SOURCE[fid]
    values = waves.bounds[waves.kind == KIND_CODE[wave_kind], ("onset", "peak", "offset").index(attr)]
    return np.sort(values[values >= 0])


def _pair(ref: np.ndarray, mine: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~ecgstudio.core.metrics.match_nearest`, vectorised where the answer is plain.

    Mutually nearest pairs within ``window`` are pairs of the closest-first matching; only
    the positions left over go through the exact (looping) matcher, so a 24-hour track
    against a full reference takes milliseconds, not seconds.
    """
    if ref.size == 0 or mine.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    near_mine = _nearest(mine, ref)
    near_ref = _nearest(ref, mine)
    idx = np.arange(ref.size)
    mutual = (near_ref[near_mine] == idx) & (np.abs(mine[near_mine] - ref) <= window)
    ri, ti = idx[mutual], near_mine[mutual]
    rest_r = np.flatnonzero(~mutual)
    free = np.ones(mine.size, dtype=bool)
    free[ti] = False
    rest_t = np.flatnonzero(free)
    rr, tt = match_nearest(ref[rest_r], mine[rest_t], window)
    ri = np.concatenate((ri, rest_r[rr]))
    ti = np.concatenate((ti, rest_t[tt]))
    order = np.argsort(ri, kind="stable")
    return ri[order], ti[order]


def _nearest(values: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """For each of ``targets``, the index of the nearest of the sorted ``values`` (the earlier on a tie)."""
    i = np.clip(np.searchsorted(values, targets), 1, values.size - 1) if values.size > 1 else np.zeros(
        targets.size, dtype=np.int64)
    if values.size == 1:
        return i
    left_closer = (targets - values[i - 1]) <= (values[i] - targets)
    return np.where(left_closer, i - 1, i)


def find_disagreements(edited: Delineation | list[Wave], reference: Delineation, *,
                       tolerances_ms: Mapping[Fiducial, float] = CSE_TOLERANCES_MS,
                       pairing_s: float = PAIRING_WINDOW_S) -> Disagreements:
    """Fiducials of ``edited`` and ``reference`` that disagree inside the reference's annotated beats.

    Parameters
    ----------
    edited : Delineation | list[Wave]
        The track being edited (waves sorted by start).
    reference : Delineation
        The reference track (its ``fs`` converts samples to ms).
    tolerances_ms : Mapping[Fiducial, float]
        Largest accepted ``|edited - reference|`` per fiducial, in ms.
    pairing_s : float
        Fiducials further apart than this are not paired (one is missing, the other extra).

    Returns
    -------
    Disagreements
        Sorted by sample (module docstring for the rules).
    """
    fs = reference.fs
    pair = int(round(pairing_s * fs))
    ref_waves = wave_arrays(reference)
    regions = beat_regions(ref_waves, int(round(REFERENCE_BEAT_GAP_S * fs)))
    waves = wave_arrays(edited)
    if regions.size and len(waves):  # only the edited waves near an annotated beat
        cols = waves.bounds
        padded = regions + np.array([-pair, pair])
        j = np.searchsorted(padded[:, 0], cols[:, 2], side="right") - 1
        near = (j >= 0) & (np.where(cols[:, 0] >= 0, cols[:, 0], cols[:, 2]) < padded[np.maximum(j, 0), 1])
        waves = WaveArrays(waves.kind[near], cols[near])
    samples, fids, reasons, errors = [], [], [], []
    for index, fid in enumerate(FIDUCIALS):
        ref = _column(ref_waves, fid)
        if ref.size == 0:
            continue
        mine = _column(waves, fid)
        ri, ti = _pair(ref, mine, pair)
        err_ms = (mine[ti] - ref[ri]) * (1000.0 / fs)
        moved = np.abs(err_ms) > tolerances_ms[fid] + 1e-9
        missing = np.ones(ref.size, dtype=bool)
        missing[ri] = False
        extra = np.ones(mine.size, dtype=bool)
        extra[ti] = False
        extra &= inside_spans(mine, regions)
        parts = ((mine[ti][moved], Reason.MOVED, err_ms[moved]),
                 (ref[missing], Reason.MISSING, None), (mine[extra], Reason.EXTRA, None))
        for where, reason, err in parts:
            samples.append(where)
            fids.append(np.full(where.size, index, dtype=np.int8))
            reasons.append(np.full(where.size, int(reason), dtype=np.int8))
            errors.append(err if err is not None else np.full(where.size, np.nan))
    if not samples:
        empty = np.zeros(0, dtype=np.int64)
        return Disagreements(empty, empty.astype(np.int8), empty.astype(np.int8), empty.astype(np.float64),
                             dict(tolerances_ms))
    sample = np.concatenate(samples)
    order = np.argsort(sample, kind="stable")
    return Disagreements(sample[order], np.concatenate(fids)[order], np.concatenate(reasons)[order],
                         np.concatenate(errors).astype(np.float64)[order], dict(tolerances_ms))
