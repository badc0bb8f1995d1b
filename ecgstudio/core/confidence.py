"""Per-wave confidence from the model's class probabilities, and the worst share of a track.

Definition (measured, ``bench/confidence_calibration.py``): a wave's confidence is the
*sharpness of its two decoded boundaries*. Let ``m(t)`` be the probability mass of the
wave's class at sample ``t`` (P: ``P``; QRS: ``QR + RS``; T: ``ST``, the class the T wave
is decoded from). Around each boundary ``b`` (the run's first sample and its exclusive
end) the mean of ``|2 m(t) - 1|`` over ``b - h .. b + h - 1`` (``h`` = 20 ms) is 1 for a
clean step from "not this wave" to "this wave" and near 0 where the model hesitates
over tens of milliseconds; the confidence is the smaller of the two values, in
``[0, 1]``.

On the 20 QTDB test records of the shipped model, decoded as at issue 10 (T ends by
the trapezium area; 2029 waves in beats ``q1c`` annotated), the worst 5 % of each
record's waves by this confidence had a mean largest fiducial error of 25.2 ms against
19.8 ms for the others, 64 % against 54 % of them beyond a CSE tolerance (Spearman rho
-0.23 between confidence and error); the mean probability of the wave's class gave
27.8 against 19.6 ms but 44 % against 55 % beyond CSE (rho -0.13). (The figures first
given here, 39.8 against 21.7 ms and rho -0.40 on 1762 waves, predate issue 10's T-wave
changes and counted a wave in a beat by its start only.) The worst share
is mostly P waves (62 of 89); within one kind, the worst 5 % of P waves err by 58.7
against 18.4 ms, of QRS complexes by 44.9 against 16.1 ms, while T waves do not
separate (15.6 against 23.3 ms).
"""

from __future__ import annotations

import math

import numpy as np

#: Half width of the window around each boundary, in seconds.
EDGE_HALF_WINDOW_S = 0.020
#: Default share of a track's scored waves called uncertain (the worst 5 %).
DEFAULT_WORST_SHARE = 0.05
#: Model classes that make up each decoded wave code (P = 0, QRS = QR + RS = 2, T = ST = 4).
_CLASSES_OF_CODE = {0: (0,), 2: (2, 3), 4: (4,)}
#: Waves handled per batch (bounds the temporary arrays to a few MB).
_BATCH = 50_000


def boundary_confidence(probs: np.ndarray, starts: np.ndarray, stops: np.ndarray, codes: np.ndarray,
                        fs: float, half_window_s: float = EDGE_HALF_WINDOW_S) -> np.ndarray:
    """Confidence of decoded waves: the sharpness of their weaker boundary (module docstring).

    Parameters
    ----------
    probs : np.ndarray
        float16/float32, shape ``(n_samples, 6)``: class probabilities per sample.
    starts, stops : np.ndarray
        int, shape ``(n_waves,)``: first sample and exclusive end of each wave's run.
    codes : np.ndarray
        int, shape ``(n_waves,)``: the run's coarse class, 0 (P), 2 (QRS) or 4 (T).
    fs : float
        Sampling frequency in Hz.
    half_window_s : float
        Half width of the window around each boundary, in seconds.

    Returns
    -------
    np.ndarray
        float64, shape ``(n_waves,)``, in ``[0, 1]`` (1: both boundaries are clean steps).
    """
    starts = np.asarray(starts, dtype=np.int64)
    stops = np.asarray(stops, dtype=np.int64)
    codes = np.asarray(codes, dtype=np.int64)
    out = np.empty(starts.size, dtype=np.float64)
    if starts.size == 0:
        return out
    n = probs.shape[0]
    half = max(1, int(round(half_window_s * fs)))
    offsets = np.arange(-half, half)
    members = np.zeros((5, probs.shape[1]), dtype=np.float32)
    for code, classes in _CLASSES_OF_CODE.items():
        members[code, list(classes)] = 1.0
    for lo in range(0, starts.size, _BATCH):
        hi = min(starts.size, lo + _BATCH)
        weights = members[codes[lo:hi]]  # (W, 6)
        worst = np.full(hi - lo, np.inf)
        for edge in (starts[lo:hi], stops[lo:hi]):
            idx = np.clip(edge[:, None] + offsets[None, :], 0, n - 1)  # (W, 2h)
            mass = np.einsum("wsc,wc->ws", np.nan_to_num(probs[idx].astype(np.float32)), weights)
            sharp = np.abs(2.0 * np.clip(mass, 0.0, 1.0) - 1.0).mean(axis=1)
            worst = np.minimum(worst, sharp)
        out[lo:hi] = worst
    return np.clip(out, 0.0, 1.0)


def worst_share(confidence: np.ndarray, share: float = DEFAULT_WORST_SHARE) -> np.ndarray:
    """Indices of the least confident ``share`` of waves, worst first.

    Parameters
    ----------
    confidence : np.ndarray
        float, shape ``(n_waves,)``; NaN (manual waves) is never uncertain and does not
        count towards the share.
    share : float
        Fraction in ``[0, 1]`` of the scored waves taken (rounded up: any share above 0
        of a non-empty track takes at least one wave).

    Returns
    -------
    np.ndarray
        int64 indices into ``confidence``, exactly ``ceil(share * n_scored)`` of them, by
        increasing confidence; equal confidences keep the order of the waves (so a track of
        equal confidences does not turn wholly uncertain).

    Raises
    ------
    ValueError
        If ``share`` is outside ``[0, 1]``.
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must be in [0, 1], got {share}")
    conf = np.asarray(confidence, dtype=np.float64)
    scored = np.flatnonzero(~np.isnan(conf))
    k = int(math.ceil(share * scored.size - 1e-9))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(conf[scored], kind="stable")[:k]
    return scored[order].astype(np.int64)
