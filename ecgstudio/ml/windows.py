"""Slicing a long lead into overlapping windows and stitching per-window outputs back.

Windows of ``window`` samples start every ``hop`` samples; the last window is
aligned to the end so every sample is covered. Outputs are blended with a
trapezoid taper (ramp of ``window // 4`` samples, never exactly zero), so
each sample is a weighted mean of the windows that contain it, dominated by
those in which it lies far from the edges: no seams, and a sample covered by
one window only gets exactly that window's value.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

#: Smallest taper weight (at a window's very edge).
MIN_WEIGHT = 1e-3


def window_starts(n_samples: int, window: int, hop: int) -> np.ndarray:
    """Start sample of each window covering ``[0, n_samples)``.

    Parameters
    ----------
    n_samples : int
        Length of the sequence.
    window : int
        Window length in samples (> 0). Shorter sequences get one window at 0
        (which is then shorter than ``window``: see :func:`effective_window`).
    hop : int
        Step between window starts, ``0 < hop <= window``.

    Returns
    -------
    np.ndarray
        int64, shape ``(n_windows,)``, increasing; empty if ``n_samples == 0``.
    """
    if window <= 0 or hop <= 0 or hop > window:
        raise ValueError(f"need 0 < hop <= window, got window={window}, hop={hop}")
    if n_samples <= 0:
        return np.zeros(0, dtype=np.int64)
    if n_samples <= window:
        return np.zeros(1, dtype=np.int64)
    last = n_samples - window
    starts = np.arange(0, last + 1, hop, dtype=np.int64)
    if starts[-1] != last:
        starts = np.append(starts, last)
    return starts


#: Sequences up to this many times the window length run as one window of their own length: a 10-s
#: record at 250 Hz (2,500 samples) is one 2,500-step window instead of two overlapping 2,000-step ones
#: (37.5 % fewer LSTM steps, and no seam).
ONE_WINDOW_FACTOR = 1.5


def effective_window(n_samples: int, window: int) -> int:
    """Window length actually used for a sequence of ``n_samples``: the sequence itself when it is at
    most :data:`ONE_WINDOW_FACTOR` windows long, else ``window``."""
    n_samples, window = int(n_samples), int(window)
    if n_samples <= window * ONE_WINDOW_FACTOR:
        return max(1, n_samples)
    return max(1, window)


def taper(window: int, ramp: int | None = None) -> np.ndarray:
    """Trapezoid blending weights of one window.

    Parameters
    ----------
    window : int
        Window length in samples.
    ramp : int | None
        Length of the rising/falling edges; default ``window // 4``.

    Returns
    -------
    np.ndarray
        float32, shape ``(window,)``, in ``[MIN_WEIGHT, 1]``.
    """
    ramp = max(1, window // 4 if ramp is None else int(ramp))
    t = np.arange(window, dtype=np.float64) + 0.5
    w = np.minimum(1.0, np.minimum(t, window - t) / ramp)
    return np.maximum(w, MIN_WEIGHT).astype(np.float32)


def slice_windows(x: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """Copy the windows ``x[s:s + window]`` for each start.

    Parameters
    ----------
    x : np.ndarray
        Shape ``(n,)`` or ``(n, k)``.
    starts : np.ndarray
        Window starts with ``s + window <= n``.
    window : int
        Window length.

    Returns
    -------
    np.ndarray
        Shape ``(len(starts), window)`` or ``(len(starts), window, k)``.
    """
    starts = np.asarray(starts, dtype=np.int64)
    if starts.size and (starts.min() < 0 or starts.max() + window > x.shape[0]):
        raise ValueError("a window reaches past the end of the sequence")
    idx = starts[:, None] + np.arange(window, dtype=np.int64)[None, :]
    return x[idx]


def batches(starts: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
    """Consecutive groups of at most ``batch_size`` window starts."""
    for i in range(0, len(starts), max(1, int(batch_size))):
        yield starts[i:i + batch_size]


class OverlapAdd:
    """Accumulates tapered per-window outputs into one sequence.

    Parameters
    ----------
    n_samples : int
        Length of the stitched sequence.
    n_channels : int
        Channels per sample (6 class probabilities).
    window : int
        Window length (the same for all windows added).
    ramp : int | None
        Taper ramp length (see :func:`taper`); default ``window // 4``.
    """

    def __init__(self, n_samples: int, n_channels: int, window: int, ramp: int | None = None) -> None:
        self._sum = np.zeros((int(n_samples), int(n_channels)), dtype=np.float32)
        self._weight = np.zeros(int(n_samples), dtype=np.float32)
        self._window = int(window)
        self._taper = taper(self._window, ramp)

    def add(self, starts: np.ndarray, values: np.ndarray) -> None:
        """Add windows' outputs, ``values`` shape ``(len(starts), window, n_channels)``.

        A float32 ``values`` array is weighted in place (it is scratch afterwards).
        """
        values = np.asarray(values, dtype=np.float32)
        if values.shape[:2] != (len(starts), self._window):
            raise ValueError(f"values shape {values.shape} does not match {len(starts)} windows of {self._window}")
        values *= self._taper[None, :, None]  # in place: callers hand over their buffer
        for s, v in zip(np.asarray(starts, dtype=np.int64), values, strict=True):
            self._sum[s:s + self._window] += v
            self._weight[s:s + self._window] += self._taper

    def result(self) -> np.ndarray:
        """The stitched sequence, float32 ``(n_samples, n_channels)``; uncovered samples are 0.

        Computed in place (no second full-length copy): call it once, after the last :meth:`add`.
        """
        self._weight[self._weight <= 0] = 1.0
        self._sum /= self._weight[:, None]
        return self._sum


def stitch(values: np.ndarray, starts: np.ndarray, n_samples: int, ramp: int | None = None) -> np.ndarray:
    """Stitch all windows at once (small sequences, tests).

    Parameters
    ----------
    values : np.ndarray
        Shape ``(n_windows, window, k)``.
    starts : np.ndarray
        Shape ``(n_windows,)``.
    n_samples : int
        Output length.
    ramp : int | None
        Taper ramp length (see :func:`taper`).

    Returns
    -------
    np.ndarray
        float32, shape ``(n_samples, k)``.
    """
    acc = OverlapAdd(n_samples, values.shape[2], values.shape[1], ramp)
    acc.add(starts, np.array(values, dtype=np.float32))
    return acc.result()
