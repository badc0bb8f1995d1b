"""Signal-based refinement of the T-wave end (and peak) after decoding.

The segmentation model finds every T wave, but its T offset is the end of a
run of "ST" labels, smoothed by the network and the decoder; on the QT
Database it spreads more than the end found by a classical delineator. This
module places the end on the signal instead, near the model's estimate, with
the **trapezium-area method** (Vázquez-Seisdedos et al., "New approach for
T-wave end detection on electrocardiogram: performance in noisy conditions",
BioMedical Engineering OnLine 10:77, 2011):

* ``x_m``: the steepest point of the T wave's descending limb (largest slope
  towards the baseline) between the T peak and the model's T end;
* ``x_r``: a point safely after the T end (the model's end + ``reach_s``);
* for every candidate ``x_i`` in ``[x_m, x_r]`` the trapezium with corners
  ``(x_m, y_m), (x_i, y_i), (x_r, y_i), (x_r, y_m)`` has area
  ``A(x_i) = 0.5 * (y_m - y_i) * (2 x_r - x_i - x_m)`` (signed by the T
  wave's polarity); the T end is the ``x_i`` of largest area: where the
  signal stops falling towards the baseline.

On several leads each lead gives an end and a weight (its T-wave amplitude,
in physical units); the ends are combined as configured (the largest-T lead,
the weighted median, or the latest end among the leads carrying a clear T
wave). Everything is vectorised over waves (in batches, so memory stays
bounded on 24-hour records). :func:`ecgstudio.core.decode.decode` calls
:func:`refine_t_ends` when ``DecodeConfig.t_end`` is set (the default).

The defaults (reach 40 ms, the latest end among leads with a clear T wave,
halfway between the model's end and the signal's) were chosen on development
records only (QTDB validation records and LUDB 1-50, see
:class:`ecgstudio.core.decode_config.DecodeConfig`); on held-out records they
mostly remove each record's bias rather than the beat-to-beat spread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Largest number of float32 values a batch of waves may span (memory bound, ~16 MB per array).
_BATCH_ELEMENTS = 1 << 22

#: Samples per block of :func:`smooth`.
_SMOOTH_BLOCK = 1 << 18

#: T amplitude (physical units) at or below which a lead is flat.
_FLAT = 1e-9

#: How per-lead ends are combined into one end of a global (multi-lead) track.
COMBINE_MODES = ("largest", "median", "latest")


@dataclass(frozen=True)
class TEndConfig:
    """Settings of :func:`refine_t_ends` (times in seconds).

    Attributes
    ----------
    smooth_s : float
        Width of the moving average applied (twice) before measuring slopes.
    reach_s : float
        ``x_r`` = model's T end + ``reach_s``.
    max_shift_s : float
        The refined end stays within this distance of the model's end (a
        refinement that would move further is not trusted: the model's end is
        kept).
    blend : float
        Weight of the signal-based end in ``[0, 1]``; 1: the trapezium end,
        0: the model's end unchanged.
    combine : str
        One of :data:`COMBINE_MODES`.
    min_amplitude_ratio : float
        Leads whose T amplitude is below this share of the largest lead's are
        ignored when combining.
    """

    smooth_s: float = 0.032
    reach_s: float = 0.04
    max_shift_s: float = 0.1
    blend: float = 0.5
    combine: str = "latest"
    min_amplitude_ratio: float = 0.3

    def __post_init__(self) -> None:
        if self.combine not in COMBINE_MODES:
            raise ValueError(f"combine must be one of {COMBINE_MODES}, got {self.combine!r}")
        if not 0.0 <= self.blend <= 1.0:
            raise ValueError(f"blend must lie in [0, 1], got {self.blend}")


def smooth(signal: np.ndarray, width_samples: int) -> np.ndarray:
    """Moving average of width ``width_samples`` applied twice (a triangular kernel), per column.

    Parameters
    ----------
    signal : np.ndarray
        shape ``(n_samples, n_leads)``; NaN counts as 0.
    width_samples : int
        Box width in samples (``<= 1``: a float32 copy).

    Returns
    -------
    np.ndarray
        float32, same shape, zero-phase (centred), edges averaged over the
        samples available. Computed in blocks, so the extra memory is the
        output plus a few MB (24-hour records).
    """
    x = np.asarray(signal)
    n = x.shape[0]
    out = np.empty(x.shape, dtype=np.float32)
    if width_samples <= 1 or n < 2:
        out[...] = np.nan_to_num(x)
        return out
    pad = 2 * width_samples  # two passes: each output sample depends on +-width samples
    for lo in range(0, n, _SMOOTH_BLOCK):
        hi = min(n, lo + _SMOOTH_BLOCK)
        a, b = max(0, lo - pad), min(n, hi + pad)
        block = np.nan_to_num(x[a:b].astype(np.float32))
        block = _box(_box(block, width_samples), width_samples)
        out[lo:hi] = block[lo - a:hi - a]
    return out


def _box(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average along axis 0; the ends average the samples available.

    In :func:`smooth` a block's cut ends are wrong this way, but lie more than
    ``2 * width`` samples from every sample kept; a record's own ends are right.
    """
    m = x.shape[0]
    half = width // 2
    csum = np.zeros((m + 1, x.shape[1]), np.float64)
    np.cumsum(x, axis=0, dtype=np.float64, out=csum[1:])
    pos = np.arange(m)
    lo = np.clip(pos - half, 0, m)
    hi = np.clip(pos - half + width, 0, m)
    return ((csum[hi] - csum[lo]) / (hi - lo)[:, None]).astype(np.float32)


