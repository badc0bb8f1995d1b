"""Training loop shared by ``ecgstudio train`` and fine-tuning.

A plain loop over ``train_on_batch`` (rather than ``model.fit``) keeps
progress, cancellation, early stopping with best-weight restore and the
learning-rate schedule explicit and cheap. The loss is the sample-weighted
sparse categorical cross-entropy divided by the batch's sum of weights
(:data:`LOSS_REDUCTION`): samples with weight 0 (unlabelled) do not count,
and a batch with few labelled samples (a short reviewed span) pulls as hard
per labelled sample as a fully labelled one. Optimiser: Adam with gradient-norm clipping; the learning rate halves
when the validation loss stops improving, and training stops (restoring the
best weights) after ``patience`` epochs without improvement — the prototype's
collapse after ~15 epochs (docs/ARCHITECTURE.md §6) is never kept.

Nothing here touches process-wide state: batch order, jitter and augmentation
come from a ``numpy`` Generator seeded with ``FitConfig.seed``, and the
model's initialisers and dropout layers carry their own seeds
(:func:`~ecgstudio.ml.model.build_model`). Only a command-line process may
call :func:`set_seeds` (global seeds and TensorFlow's op determinism).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ecgstudio.ml._tf import import_tensorflow_quietly
from ecgstudio.ml.batches import Augment, WindowSet, model_batch
from ecgstudio.ml.cancel import CancelFn, ProgressFn, check_cancel
from ecgstudio.ml.model import LAYER_NAMES

LogFn = Callable[[str], None]

#: Keras loss reduction: sum of weighted per-sample losses / sum of the sample weights (not / number of samples).
LOSS_REDUCTION = "mean_with_sample_weight"


@dataclass(frozen=True)
class FitConfig:
    """Hyper-parameters of one training run.

    Attributes
    ----------
    epochs : int
        Maximum number of epochs.
    steps_per_epoch : int | None
        Batches per epoch; ``None`` = one pass over the training windows.
    batch_size : int
        Windows per batch.
    lr : float
        Initial Adam learning rate.
    clipnorm : float
        Gradient-norm clipping.
    patience : int
        Epochs without validation improvement before stopping.
    lr_patience : int
        Epochs without improvement before the learning rate is multiplied by ``lr_factor``.
    lr_factor : float
        Learning-rate reduction factor.
    min_lr : float
        Lower bound of the learning rate.
    freeze_layers : int
        Number of leading layers (of :data:`~ecgstudio.ml.model.LAYER_NAMES`) kept frozen.
    seed : int
        Seed of batch order, window jitter and augmentation.
    augment : Augment | None
        Augmentation of training windows (``None``: none).
    max_val_windows : int
        Validation windows used per evaluation (a fixed, seeded subset when more).
    """

    epochs: int = 20
    steps_per_epoch: int | None = None
    batch_size: int = 64
    lr: float = 1e-3
    clipnorm: float = 1.0
    patience: int = 4
    lr_patience: int = 2
    lr_factor: float = 0.5
    min_lr: float = 1e-5
    freeze_layers: int = 0
    seed: int = 0
    augment: Augment | None = field(default_factory=Augment)
    max_val_windows: int = 2000


def set_seeds(seed: int, *, deterministic: bool = True) -> None:
    """Seed Python's, numpy's and TensorFlow's global generators; optionally make TF ops deterministic.

    Process-wide and irreversible: for a command-line process that runs one training (``ecgstudio train``,
    ``ecgstudio finetune --deterministic``), never for the editor. Training itself needs none of it to be
    repeatable on one machine (see the module docstring).
    """
    import_tensorflow_quietly()
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(int(seed))
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def compile_for_training(model: Any, config: FitConfig) -> None:
    """Freeze the first ``config.freeze_layers`` layers and compile with Adam + clipping."""
    import_tensorflow_quietly()
    import keras

    frozen = set(LAYER_NAMES[: config.freeze_layers])
    for layer in model.layers:
        layer.trainable = layer.name not in frozen
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.lr, clipnorm=config.clipnorm),
        loss=keras.losses.SparseCategoricalCrossentropy(reduction=LOSS_REDUCTION),
    )


def evaluate_windows(model: Any, windows: WindowSet, rows: np.ndarray, batch_size: int = 128) -> dict[str, float]:
    """Weighted cross-entropy and accuracy of the model on some windows (no augmentation).

    Returns
    -------
    dict
        ``loss`` (mean over weighted samples, nats), ``accuracy`` (weighted
        fraction of samples whose most probable class is right), ``samples``.
    """
    total_loss = 0.0
    total_right = 0.0
    total_weight = 0.0
    for i in range(0, len(rows), batch_size):
        x, y, w = model_batch(windows, rows[i:i + batch_size])
        probs = np.asarray(model.predict_on_batch(x), dtype=np.float64)
        p_true = np.take_along_axis(probs, y[..., None].astype(np.int64), axis=-1)[..., 0]
        total_loss += float(np.sum(-np.log(np.clip(p_true, 1e-7, 1.0)) * w))
        total_right += float(np.sum((probs.argmax(-1) == y) * w))
        total_weight += float(np.sum(w))
    if total_weight == 0:
        return {"loss": float("nan"), "accuracy": float("nan"), "samples": 0.0}
    return {"loss": total_loss / total_weight, "accuracy": total_right / total_weight, "samples": total_weight}


def fit(
    model: Any,
    train: WindowSet,
    validation: WindowSet | None,
    config: FitConfig,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    log: LogFn | None = None,
) -> dict[str, Any]:
    """Train ``model`` in place; keep the weights of the best validation epoch.

    Parameters
    ----------
    model : keras.Model
        Built (and possibly pre-trained) model; it is (re)compiled here.
    train : WindowSet
        Training windows.
    validation : WindowSet | None
        Validation windows for early stopping; ``None`` = training loss decides.
    config : FitConfig
        Hyper-parameters.
    progress : callable | None
        ``progress(fraction)`` after every batch.
    cancel : callable | None
        Polled before every batch; True raises :class:`~ecgstudio.ml.cancel.Cancelled`
        (the model keeps the weights it had at that moment).
    log : callable | None
        Receives one line per epoch.

    Returns
    -------
    dict
        History: per-epoch lists ``loss``, ``val_loss``, ``val_accuracy``,
        ``lr``, ``seconds``; and ``best_epoch`` (1-based), ``epochs_run``,
        ``stopped_early``, ``train_windows``, ``val_windows``.
    """
    if len(train) == 0:
        raise ValueError("no training windows")
    rng = np.random.default_rng(config.seed)
    compile_for_training(model, config)
    steps = config.steps_per_epoch or max(1, int(np.ceil(len(train) / config.batch_size)))
    val_rows = np.zeros(0, dtype=np.int64)
    if validation is not None and len(validation):
        val_rows = np.arange(len(validation))
        if len(val_rows) > config.max_val_windows:
            val_rows = np.sort(np.random.default_rng(config.seed + 1).choice(
                val_rows, config.max_val_windows, replace=False))
    history: dict[str, Any] = {"loss": [], "val_loss": [], "val_accuracy": [], "lr": [], "seconds": []}
    best = np.inf
    best_weights = model.get_weights()
    best_epoch = 0
    since_best = 0
    since_lr = 0
    lr = float(config.lr)
    order = rng.permutation(len(train))
    cursor = 0
    total_steps = steps * config.epochs
    for epoch in range(config.epochs):
        started = time.perf_counter()
        losses = []
        for step in range(steps):
            check_cancel(cancel, "training")
            if cursor + config.batch_size > len(order):
                order, cursor = rng.permutation(len(train)), 0
            rows = order[cursor:cursor + config.batch_size]
            cursor += config.batch_size
            x, y, w = model_batch(train, rows, rng, config.augment)
            losses.append(float(np.asarray(model.train_on_batch(x, y, sample_weight=w)).reshape(-1)[0]))
            if progress is not None:
                progress((epoch * steps + step + 1) / total_steps)
        train_loss = float(np.mean(losses))
        if len(val_rows):
            val = evaluate_windows(model, validation, val_rows)
        else:
            val = {"loss": train_loss, "accuracy": float("nan")}
        history["loss"].append(train_loss)
        history["val_loss"].append(val["loss"])
        history["val_accuracy"].append(val["accuracy"])
        history["lr"].append(lr)
        history["seconds"].append(time.perf_counter() - started)
        improved = np.isfinite(val["loss"]) and val["loss"] < best - 1e-4
        if improved:
            best, best_weights, best_epoch = val["loss"], model.get_weights(), epoch + 1
            since_best = since_lr = 0
        else:
            since_best += 1
            since_lr += 1
        if log is not None:
            log(f"epoch {epoch + 1}/{config.epochs}: loss {train_loss:.4f}  val_loss {val['loss']:.4f}  "
                f"val_acc {val['accuracy']:.4f}  lr {lr:.2e}  {history['seconds'][-1]:.0f} s"
                + ("  *best*" if improved else ""))
        if since_best >= config.patience:
            break
        if since_lr >= config.lr_patience and lr > config.min_lr:
            lr = max(config.min_lr, lr * config.lr_factor)
            model.optimizer.learning_rate.assign(lr)
            since_lr = 0
    model.set_weights(best_weights)
    history.update(
        best_epoch=best_epoch,
        best_val_loss=float(best) if np.isfinite(best) else None,
        epochs_run=len(history["loss"]),
        stopped_early=len(history["loss"]) < config.epochs,
        train_windows=len(train),
        val_windows=int(len(val_rows)),
        steps_per_epoch=steps,
        batch_size=config.batch_size,
    )
    return history


def fit_arrays(
    model: Any,
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    x_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    w_val: np.ndarray | None = None,
    *,
    config: FitConfig | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    log: LogFn | None = None,
) -> dict[str, Any]:
    """Train from window arrays (the fine-tuning entry point).

    Parameters
    ----------
    x : np.ndarray
        Prepared, *not normalised* windows, float32 ``(B, T)`` (or ``(B, T, 1)``)
        at 250 Hz (cut from :func:`~ecgstudio.ml.preprocess.prepare_lead` output).
    y : np.ndarray
        Class codes ``(B, T)``.
    w : np.ndarray
        Sample weights ``(B, T)``: 0 for unlabelled/unreviewed samples.
    x_val, y_val, w_val : np.ndarray | None
        Validation windows (same layout) for early stopping.
    config : FitConfig | None
        E.g. ``FitConfig(epochs=10, lr=1e-4, patience=3, freeze_layers=2)``.

    Returns
    -------
    dict
        The history of :func:`fit`.
    """
    train = WindowSet.from_arrays(x, y, w)
    val = None if x_val is None else WindowSet.from_arrays(x_val, y_val, w_val)
    return fit(model, train, val, config or FitConfig(), progress=progress, cancel=cancel, log=log)
