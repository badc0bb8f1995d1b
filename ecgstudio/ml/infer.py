"""Per-sample class probabilities of a whole record from a loaded model.

Each lead is prepared (:func:`~ecgstudio.ml.preprocess.prepare_lead`: 250 Hz,
baseline removed), cut into overlapping windows (``window_samples`` /
``hop_samples`` from the model metadata), normalised per window, run through
the model a batch at a time (so memory stays bounded for 24-hour records:
only ``batch_size`` windows exist at once), stitched with tapered weights and
mapped back onto the record's own sample grid. The fused output averages the
probabilities of every lead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ecgstudio.ml.cancel import CancelFn, ProgressFn, check_cancel
from ecgstudio.ml.model import CLASSES, DEFAULT_HOP_SAMPLES, DEFAULT_WINDOW_SAMPLES
from ecgstudio.ml.preprocess import map_to_input, normalise_windows, prepare_lead
from ecgstudio.ml.windows import OverlapAdd, batches, effective_window, slice_windows, window_starts

#: Windows per model call.
DEFAULT_BATCH_SIZE = 128

N_CLASSES = len(CLASSES)


def _as_leads(signal: np.ndarray) -> np.ndarray:
    signal = np.asarray(signal)
    if signal.ndim == 1:
        signal = signal[:, None]
    if signal.ndim != 2:
        raise ValueError(f"signal must have shape (n_samples, n_leads), got {signal.shape}")
    return signal


def _window_config(metadata: dict[str, Any]) -> tuple[int, int]:
    window = int(metadata.get("window_samples", DEFAULT_WINDOW_SAMPLES))
    hop = int(metadata.get("hop_samples", DEFAULT_HOP_SAMPLES))
    return window, hop


def run_windows(model: Any, windows: np.ndarray) -> np.ndarray:
    """Model output for a batch of normalised windows.

    Parameters
    ----------
    model : keras.Model
        ``(batch, T, 1) -> (batch, T, 6)``.
    windows : np.ndarray
        float32, shape ``(B, T)``.

    Returns
    -------
    np.ndarray
        float32, shape ``(B, T, 6)``.
    """
    x = np.ascontiguousarray(windows, dtype=np.float32)[:, :, None]
    b = x.shape[0]
    padded = 1 << max(0, int(b - 1).bit_length())
    if padded != b:
        # a few batch shapes only (powers of two), so the compiled predict function is not retraced
        # for every record length's last, partial batch
        x = np.concatenate([x, np.zeros((padded - b, *x.shape[1:]), dtype=np.float32)])
    out = model.predict_on_batch(x)
    return np.asarray(out, dtype=np.float32)[:b]


def lead_proba_model_grid(
    model: Any,
    x_model: np.ndarray,
    *,
    window: int,
    hop: int,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Any = None,
    cancel: CancelFn | None = None,
) -> np.ndarray:
    """Stitched probabilities of one prepared lead at the model rate.

    Parameters
    ----------
    x_model : np.ndarray
        float32, shape ``(m,)``, output of :func:`prepare_lead`.
    window, hop : int
        Window length and hop in samples.
    on_batch : callable | None
        Called with the number of windows just processed.

    Returns
    -------
    np.ndarray
        float32, shape ``(m, 6)``.
    """
    m = x_model.shape[0]
    if m == 0:
        return np.zeros((0, N_CLASSES), dtype=np.float32)
    win = effective_window(m, window)
    starts = window_starts(m, win, min(hop, win))
    acc = OverlapAdd(m, N_CLASSES, win)
    for group in batches(starts, batch_size):
        check_cancel(cancel, "inference")
        probs = run_windows(model, normalise_windows(slice_windows(x_model, group, win)))
        acc.add(group, probs)
        if on_batch is not None:
            on_batch(len(group))
    return acc.result()


def count_windows(n_samples: int, fs: float, metadata: dict[str, Any]) -> int:
    """Number of model windows one lead of ``n_samples`` at ``fs`` Hz needs."""
    from ecgstudio.ml.preprocess import prepared_length

    window, hop = _window_config(metadata)
    m = prepared_length(n_samples, fs)
    win = effective_window(m, window)
    return len(window_starts(m, win, min(hop, win)))


def _iter_leads(
    model: Any,
    metadata: dict[str, Any],
    signal: np.ndarray,
    fs: float,
    progress: ProgressFn | None,
    cancel: CancelFn | None,
    batch_size: int,
) -> Iterator[np.ndarray]:
    window, hop = _window_config(metadata)
    n, n_leads = signal.shape
    total = max(1, count_windows(n, fs, metadata) * n_leads)
    done = 0

    def on_batch(k: int) -> None:
        nonlocal done
        done += k
        if progress is not None:
            progress(min(1.0, done / total))

    if progress is not None:
        progress(0.0)
    for lead in range(n_leads):
        check_cancel(cancel, "inference")
        x_model = prepare_lead(signal[:, lead], fs)
        yield lead_proba_model_grid(model, x_model, window=window, hop=hop, batch_size=batch_size,
                                    on_batch=on_batch, cancel=cancel)


def predict_proba_per_lead(
    model: Any,
    metadata: dict[str, Any],
    signal: np.ndarray,
    fs: float,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> np.ndarray:
    """Class probabilities of every lead, on the record's sample grid.

    Parameters
    ----------
    model : keras.Model
        From :func:`~ecgstudio.ml.model.load_model_pair`.
    metadata : dict
        Its metadata (window and hop).
    signal : np.ndarray
        float32, shape ``(n_samples, n_leads)`` (or ``(n_samples,)``), mV.
    fs : float
        Sampling frequency of ``signal`` in Hz (any rate; resampled internally).
    progress : callable | None
        ``progress(fraction)``, fraction of windows done in [0, 1].
    cancel : callable | None
        Polled between batches; returning True raises
        :class:`~ecgstudio.ml.cancel.Cancelled`.
    batch_size : int
        Windows per model call (bounds memory).

    Returns
    -------
    np.ndarray
        float32, shape ``(n_leads, n_samples, 6)``; each row sums to 1.
    """
    signal = _as_leads(signal)
    n, n_leads = signal.shape
    out = np.empty((n_leads, n, N_CLASSES), dtype=np.float32)
    for lead, probs in enumerate(_iter_leads(model, metadata, signal, fs, progress, cancel, batch_size)):
        out[lead] = map_to_input(probs, n, fs, copy=False)
    return out


def predict_proba(
    model: Any,
    metadata: dict[str, Any],
    signal: np.ndarray,
    fs: float,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> np.ndarray:
    """Class probabilities fused over all leads (their mean), on the record's sample grid.

    Parameters are those of :func:`predict_proba_per_lead`.

    Returns
    -------
    np.ndarray
        float32, shape ``(n_samples, 6)``; each row sums to 1. Decode it with
        ``ecgstudio.core.decode.decode`` for the global track.
    """
    signal = _as_leads(signal)
    n, n_leads = signal.shape
    total: np.ndarray | None = None
    for probs in _iter_leads(model, metadata, signal, fs, progress, cancel, batch_size):
        if total is None:
            total = probs
        else:
            total += probs
    if total is None:
        return np.zeros((n, N_CLASSES), dtype=np.float32)
    total /= np.float32(n_leads)
    return map_to_input(total, n, fs, copy=False)
