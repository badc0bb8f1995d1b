"""Per-sample class probabilities of a whole record from a loaded model.

Each lead is prepared (:func:`~ecgstudio.ml.preprocess.prepare_lead`: 250 Hz,
baseline removed), cut into overlapping windows (:func:`window_config`:
``inference_window_samples`` / ``inference_hop_samples`` / ``taper_samples``
from the model metadata when present, else ``window_samples`` /
``hop_samples``), normalised per window, run through the model a batch at a
time (batches filled across leads, about :data:`DEFAULT_BATCH_SAMPLES` samples
each, so memory stays bounded for 24-hour records), stitched with tapered
weights and mapped back onto the record's own sample grid. The fused output
averages the probabilities of every lead.

Speed (2 CPU cores): the LSTM is recurrent, so a model call costs a fixed
overhead per time step plus work per sample; few long-ish windows with a
small overlap and big batches minimise both. Keras models of the standard
architecture run through :func:`~ecgstudio.ml._fast_forward._fast_bilstm_fn`
(the same function, algebraically simplified, compiled once; re-exported
here), others through a compiled ``model(x, training=False)``.
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from ecgstudio.ml._fast_forward import _fast_bilstm_fn, _is_standard_bilstm
from ecgstudio.ml._tf import import_tensorflow_quietly as import_tensorflow_quietly
from ecgstudio.ml.cancel import CancelFn, ProgressFn, check_cancel
from ecgstudio.ml.model import CLASSES, DEFAULT_HOP_SAMPLES, DEFAULT_WINDOW_SAMPLES
from ecgstudio.ml.model import LAYER_NAMES as LAYER_NAMES
from ecgstudio.ml.preprocess import map_to_input, normalise_windows, prepare_lead, prepare_leads
from ecgstudio.ml.windows import OverlapAdd, batches, effective_window, slice_windows, window_starts

#: Samples per model call (windows x window length) when no ``batch_size`` is given: big batches keep
#: the CPU busy; this bounds the model's temporary memory (~1.8 kB a sample: ~220 MB) for 24-hour records.
DEFAULT_BATCH_SAMPLES = 128_000

#: Kept for callers that name it: windows per model call for 1000-sample windows.
DEFAULT_BATCH_SIZE = DEFAULT_BATCH_SAMPLES // DEFAULT_WINDOW_SAMPLES

N_CLASSES = len(CLASSES)

#: Records of at most this many samples (all leads) are prepared in one filter call (:func:`prepare_leads`).
PREPARE_TOGETHER_SAMPLES = 2_000_000

#: The compiled forward pass of each loaded Keras model and which one it is (see :func:`_compiled_pass`).
_compiled: weakref.WeakKeyDictionary[Any, tuple[Callable[[np.ndarray], Any], str]] = weakref.WeakKeyDictionary()

#: Forward passes :func:`inference_path` names.
FAST_PATH, KERAS_PATH, PREDICT_PATH = "fast BiLSTM", "compiled Keras call", "predict_on_batch"


def _as_leads(signal: np.ndarray) -> np.ndarray:
    signal = np.asarray(signal)
    if signal.ndim == 1:
        signal = signal[:, None]
    if signal.ndim != 2:
        raise ValueError(f"signal must have shape (n_samples, n_leads), got {signal.shape}")
    return signal


def window_config(metadata: dict[str, Any]) -> tuple[int, int, int | None]:
    """Inference window, hop and taper ramp (samples at the model rate) from model metadata.

    ``inference_window_samples`` / ``inference_hop_samples`` / ``taper_samples`` when present
    (inference settings chosen after training), else ``window_samples`` / ``hop_samples`` and the
    default ramp (``window // 4``, returned as ``None``).
    """
    window = int(metadata.get("inference_window_samples", metadata.get("window_samples", DEFAULT_WINDOW_SAMPLES)))
    hop = int(metadata.get("inference_hop_samples", metadata.get("hop_samples", DEFAULT_HOP_SAMPLES)))
    ramp = metadata.get("taper_samples")
    if window <= 0 or not 0 < hop <= window:
        raise ValueError(f"bad inference window/hop: {window}/{hop}")
    return window, hop, (None if ramp is None else int(ramp))


def inference_path(model: Any) -> str:
    """Which forward pass :func:`run_windows` uses for ``model``: :data:`FAST_PATH` (the standard
    architecture where TensorFlow has the fused LSTM kernel), :data:`KERAS_PATH` or :data:`PREDICT_PATH`.

    Lets tests and benchmarks check that a model gets the fast pass rather than silently the slow one.
    """
    return _compiled_pass(model)[1]


def _compiled_pass(model: Any) -> tuple[Callable[[np.ndarray], Any], str]:
    """``(x -> probabilities, which pass)`` for a model, compiled once per model (one trace for every batch
    size and length: no retracing, none of ``predict``'s per-call overhead).

    Keras models of the standard architecture get :func:`_fast_bilstm_fn`; other Keras models a
    ``tf.function`` of ``model(x, training=False)``; other objects (test doubles) their own
    ``predict_on_batch``.
    """
    keras = sys.modules.get("keras")
    if keras is None or not isinstance(model, keras.Model):
        return model.predict_on_batch, PREDICT_PATH
    compiled = _compiled.get(model)
    if compiled is None:
        import tensorflow as tf

        if _is_standard_bilstm(model) and hasattr(tf.raw_ops, "BlockLSTMV2"):
            compiled = _fast_bilstm_fn(model), FAST_PATH
        else:
            compiled = (tf.function(lambda x: model(x, training=False),
                                    input_signature=[tf.TensorSpec([None, None, 1], tf.float32)]), KERAS_PATH)
        _compiled[model] = compiled
    return compiled


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
    n = x.shape[0]
    forward, path = _compiled_pass(model)
    if n % 2 and path != PREDICT_PATH:
        # an odd row count takes other matrix kernels for the last row(s), whose rounding differs (~1e-6):
        # padded to an even count, each window's output does not depend on its batch-mates, so records
        # batched together (annotate) get exactly the probabilities they get alone (the editor)
        x = np.concatenate([x, x[-1:]])
    out = forward(x)
    return np.asarray(out, dtype=np.float32)[:n]


def warm_up(model: Any) -> None:
    """Build and trace ``model``'s forward pass now (one tiny call), so that the first real batch does not
    pay for it; e.g. in a background thread while the first records are read."""
    run_windows(model, np.zeros((1, 8), dtype=np.float32))


def _stitched(
    model: Any,
    leads: list[np.ndarray],
    *,
    window: int,
    hop: int,
    ramp: int | None,
    fused: bool,
    batch_size: int | None,
    on_batch: Callable[[int], None] | None,
    cancel: CancelFn | None,
    acc_of: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Stitched probabilities of prepared leads (all of the same length ``m``) at the model rate.

    Batches are filled across leads (fewer, fuller model calls). ``fused``: one accumulator for all
    leads, whose result is the mean of the leads' stitched probabilities (every lead has the same
    windows and weights, so the weighted sum over leads divided by the summed weights is exactly
    that mean); else one accumulator per lead. ``acc_of`` (lead -> accumulator, non-decreasing)
    overrides both: e.g. the leads of several records, one fused accumulator per record; each
    accumulator then receives its leads' windows in the same order as alone, so its sums are the same.
    """
    m = leads[0].shape[0]
    if acc_of is None:
        acc_of = np.zeros(len(leads), dtype=np.intp) if fused else np.arange(len(leads))
    n_accs = int(acc_of.max()) + 1 if len(acc_of) else 0
    if m == 0:
        return [np.zeros((0, N_CLASSES), dtype=np.float32) for _ in range(n_accs)]
    win = effective_window(m, window)
    starts = window_starts(m, win, min(hop, win))
    ramp_eff = None if ramp is None else min(int(ramp), win)
    if batch_size is None:
        batch_size = max(1, DEFAULT_BATCH_SAMPLES // win)
    accs = [OverlapAdd(m, N_CLASSES, win, ramp_eff) for _ in range(n_accs)]
    lead_of = np.repeat(np.arange(len(leads)), len(starts))
    start_of = np.tile(starts, len(leads))
    for group in batches(np.arange(len(start_of)), batch_size):
        check_cancel(cancel, "inference")
        raw = np.empty((len(group), win), dtype=np.float32)
        for k in np.unique(lead_of[group]):
            sel = lead_of[group] == k
            raw[sel] = slice_windows(leads[k], start_of[group][sel], win)
        probs = run_windows(model, normalise_windows(raw))
        for k in np.unique(lead_of[group]):
            sel = lead_of[group] == k
            accs[acc_of[k]].add(start_of[group][sel], probs[sel])
        if on_batch is not None:
            on_batch(len(group))
    return [acc.result() for acc in accs]


def lead_proba_model_grid(
    model: Any,
    x_model: np.ndarray,
    *,
    window: int,
    hop: int,
    ramp: int | None = None,
    batch_size: int | None = None,
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
    ramp : int | None
        Taper ramp in samples (default ``window // 4``).
    on_batch : callable | None
        Called with the number of windows just processed.

    Returns
    -------
    np.ndarray
        float32, shape ``(m, 6)``.
    """
    (out,) = _stitched(model, [np.asarray(x_model, dtype=np.float32)], window=window, hop=hop, ramp=ramp,
                       fused=True, batch_size=batch_size, on_batch=on_batch, cancel=cancel)
    return out


def count_windows(n_samples: int, fs: float, metadata: dict[str, Any]) -> int:
    """Number of model windows one lead of ``n_samples`` at ``fs`` Hz needs."""
    from ecgstudio.ml.preprocess import prepared_length

    window, hop, _ = window_config(metadata)
    m = prepared_length(n_samples, fs)
    win = effective_window(m, window)
    return len(window_starts(m, win, min(hop, win)))


def _infer(
    model: Any,
    metadata: dict[str, Any],
    signal: np.ndarray,
    fs: float,
    *,
    fused: bool,
    progress: ProgressFn | None,
    cancel: CancelFn | None,
    batch_size: int | None,
) -> list[np.ndarray]:
    window, hop, ramp = window_config(metadata)
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
    if n * n_leads <= PREPARE_TOGETHER_SAMPLES:
        leads = prepare_leads(signal, fs)
    else:  # long records one lead at a time: bounded memory, cancellable between leads
        leads = []
        for lead in range(n_leads):
            check_cancel(cancel, "inference")
            leads.append(prepare_lead(signal[:, lead], fs))
    return _stitched(model, leads, window=window, hop=hop, ramp=ramp, fused=fused, batch_size=batch_size,
                     on_batch=on_batch, cancel=cancel)


def predict_proba_per_lead(
    model: Any,
    metadata: dict[str, Any],
    signal: np.ndarray,
    fs: float,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    batch_size: int | None = None,
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
    batch_size : int | None
        Windows per model call (bounds memory); default: ``DEFAULT_BATCH_SAMPLES // window``.

    Returns
    -------
    np.ndarray
        float32, shape ``(n_leads, n_samples, 6)``; each row sums to 1.
    """
    signal = _as_leads(signal)
    n, n_leads = signal.shape
    out = np.empty((n_leads, n, N_CLASSES), dtype=np.float32)
    if n_leads == 0:
        return out
    per_lead = _infer(model, metadata, signal, fs, fused=False, progress=progress, cancel=cancel,
                      batch_size=batch_size)
    for lead in range(n_leads):
        out[lead] = map_to_input(per_lead[lead], n, fs, copy=False)
        per_lead[lead] = None  # free each lead once copied
    return out


def predict_proba(
    model: Any,
    metadata: dict[str, Any],
    signal: np.ndarray,
    fs: float,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    batch_size: int | None = None,
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
    if n_leads == 0:
        return np.zeros((n, N_CLASSES), dtype=np.float32)
    (total,) = _infer(model, metadata, signal, fs, fused=True, progress=progress, cancel=cancel,
                      batch_size=batch_size)
    return map_to_input(total, n, fs, copy=False)
