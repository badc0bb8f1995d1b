"""Training windows: where they come from, augmentation, and batches (numpy only).

A :class:`WindowSet` holds prepared leads (see
:func:`~ecgstudio.ml.preprocess.prepare_lead`, *not* yet normalised), their
per-sample classes and sample weights (0 where a sample is unlabelled), and
an index of window positions. Windows are cut on demand, so a training set
costs the memory of its leads only, not of overlapping window copies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ecgstudio.ml.preprocess import MODEL_FS, normalise_windows


@dataclass(frozen=True)
class Augment:
    """Random perturbations applied to raw windows before normalisation.

    Amplitudes are relative to the window's robust half-range
    ``(p99 - p1) / 2`` (about the R-wave amplitude).

    Attributes
    ----------
    noise_max : float
        Gaussian noise SD drawn uniformly in ``[0, noise_max]``.
    wander_max : float
        Sinusoidal baseline wander amplitude in ``[0, wander_max]``, 0.05-0.5 Hz.
    powerline_max : float
        50 or 60 Hz interference amplitude in ``[0, powerline_max]``.
    scale_range : tuple[float, float]
        Amplitude scale factor range (matters relative to the noise only).
    probability : float
        Chance that a window is perturbed at all.
    """

    noise_max: float = 0.05
    wander_max: float = 0.3
    powerline_max: float = 0.03
    scale_range: tuple[float, float] = (0.7, 1.4)
    probability: float = 0.8

    def apply(self, windows: np.ndarray, rng: np.random.Generator, fs: float = MODEL_FS) -> np.ndarray:
        """Perturbed copy of ``windows`` (float32, shape ``(B, T)``)."""
        w = np.array(windows, dtype=np.float32, copy=True)
        b, t = w.shape
        if b == 0 or t == 0:
            return w
        lo, hi = np.percentile(w, [1.0, 99.0], axis=1, keepdims=True)
        amp = np.maximum((hi - lo) / 2.0, 1e-3).astype(np.float32)
        active = (rng.random((b, 1)) < self.probability).astype(np.float32)
        time_s = np.arange(t, dtype=np.float32)[None, :] / np.float32(fs)
        scale = rng.uniform(*self.scale_range, size=(b, 1)).astype(np.float32)
        noise = rng.standard_normal((b, t)).astype(np.float32) * rng.uniform(0, self.noise_max, (b, 1)).astype(np.float32)
        freq = rng.uniform(0.05, 0.5, (b, 1)).astype(np.float32)
        phase = rng.uniform(0, 2 * np.pi, (b, 1)).astype(np.float32)
        wander = rng.uniform(0, self.wander_max, (b, 1)).astype(np.float32) * np.sin(2 * np.pi * freq * time_s + phase)
        mains = np.where(rng.random((b, 1)) < 0.5, 50.0, 60.0).astype(np.float32)
        power = rng.uniform(0, self.powerline_max, (b, 1)).astype(np.float32) * np.sin(2 * np.pi * mains * time_s)
        perturbed = w * scale + amp * scale * (noise + wander + power)
        return np.where(active > 0, perturbed, w).astype(np.float32)


class WindowSet:
    """Leads with labels and the positions of training windows in them.

    Parameters
    ----------
    signals : sequence of np.ndarray
        Prepared leads, float32, shape ``(n_i,)`` each.
    classes : sequence of np.ndarray
        Class codes, int, shape ``(n_i,)`` each.
    weights : sequence of np.ndarray
        Sample weights, float, shape ``(n_i,)`` each (0 = unlabelled).
    index : np.ndarray
        int64, shape ``(K, 2)``: (segment number, window start) per window.
    window : int
        Window length in samples.
    jitter : int
        Maximum random shift of a window start when sampled for training
        (kept inside its segment).
    """

    def __init__(
        self,
        signals: Sequence[np.ndarray],
        classes: Sequence[np.ndarray],
        weights: Sequence[np.ndarray],
        index: np.ndarray,
        window: int,
        jitter: int = 0,
    ) -> None:
        if not (len(signals) == len(classes) == len(weights)):
            raise ValueError("signals, classes and weights must have the same number of segments")
        self.signals = [np.asarray(s, dtype=np.float32) for s in signals]
        self.classes = [np.asarray(c, dtype=np.int8) for c in classes]
        self.weights = [np.asarray(w, dtype=np.float32) for w in weights]
        for s, c, w in zip(self.signals, self.classes, self.weights, strict=True):
            if not (s.shape == c.shape == w.shape) or s.ndim != 1:
                raise ValueError("each segment needs signal, classes and weights of the same shape (n,)")
        self.index = np.asarray(index, dtype=np.int64).reshape(-1, 2)
        self.window = int(window)
        self.jitter = int(jitter)
        lengths = np.array([s.size for s in self.signals], dtype=np.int64)
        if self.index.size and np.any(self.index[:, 1] + self.window > lengths[self.index[:, 0]]):
            raise ValueError("a window reaches past the end of its segment")

    @classmethod
    def from_arrays(cls, x: np.ndarray, y: np.ndarray, w: np.ndarray) -> WindowSet:
        """A set whose windows are the rows of ``x`` ``(B, T)``, ``y`` ``(B, T)``, ``w`` ``(B, T)``."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim == 3:
            x = x[..., 0]
        y, w = np.asarray(y), np.asarray(w, dtype=np.float32)
        if x.ndim != 2 or x.shape != y.shape or x.shape != w.shape:
            raise ValueError(f"x, y, w must all have shape (B, T); got {x.shape}, {y.shape}, {w.shape}")
        index = np.stack([np.arange(x.shape[0]), np.zeros(x.shape[0], dtype=np.int64)], axis=1)
        return cls(list(x), list(y), list(w), index, x.shape[1])

    def __len__(self) -> int:
        return int(self.index.shape[0])

    def take(
        self, rows: np.ndarray, rng: np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Raw windows, classes and weights of the given index rows.

        Returns
        -------
        x : np.ndarray
            float32 ``(b, window)``, not normalised.
        y : np.ndarray
            int32 ``(b, window)``.
        w : np.ndarray
            float32 ``(b, window)``.
        """
        b = len(rows)
        x = np.empty((b, self.window), dtype=np.float32)
        y = np.empty((b, self.window), dtype=np.int32)
        w = np.empty((b, self.window), dtype=np.float32)
        for i, row in enumerate(rows):
            seg, start = self.index[row]
            n = self.signals[seg].size
            if rng is not None and self.jitter:
                start = int(np.clip(start + rng.integers(-self.jitter, self.jitter + 1), 0, n - self.window))
            stop = start + self.window
            x[i] = self.signals[seg][start:stop]
            y[i] = self.classes[seg][start:stop]
            w[i] = self.weights[seg][start:stop]
        return x, y, w


def model_batch(
    windows: WindowSet,
    rows: np.ndarray,
    rng: np.random.Generator | None = None,
    augment: Augment | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A batch ready for the model: normalised ``(b, T, 1)``, classes ``(b, T)``, weights ``(b, T)``."""
    x, y, w = windows.take(rows, rng)
    if augment is not None and rng is not None:
        x = augment.apply(x, rng)
    return normalise_windows(x)[:, :, None], y, w


def labelled_window_starts(labelled: np.ndarray, window: int, hop: int, min_fraction: float = 0.5) -> np.ndarray:
    """Starts of windows (every ``hop`` samples) in which at least ``min_fraction`` is labelled.

    Parameters
    ----------
    labelled : np.ndarray
        bool, shape ``(n,)``.
    window, hop : int
        Window length and step in samples.
    min_fraction : float
        Minimum labelled fraction of a window.

    Returns
    -------
    np.ndarray
        int64 window starts with ``start + window <= n``.
    """
    n = labelled.size
    if n < window:
        return np.zeros(0, dtype=np.int64)
    csum = np.concatenate(([0], np.cumsum(labelled, dtype=np.int64)))
    starts = np.arange(0, n - window + 1, hop, dtype=np.int64)
    frac = (csum[starts + window] - csum[starts]) / window
    return starts[frac >= min_fraction]
