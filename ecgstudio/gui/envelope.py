"""Min/max (peak) decimation of long signals for drawing (numpy only, no Qt).

A :class:`MinMaxPyramid` keeps, per lead, the minimum and maximum of blocks
of 256, 4096, 65536 ... samples, so that any window of a 24-hour record can be
reduced to ~2 points per pixel by touching at most ~16 values per point
(windows needing bins under 256 samples are reduced from the raw samples:
fewer than 256 x pixel-width of them). The first level is one pass over the
lead (~45 ms for 21.6 M samples; 16-sample blocks took 5x longer).
NaN (missing samples) is ignored inside a block; an all-NaN block stays NaN
so that the curve shows a gap.
"""

from __future__ import annotations

import numpy as np

#: Block size of the first pyramid level (a power of two).
FIRST_BLOCK = 256
#: Block size growth between pyramid levels (a power of two).
LEVEL_FACTOR = 16


def _reduce(values_min: np.ndarray, values_max: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of consecutive blocks of ``block`` values (last block may be short)."""
    n = values_min.shape[0]
    full = n // block * block
    mins = np.fmin.reduce(values_min[:full].reshape(-1, block), axis=1)
    maxs = np.fmax.reduce(values_max[:full].reshape(-1, block), axis=1)
    if full < n:
        mins = np.append(mins, np.fmin.reduce(values_min[full:]))
        maxs = np.append(maxs, np.fmax.reduce(values_max[full:]))
    return mins, maxs


class MinMaxPyramid:
    """Peak-preserving decimation of one lead.

    Parameters
    ----------
    values : np.ndarray
        float32, shape ``(n_samples,)`` (may be a strided column view).
    """

    def __init__(self, values: np.ndarray) -> None:
        self.values = values
        self.n_samples = int(values.shape[0])
        self.levels: list[tuple[int, np.ndarray, np.ndarray]] = []  # (block, mins, maxs)
        block = FIRST_BLOCK
        if self.n_samples >= 4 * FIRST_BLOCK:
            col = np.ascontiguousarray(values)
            mins, maxs = _reduce(col, col, FIRST_BLOCK)
            self.levels.append((block, mins, maxs))
            while mins.shape[0] >= 4 * LEVEL_FACTOR:
                mins, maxs = _reduce(mins, maxs, LEVEL_FACTOR)
                block *= LEVEL_FACTOR
                self.levels.append((block, mins, maxs))

    def window(self, first: int, last: int, n_columns: int,
               raw_per_column: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
        """Points to draw samples ``first..last`` (inclusive) across ``n_columns`` pixels.

        Up to ``raw_per_column * n_columns`` samples are returned as they are;
        longer windows are cut into power-of-two bins (aligned on absolute
        samples, so panning does not shimmer), at most ``n_columns`` of them,
        each drawn as its min and max: between 1 and 2 points per pixel.

        Returns
        -------
        x : np.ndarray
            float64 sample positions, shape ``(m,)``.
        y : np.ndarray
            float32 values at ``x``, shape ``(m,)``.
        """
        first = max(0, int(first))
        last = min(self.n_samples - 1, int(last))
        if last < first:
            return np.zeros(0), np.zeros(0, dtype=np.float32)
        n = last - first + 1
        n_columns = max(1, int(n_columns))
        if n <= raw_per_column * n_columns:
            return np.arange(first, last + 1, dtype=np.float64), np.asarray(self.values[first:last + 1])
        bin_size = 1 << int(np.ceil(np.log2(n / n_columns)))
        lo = first // bin_size * bin_size
        hi = min(self.n_samples, (last // bin_size + 1) * bin_size)
        src_block, src_min, src_max = 1, None, None
        for block, mins, maxs in self.levels:
            if block <= bin_size:
                src_block, src_min, src_max = block, mins, maxs
        if src_min is None:
            seg = np.asarray(self.values[lo:hi])
            mins, maxs = _reduce(seg, seg, bin_size)
        else:
            a, b = lo // src_block, -(-hi // src_block)
            mins, maxs = _reduce(src_min[a:b], src_max[a:b], bin_size // src_block)
        centres = lo + bin_size * (np.arange(mins.shape[0], dtype=np.float64) + 0.5)
        x = np.empty(2 * mins.shape[0])
        x[0::2] = centres - bin_size * 0.25
        x[1::2] = centres + bin_size * 0.25
        y = np.empty(2 * mins.shape[0], dtype=np.float32)
        # the order of min and max inside a bin is unknown: follow the trend so that
        # slopes stay smooth (rising: min then max; falling: max then min)
        mid = (mins + maxs) / 2
        rising = np.diff(mid, append=mid[-1:]) >= 0
        y[0::2] = np.where(rising, mins, maxs)
        y[1::2] = np.where(rising, maxs, mins)
        return x, y

    def robust_range(self) -> tuple[float, float]:
        """(low, high) amplitude holding ~99 % of the signal, ignoring NaN; (0, 0) if empty."""
        if self.levels:
            _, mins, maxs = self.levels[0]
            data = np.concatenate((mins, maxs))
        else:
            data = np.asarray(self.values)
        data = data[np.isfinite(data)]
        if data.size == 0:
            return 0.0, 0.0
        lo, hi = np.percentile(data, [0.5, 99.5])
        return float(lo), float(hi)
