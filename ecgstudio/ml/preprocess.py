"""Signal preparation shared by training, inference and evaluation (numpy/scipy only).

The model sees one lead at a time, sampled at :data:`MODEL_FS` Hz, mildly
high-pass filtered (baseline wander removed) and normalised per window.
Everything here is deterministic and free of TensorFlow, so the evaluation
and GUI code can reproduce exactly what the model was given.

Sample grids
------------
A lead of ``n`` samples at ``fs`` Hz becomes ``m = prepared_length(n, fs)``
samples at the model rate with :func:`scipy.signal.resample_poly` using the
rational factor ``up / down`` of :func:`resample_ratio`. Input sample ``i``
lies at model-grid position ``i * up / down`` (the first samples coincide);
:func:`map_to_input` interpolates model-grid values (probabilities) back
onto the input grid, so outputs have exactly ``n`` rows.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np
from scipy import signal as sps

from ecgstudio.ml.rates import BASELINE_CUTOFF_HZ as BASELINE_CUTOFF_HZ  # re-exported
from ecgstudio.ml.rates import MODEL_FS as MODEL_FS  # re-exported

#: Normalised values are clipped to +-this (in units of the window's robust scale).
CLIP_VALUE = 20.0

_MIN_SCALE = 1e-3


def resample_ratio(fs: float, fs_out: float = MODEL_FS) -> tuple[int, int]:
    """Rational resampling factor ``(up, down)`` from ``fs`` to ``fs_out``.

    Parameters
    ----------
    fs : float
        Input sampling frequency in Hz (> 0).
    fs_out : float
        Output sampling frequency in Hz.

    Returns
    -------
    up, down : int
        ``fs * up / down`` is ``fs_out`` (exactly for rational rates, else to
        within a denominator of 1000).
    """
    if not np.isfinite(fs) or fs <= 0:
        raise ValueError(f"sampling frequency must be positive, got {fs}")
    ratio = Fraction(fs_out / fs).limit_denominator(1000)
    if ratio == 0:
        ratio = Fraction(1, 1000)
    return ratio.numerator, ratio.denominator


def prepared_length(n_samples: int, fs: float) -> int:
    """Number of model-rate samples :func:`prepare_lead` returns for ``n_samples`` at ``fs`` Hz."""
    up, down = resample_ratio(fs)
    return -(-int(n_samples) * up // down)


def fill_nan(x: np.ndarray) -> np.ndarray:
    """Replace NaNs (gaps) by linear interpolation between valid neighbours.

    Parameters
    ----------
    x : np.ndarray
        Shape ``(n,)``.

    Returns
    -------
    np.ndarray
        float64, shape ``(n,)``; all zeros if no sample is valid; the ends are
        held at the nearest valid value.
    """
    x = np.asarray(x, dtype=np.float64)
    bad = ~np.isfinite(x)
    if not bad.any():
        return x
    if bad.all():
        return np.zeros_like(x)
    idx = np.arange(x.size)
    out = x.copy()
    out[bad] = np.interp(idx[bad], idx[~bad], x[~bad])
    return out


@functools.lru_cache(maxsize=32)
def _highpass_sos(cutoff_hz: float, fs: float) -> np.ndarray:
    """The baseline filter's second-order sections, designed once per rate (callers copy them)."""
    return sps.butter(2, cutoff_hz, btype="highpass", fs=fs, output="sos")


@functools.lru_cache(maxsize=32)
def _resample_filter(up: int, down: int) -> np.ndarray:
    """The low-pass filter :func:`scipy.signal.resample_poly` designs by default for ``up / down`` (in lowest
    terms), designed once per ratio instead of once per lead; ``resample_poly`` copies it before use."""
    max_rate = max(up, down)
    return sps.firwin(2 * 10 * max_rate + 1, 1.0 / max_rate, window=("kaiser", 5.0))