def trapezium_ends(
    y: np.ndarray, peaks: np.ndarray, ends: np.ndarray, reach: int, n_samples: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-lead trapezium-area T ends.

    Parameters
    ----------
    y : np.ndarray
        float32, shape ``(n_samples, n_leads)``, smoothed signal.
    peaks, ends : np.ndarray
        int64, shape ``(n_waves,)``: T peak and the model's T end per wave
        (``peak < end``).
    reach : int
        ``x_r = end + reach`` (samples, clipped to the record).
    n_samples : int
        Record length.

    Returns
    -------
    refined : np.ndarray
        int64, shape ``(n_waves, n_leads)``: the end per wave and lead.
    amplitude : np.ndarray
        float32, shape ``(n_waves, n_leads)``: ``|y(peak) - y(x_r)|`` per lead
        (how clear the lead's T wave is).
    """
    n_waves, n_leads = peaks.size, y.shape[1]
    refined = np.zeros((n_waves, n_leads), np.int64)
    amplitude = np.zeros((n_waves, n_leads), np.float32)
    if n_waves == 0:
        return refined, amplitude
    xr = np.minimum(ends + reach, n_samples - 1)
    span = int((xr - peaks).max()) + 1
    per_batch = max(1, _BATCH_ELEMENTS // (span * n_leads))
    for lo in range(0, n_waves, per_batch):
        hi = min(n_waves, lo + per_batch)
        refined[lo:hi], amplitude[lo:hi] = _trapezium_batch(y, peaks[lo:hi], ends[lo:hi], xr[lo:hi])
    return refined, amplitude


def _trapezium_batch(y: np.ndarray, peaks: np.ndarray, ends: np.ndarray, xr: np.ndarray,
                     ) -> tuple[np.ndarray, np.ndarray]:
    span = int((xr - peaks).max()) + 1
    steps = np.arange(span)
    idx = np.minimum(peaks[:, None] + steps[None, :], xr[:, None])  # (W, S)
    seg = y[idx]  # (W, S, L)
    polarity = np.sign(seg[:, :1, :] - y[xr][:, None, :])  # T above (+) or below (-) the level at x_r
    polarity[polarity == 0] = 1.0
    fall = -np.diff(seg, axis=1) * polarity  # slope towards the baseline, >0 on the descending limb
    limb = (peaks[:, None] + steps[None, :-1]) < ends[:, None]
    fall[~limb] = -np.inf
    xm_off = fall.argmax(axis=1)  # (W, L) offset of the steepest point from the peak
    xm = peaks[:, None] + xm_off
    ym = np.take_along_axis(seg, xm_off[:, None, :], axis=1)[:, 0, :]
    xi = peaks[:, None, None] + steps[None, :, None]  # (W, S, 1)
    area = polarity * (ym[:, None, :] - seg) * (2 * xr[:, None, None] - xi - xm[:, None, :])
    valid = (xi >= xm[:, None, :]) & (xi <= xr[:, None, None])
    area = np.where(valid, area, -np.inf)
    refined = peaks[:, None] + area.argmax(axis=1)
    amplitude = np.abs(seg[:, 0, :] - y[xr]).astype(np.float32)
    return refined.astype(np.int64), amplitude


def combine_ends(refined: np.ndarray, amplitude: np.ndarray, config: TEndConfig) -> np.ndarray:
    """One end per wave from the per-lead ends (see :class:`TEndConfig`)."""
    if refined.shape[1] == 1:
        return refined[:, 0]
    top = amplitude.max(axis=1, keepdims=True)
    clear = amplitude >= config.min_amplitude_ratio * np.maximum(top, 1e-12)
    if config.combine == "largest":
        return refined[np.arange(refined.shape[0]), amplitude.argmax(axis=1)]
    if config.combine == "latest":
        return np.where(clear, refined, np.iinfo(np.int64).min).max(axis=1)
    ends = np.where(clear, refined.astype(np.float64), np.nan)
    return np.round(np.nanmedian(ends, axis=1)).astype(np.int64)




def refine_t_ends(
    y: np.ndarray,
    peaks: np.ndarray,
    ends: np.ndarray,
    limits: np.ndarray,
    fs: float,
    config: TEndConfig,
    usable: np.ndarray | None = None,
) -> np.ndarray:
    """T ends placed on the signal near the model's ends.

    Parameters
    ----------
    y : np.ndarray
        float32, shape ``(n_samples, n_leads)``: the signal smoothed by
        :func:`smooth` (``config.smooth_s``).
    peaks, ends : np.ndarray
        int64, shape ``(n_waves,)``: T peaks and the model's T ends
        (``peaks < ends``).
    limits : np.ndarray
        int64, shape ``(n_waves,)``: the latest allowed end of each wave
        (e.g. the next wave's start).
    fs : float
        Sampling frequency (Hz).
    config : TEndConfig
        Settings.
    usable : np.ndarray | None
        bool, shape ``(n_waves, n_leads)``: leads usable at each wave (others
        do not vote); ``None``: all.

    Returns
    -------
    np.ndarray
        int64, shape ``(n_waves,)``: refined ends in ``[peak + 1, limit]``; a
        wave whose refined end would move more than ``config.max_shift_s``
        keeps the model's end, and so does a wave with no T deflection on
        any usable lead (a flat signal has nothing to place an end on).
    """
    peaks = np.asarray(peaks, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    if peaks.size == 0:
        return ends.copy()
    refined, amplitude = trapezium_ends(y, peaks, ends, int(round(config.reach_s * fs)), y.shape[0])
    if usable is not None:
        amplitude = np.where(usable, amplitude, 0.0).astype(np.float32)
    new = combine_ends(refined, amplitude, config)
    new = np.round(ends + config.blend * (new - ends)).astype(np.int64)
    keep = (np.abs(new - ends) > config.max_shift_s * fs) | (amplitude.max(axis=1) <= _FLAT)
    new[keep] = ends[keep]
    return np.maximum(np.minimum(new, np.asarray(limits, dtype=np.int64)), peaks + 1)
