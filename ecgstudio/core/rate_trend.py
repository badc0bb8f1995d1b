"""Heart-rate trend of a long record, for its overview strip.

On a 24-hour record the signal's min/max envelope is a solid band: at one
pixel per minute every column holds the same beats' extremes. A Holter reader
looks at the heart-rate trend instead: here the median instantaneous rate
(60 / RR) of the beats in each column.
"""

from __future__ import annotations

import numpy as np

#: RR intervals outside this range (s) are not rates (missed or doubled beats).
RR_RANGE_S = (0.25, 3.0)


def heart_rate_trend(r_peaks: np.ndarray, fs: float, n_samples: int, n_bins: int,
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Median heart rate per time bin.

    Parameters
    ----------
    r_peaks : np.ndarray
        Sorted QRS peak (or onset) samples, shape ``(n_beats,)``.
    fs : float
        Sampling frequency (Hz).
    n_samples : int
        Record length (samples).
    n_bins : int
        Number of equal time bins over the record.

    Returns
    -------
    centres : np.ndarray
        float64 ``(n_bins,)``: centre sample of each bin.
    bpm : np.ndarray
        float64 ``(n_bins,)``: median of ``60 / RR`` over the RR intervals
        ending in the bin (RR within :data:`RR_RANGE_S`); NaN where none.
    """
    n_bins = max(1, int(n_bins))
    edges = np.linspace(0, n_samples, n_bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    bpm = np.full(n_bins, np.nan)
    peaks = np.asarray(r_peaks, dtype=np.int64)
    if peaks.size < 2 or fs <= 0:
        return centres, bpm
    rr_s = np.diff(peaks) / fs
    ok = (rr_s >= RR_RANGE_S[0]) & (rr_s <= RR_RANGE_S[1])
    rate, at = 60.0 / rr_s[ok], peaks[1:][ok]
    if rate.size == 0:
        return centres, bpm
    bins = np.clip(np.searchsorted(edges, at, side="right") - 1, 0, n_bins - 1)
    bounds = np.searchsorted(bins, np.arange(n_bins + 1))  # bins are sorted: each bin is a slice
    for b in np.flatnonzero(np.diff(bounds)):
        bpm[b] = np.median(rate[bounds[b]:bounds[b + 1]])
    return centres, bpm