def remove_baseline(x: np.ndarray, fs: float = MODEL_FS, cutoff_hz: float = BASELINE_CUTOFF_HZ) -> np.ndarray:
    """Zero-phase 2nd-order Butterworth high-pass (applied forwards and backwards) along the last axis.

    Parameters
    ----------
    x : np.ndarray
        Shape ``(n,)``, or ``(n_leads, n)`` for several leads at once; any unit.
    fs : float
        Sampling frequency of ``x`` in Hz.
    cutoff_hz : float
        Corner frequency in Hz.

    Returns
    -------
    np.ndarray
        float64, the shape of ``x``. Signals shorter than one second only have
        their median removed.
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[-1]
    if n == 0:
        return x
    if n < max(int(fs), 16):
        return x - np.median(x, axis=-1, keepdims=True)
    sos = _highpass_sos(float(cutoff_hz), float(fs)).copy()
    padlen = min(n - 1, int(2 * fs))
    return sps.sosfiltfilt(sos, x - np.median(x[..., : int(fs)], axis=-1, keepdims=True), axis=-1, padtype="odd",
                           padlen=padlen)


def _prepare_rows(y: np.ndarray, fs: float, baseline: bool) -> np.ndarray:
    """Gap-free leads ``(n_leads, n)`` at ``fs`` -> ``(n_leads, prepared_length(n, fs))`` float64 at
    :data:`MODEL_FS`, baseline removed (every lead in one resampling and one filter call)."""
    n = y.shape[-1]
    up, down = resample_ratio(fs)
    if (up, down) != (1, 1) and n:
        y = sps.resample_poly(y, up, down, axis=-1, window=_resample_filter(up, down))
        y = y[..., : prepared_length(n, fs)]
    return remove_baseline(y, MODEL_FS) if baseline else y


def prepare_lead(x: np.ndarray, fs: float, *, baseline: bool = True) -> np.ndarray:
    """One lead as the model expects it: gaps filled, resampled to 250 Hz, baseline removed.

    Parameters
    ----------
    x : np.ndarray
        One lead, shape ``(n,)``, physical units (mV); NaNs mark gaps.
    fs : float
        Sampling frequency of ``x`` in Hz.
    baseline : bool
        Remove baseline wander (0.5 Hz zero-phase high-pass) after resampling.

    Returns
    -------
    np.ndarray
        float32, shape ``(prepared_length(n, fs),)`` at :data:`MODEL_FS` Hz.
        Not yet normalised: see :func:`normalise_windows`.
    """
    x = np.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"prepare_lead expects one lead of shape (n,), got {x.shape}")
    return _prepare_rows(fill_nan(x), fs, baseline).astype(np.float32)


def prepare_leads(signal: np.ndarray, fs: float) -> list[np.ndarray]:
    """``[prepare_lead(signal[:, k], fs) for k in leads]``, every lead in one filter call.

    The same arithmetic as :func:`prepare_lead` along the time axis of all
    leads at once (one resampling and one baseline filter call per record
    instead of per lead: a 12-lead 10-s record takes about a quarter of the time).

    Parameters
    ----------
    signal : np.ndarray
        Shape ``(n, n_leads)``, physical units (mV); NaNs mark gaps.
    fs : float
        Sampling frequency in Hz.

    Returns
    -------
    list[np.ndarray]
        float32, shape ``(prepared_length(n, fs),)`` per lead.
    """
    signal = np.asarray(signal)
    if signal.ndim != 2:
        raise ValueError(f"prepare_leads expects shape (n, n_leads), got {signal.shape}")
    y = np.array(signal.T, dtype=np.float64, order="C")  # (n_leads, n): filters run along contiguous rows
    if not np.isfinite(y).all():
        y = np.stack([fill_nan(row) for row in y]) if len(y) else y
    return [row.astype(np.float32) for row in _prepare_rows(y, fs, True)]


def normalise_windows(windows: np.ndarray) -> np.ndarray:
    """Per-window robust normalisation.

    Each window has its median subtracted and is divided by half the spread
    between its 1st and 99th percentiles (so a typical QRS spans about +-1),
    then clipped to +-:data:`CLIP_VALUE`. Flat windows become zeros.

    Parameters
    ----------
    windows : np.ndarray
        Shape ``(B, T)`` (or ``(T,)`` for one window), any unit.

    Returns
    -------
    np.ndarray
        float32, same shape, dimensionless.
    """
    w = np.asarray(windows, dtype=np.float32)
    single = w.ndim == 1
    if single:
        w = w[None, :]
    if w.shape[-1] == 0:
        return w[0] if single else w
    lo, med, hi = np.percentile(w, [1.0, 50.0, 99.0], axis=-1, keepdims=True)
    scale = np.maximum((hi - lo) / 2.0, _MIN_SCALE)
    out = np.clip((w - med) / scale, -CLIP_VALUE, CLIP_VALUE).astype(np.float32)
    return out[0] if single else out


def model_positions(n_samples: int, fs: float) -> np.ndarray:
    """Model-grid position (fractional sample index) of each input sample.

    Returns
    -------
    np.ndarray
        float64, shape ``(n_samples,)``: ``i * up / down``.
    """
    up, down = resample_ratio(fs)
    return np.arange(int(n_samples), dtype=np.float64) * (up / down)


def map_to_input(
    values: np.ndarray, n_samples: int, fs: float, *, chunk: int = 1 << 20, copy: bool = True
) -> np.ndarray:
    """Interpolate model-grid values back onto the input sample grid.

    Parameters
    ----------
    values : np.ndarray
        Shape ``(m, k)`` at :data:`MODEL_FS` Hz, ``m = prepared_length(n_samples, fs)``.
    n_samples : int
        Length of the input grid.
    fs : float
        Input sampling frequency in Hz.
    chunk : int
        Input samples interpolated at a time (bounds temporary memory).
    copy : bool
        ``False``: at 250 Hz input, return ``values`` itself (float32) instead of a copy.

    Returns
    -------
    np.ndarray
        float32, shape ``(n_samples, k)``. Linear interpolation, so rows that
        are probability vectors stay probability vectors. At 250 Hz input the
        values are returned unchanged.
    """
    values = np.asarray(values, dtype=np.float32)
    if values.ndim != 2:
        raise ValueError(f"values must have shape (m, k), got {values.shape}")
    up, down = resample_ratio(fs)
    if (up, down) == (1, 1) and values.shape[0] == n_samples:
        return values.copy() if copy else values
    m = values.shape[0]
    out = np.empty((int(n_samples), values.shape[1]), dtype=np.float32)
    if m == 0:
        out[:] = 0.0
        return out
    for a in range(0, int(n_samples), chunk):
        b = min(a + chunk, int(n_samples))
        pos = np.minimum(np.arange(a, b, dtype=np.float64) * (up / down), m - 1)
        left = np.floor(pos).astype(np.int64)
        right = np.minimum(left + 1, m - 1)
        frac = (pos - left).astype(np.float32)[:, None]
        out[a:b] = values[left] * (1.0 - frac) + values[right] * frac
    return out
