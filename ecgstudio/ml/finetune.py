"""Fine-tuning a trained model pair on a few reviewed beats.

The base model is loaded from its pair, scored on the held-out windows,
trained further with :func:`ecgstudio.ml.train.fit` (the same loop, loss and
early stopping as full training) at a lower learning rate, optionally with its
first layers frozen, and scored again. Nothing is written here: the caller
saves the result as a *new* pair.

Fine-tuning runs inside the editor's process too, so it sets no global seed and leaves TensorFlow's op
determinism alone: the batch order, jitter and augmentation come from ``settings.seed`` through a ``numpy``
Generator, and the loaded model's dropout layers keep the seeds they were built with.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ecgstudio.core.errors import ModelError
from ecgstudio.ml.batches import Augment, WindowSet
from ecgstudio.ml.cancel import CancelFn, ProgressFn, check_cancel
from ecgstudio.ml.model import LAYER_NAMES, load_model_pair
from ecgstudio.ml.train import FitConfig, LogFn, evaluate_windows, fit

#: ``score(model) -> dict``: extra held-out scores merged into ``before``/``after``.
ScoreFn = Callable[[Any], dict[str, Any]]

#: Default learning rate of fine-tuning (a tenth of full training's 1e-3).
DEFAULT_FINETUNE_LR = 1e-4

#: Default maximum number of epochs.
DEFAULT_FINETUNE_EPOCHS = 10

#: Epochs without held-out improvement before stopping.
DEFAULT_FINETUNE_PATIENCE = 3

#: Windows per batch (few windows: small batches give several steps per epoch).
DEFAULT_FINETUNE_BATCH = 8

#: Largest batch :func:`auto_batch_size` picks (~3x the windows/s of batch 8 on 2 CPU cores).
MAX_AUTO_BATCH = 64

#: Batches per epoch :func:`auto_batch_size` aims at.
AUTO_BATCH_STEPS = 32


def auto_batch_size(n_windows: int) -> int:
    """Batch size for ``n_windows`` training windows: :data:`DEFAULT_FINETUNE_BATCH` for the few windows of
    an editing session (many small steps), doubling while an epoch keeps at least :data:`AUTO_BATCH_STEPS`
    batches, up to :data:`MAX_AUTO_BATCH` (a database of corrections trains ~3x faster per window)."""
    batch = DEFAULT_FINETUNE_BATCH
    while batch < MAX_AUTO_BATCH and n_windows >= 2 * batch * AUTO_BATCH_STEPS:
        batch *= 2
    return batch

#: Milder augmentation than full training: the few reviewed beats are the truth.
FINETUNE_AUGMENT = Augment(noise_max=0.03, wander_max=0.15, powerline_max=0.02, probability=0.5)


@dataclass(frozen=True)
class FineTuneSettings:
    """Hyper-parameters of one fine-tuning run.

    Attributes
    ----------
    epochs : int
        Maximum number of epochs (early stopping usually ends sooner).
    lr : float
        Initial Adam learning rate.
    patience : int
        Epochs without held-out improvement before stopping (best weights kept).
    freeze : int
        Number of leading layers of :data:`~ecgstudio.ml.model.LAYER_NAMES` kept frozen.
    seed : int
        Seed of the batch order, jitter and augmentation (and of nothing process-wide).
    batch_size : int
        Windows per batch.
    blend : float
        Share of the fine-tuning step kept: the result's weights are
        ``base + blend * (tuned - base)`` (1: the tuned weights; < 1 pulls
        them back toward the base, which limits forgetting).
    steps_per_epoch : int | None
        Batches per epoch, drawn at random (``None``: one pass over the
        training windows); bounds the time per epoch on many records.
    """

    epochs: int = DEFAULT_FINETUNE_EPOCHS
    lr: float = DEFAULT_FINETUNE_LR
    patience: int = DEFAULT_FINETUNE_PATIENCE
    freeze: int = 0
    seed: int = 0
    batch_size: int = DEFAULT_FINETUNE_BATCH
    blend: float = 1.0
    steps_per_epoch: int | None = None

    def check(self) -> None:
        """Raise :class:`ModelError` (one line) for settings that cannot work."""
        if self.epochs < 1:
            raise ModelError(f"epochs must be at least 1, got {self.epochs}")
        if not 0 <= self.freeze <= len(LAYER_NAMES):
            raise ModelError(f"freeze must be between 0 and {len(LAYER_NAMES)} layers, got {self.freeze}")
        if not (self.lr > 0 and np.isfinite(self.lr)):
            raise ModelError(f"learning rate must be positive, got {self.lr}")
        if self.batch_size < 1 or self.patience < 1:
            raise ModelError("batch size and patience must be at least 1")
        if not 0 < self.blend <= 1:
            raise ModelError(f"blend must be in (0, 1], got {self.blend}")
        if self.steps_per_epoch is not None and self.steps_per_epoch < 1:
            raise ModelError(f"steps per epoch must be at least 1, got {self.steps_per_epoch}")


@dataclass(frozen=True)
class FineTuneRun:
    """Outcome of :func:`finetune_model`.

    Attributes
    ----------
    model : keras.Model
        The fine-tuned model (best held-out epoch).
    base_metadata : dict
        Metadata of the base pair.
    before, after : dict
        :func:`~ecgstudio.ml.train.evaluate_windows` scores on the held-out
        windows (``loss`` nats per weighted sample, ``accuracy``, ``samples``)
        before and after fine-tuning, plus the items of ``score(model)``.
    history : dict
        The training history of :func:`~ecgstudio.ml.train.fit`.
    """

    model: Any
    base_metadata: dict[str, Any]
    before: dict[str, Any]
    after: dict[str, Any]
    history: dict[str, Any]


def fresh_copy(model: Any) -> Any:
    """A new Keras model with the same architecture and weights.

    :mod:`ecgstudio.ml.infer` compiles a model's forward pass once, with its
    weights folded in, and keeps it per model object: a model trained after
    its first prediction must be scored through a fresh copy, or the scores
    are the old weights' (the held-out "after" scores were the base's until
    issue 9).
    """
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def blend_weights(base: list[np.ndarray], tuned: list[np.ndarray], blend: float) -> list[np.ndarray]:
    """``base + blend * (tuned - base)``, array by array (BatchNorm statistics included)."""
    return [b + blend * (t - b) if np.issubdtype(np.asarray(t).dtype, np.floating) else t
            for b, t in zip(base, tuned, strict=True)]


def finetune_model(
    base_stem: str | os.PathLike[str],
    train: WindowSet,
    validation: WindowSet,
    settings: FineTuneSettings | None = None,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    log: LogFn | None = None,
    score: ScoreFn | None = None,
) -> FineTuneRun:
    """Fine-tune the model of a pair on reviewed windows.

    Parameters
    ----------
    base_stem : path
        The base pair (stem, ``.keras`` or ``.json``); only read.
    train, validation : WindowSet
        Prepared windows with sample weights (0 outside reviewed, labelled
        samples). ``validation`` drives early stopping and the before/after
        scores.
    settings : FineTuneSettings | None
        Hyper-parameters (defaults when ``None``).
    progress : callable | None
        ``progress(fraction)`` in [0, 1].
    cancel : callable | None
        Polled before every batch; True raises :class:`~ecgstudio.ml.cancel.Cancelled`.
    log : callable | None
        Receives one line per epoch.
    score : callable | None
        ``score(model) -> dict`` of further held-out scores (e.g. wave-level
        sensitivity), called on the base and on the fine-tuned model; its
        items are added to ``before``/``after``.

    Returns
    -------
    FineTuneRun

    Raises
    ------
    ModelError
        The base pair cannot be loaded, or bad settings, or no windows.
    Cancelled
        ``cancel()`` returned True.
    """
    settings = settings or FineTuneSettings()
    settings.check()
    if len(train) == 0 or len(validation) == 0:
        raise ModelError("no reviewed windows to fine-tune on" if len(train) == 0 else "no held-out windows")
    check_cancel(cancel, "fine-tuning")
    model, base_meta = load_model_pair(base_stem)
    val_rows = np.arange(len(validation))
    before: dict[str, Any] = dict(evaluate_windows(model, validation, val_rows))
    if score is not None:
        before.update(score(fresh_copy(model)))
    base_weights = model.get_weights()
    config = FitConfig(
        epochs=settings.epochs,
        steps_per_epoch=settings.steps_per_epoch,
        batch_size=settings.batch_size,
        lr=settings.lr,
        patience=settings.patience,
        lr_patience=max(1, settings.patience - 1),
        min_lr=settings.lr / 10,
        freeze_layers=settings.freeze,
        seed=settings.seed,
        augment=FINETUNE_AUGMENT,
    )
    history = fit(model, train, validation, config, progress=progress, cancel=cancel, log=log)
    if settings.blend < 1:
        model.set_weights(blend_weights(base_weights, model.get_weights(), settings.blend))
    model = fresh_copy(model)
    after: dict[str, Any] = dict(evaluate_windows(model, validation, val_rows))
    if score is not None:
        check_cancel(cancel, "fine-tuning")
        after.update(score(model))
    return FineTuneRun(model, base_meta, before, after, history)
