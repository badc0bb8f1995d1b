"""``ecgstudio finetune``: learn from reviewed, corrected annotations.

Training data are the reviewed spans of corrected annotation files (see
:mod:`ecgstudio.app.finetune_data`). Part of the material is held out:

* two or more records with reviewed beats: whole records
  (``round(val_fraction * n)``, at least one, at least one left to train on,
  chosen with ``seed``);
* a single record: the last ``val_fraction`` of its reviewed beats (a time
  span; the split lies half-way between two beats).

The base model is fine-tuned (lower learning rate, early stopping on the
held-out part, optionally its first layers frozen) and written as a NEW model
pair whose JSON names its parent, the records used, the split and the scores
on the held-out part before and after. The base pair and any existing pair
are never overwritten.

Parts live beside this module and are re-exported here: the acceptance gate
(:func:`gate`, :data:`GATE_FIDUCIALS`) in :mod:`ecgstudio.app.finetune_gate`,
the new pair's JSON in :mod:`ecgstudio.app.finetune_metadata`, and the
``ecgstudio finetune`` sub-command (:func:`add_arguments`, :func:`run`,
:data:`EXIT_NOT_BETTER`) in :mod:`ecgstudio.app.finetune_cli`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ecgstudio.app.finetune_cli import EXIT_NOT_BETTER as EXIT_NOT_BETTER
from ecgstudio.app.finetune_cli import add_arguments as add_arguments
from ecgstudio.app.finetune_cli import run as run
from ecgstudio.app.finetune_data import (
    RecordMaterial,
    build_windows,
    collect_record,
    held_out_scores,
    split_by_time,
    with_distillation,
)
from ecgstudio.app.finetune_data import count_reviewed_beats as count_reviewed_beats
from ecgstudio.app.finetune_gate import GATE_FIDUCIALS, GATE_SD_MS, GATE_SE_POINTS, gate
from ecgstudio.app.finetune_metadata import new_pair_metadata
from ecgstudio.core.errors import AnnotationError, SaveError
from ecgstudio.io.records import list_records
from ecgstudio.ml.cancel import CancelFn, ProgressFn, check_cancel
from ecgstudio.ml.finetune import (
    DEFAULT_FINETUNE_BATCH,
    DEFAULT_FINETUNE_EPOCHS,
    DEFAULT_FINETUNE_LR,
    DEFAULT_FINETUNE_PATIENCE,
    FineTuneSettings,
    auto_batch_size,
    finetune_model,
)
from ecgstudio.ml.model import read_metadata, save_model_pair
from ecgstudio.ml.train import LogFn
from ecgstudio.paths import model_files, model_stem, user_models_dir

#: Hold-out rules: ``"records"`` (whole records; a single record falls back to ``"time"``) or
#: ``"time"`` (the last reviewed beats of every record).
HOLDOUTS = ("records", "time")

#: Default share of the reviewed material held out for early stopping and the before/after scores.
DEFAULT_VAL_FRACTION = 0.25


#: Default weight of the base model's own labels on unannotated leads (distillation; 0 = off; issue 9: the only
#: setting measured that lost no sensitivity on held-out LUDB and QTDB, models/README.md).
DEFAULT_DISTILL = 1.0

#: Default number of unannotated leads per record labelled by the base model.
DEFAULT_DISTILL_LEADS = 2

#: Default share of the fine-tuning step kept (1 = all; see FineTuneSettings.blend).
DEFAULT_BLEND = 1.0


@dataclass(frozen=True)
class FineTuneResult:
    """What a fine-tuning run produced.

    Attributes
    ----------
    stem : Path
        Stem of the new model pair (``stem.keras`` + ``stem.json``).
    before, after : dict
        Scores on the held-out part of the base and the fine-tuned model:
        ``loss`` (nats per weighted sample), ``accuracy`` (fraction of
        weighted samples), ``samples``, and ``waves`` ({fiducial label:
        {``n_reference``, ``sensitivity``, ``ppv``, ``mean_error_ms``,
        ``sd_error_ms``}}, ``None`` where undefined).
    n_beats : int
        Reviewed beats used (training + held-out).
    records : tuple[str, ...]
        Names of the records that contributed reviewed beats.
    train_records, validation_records : tuple[str, ...]
        The split (the same single record in both for a time split).
    epochs_run : int
        Epochs trained before early stopping.
    wall_s : float
        Wall time of the whole run in seconds.
    accepted : bool
        The acceptance gate's verdict (:func:`gate`): better on the held-out
        records than the base, and worse on none of :data:`GATE_FIDUCIALS`.
    verdict : str
        One line saying so, plainly.
    """

    stem: Path
    before: dict[str, Any]
    after: dict[str, Any]
    n_beats: int
    records: tuple[str, ...]
    train_records: tuple[str, ...] = ()
    validation_records: tuple[str, ...] = ()
    epochs_run: int = 0
    wall_s: float = 0.0
    accepted: bool = False
    verdict: str = ""


def suggest_out_stem(base_stem: str | os.PathLike[str], folder: str | os.PathLike[str] | None = None) -> Path:
    """A free stem for a model fine-tuned from ``base_stem``: ``<folder>/<base>-ft-<UTC time>``.

    ``folder`` defaults to :func:`ecgstudio.paths.user_models_dir`; a numeric
    suffix is added when a pair of that name already exists.
    """
    folder = Path(folder) if folder is not None else user_models_dir()
    stem = folder / f"{model_stem(base_stem).name}-ft-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"
    candidate, n = stem, 1
    while model_files(candidate).existing():
        n += 1
        candidate = stem.with_name(f"{stem.name}-{n}")
    return candidate


def _expand(records: Sequence[str | os.PathLike[str]]) -> list[Path]:
    out: list[Path] = []
    for rec in records:
        p = Path(rec)
        out.extend(list_records(p) if p.is_dir() else [p])
    return out


def _check_out(base: Path, out: Path) -> None:
    if out.resolve() == base.resolve():
        raise SaveError(f"refusing to overwrite the base model {base}: choose another output name")
    taken = model_files(out).existing()
    if taken:
        raise SaveError(f"refusing to overwrite existing model {taken[0]}: choose another output name")


def _split(materials: list[RecordMaterial], val_fraction: float, seed: int, holdout: str
           ) -> tuple[list[RecordMaterial], list[RecordMaterial], dict[str, Any]]:
    """Whole records held out, or the last part (a time span) of every record."""
    if holdout == "time" or len(materials) == 1:
        train, val, at = [], [], {}
        for material in materials:
            if material.n_beats < 2:
                train.append(material)
                continue
            before, after, split = split_by_time(material, val_fraction)
            train.append(before)
            val.append(after)
            at[material.name] = split
        if not val:
            raise AnnotationError(f"{sum(m.n_beats for m in materials)} reviewed beat(s): need at least 2 in one "
                                  "record to hold some out")
        return train, val, {"kind": "time", "split_sample": at}
    n_val = min(len(materials) - 1, max(1, int(round(val_fraction * len(materials)))))
    held = set(np.random.default_rng(seed).choice(len(materials), n_val, replace=False).tolist())
    train = [m for i, m in enumerate(materials) if i not in held]
    val = [m for i, m in enumerate(materials) if i in held]
    return train, val, {"kind": "records"}


def finetune(
    records: Sequence[str | os.PathLike[str]],
    base_stem: str | os.PathLike[str],
    out_stem: str | os.PathLike[str],
    *,
    ann_ext: str | None = None,
    epochs: int = DEFAULT_FINETUNE_EPOCHS,
    freeze: int = 0,
    val_fraction: float = DEFAULT_VAL_FRACTION,
    seed: int = 0,
    lr: float = DEFAULT_FINETUNE_LR,
    holdout: str = "records",
    no_p: str = "rhythm",
    label_leads: str = "own",
    distill: float = DEFAULT_DISTILL,
    distill_leads: int = DEFAULT_DISTILL_LEADS,
    blend: float = DEFAULT_BLEND,
    patience: int = DEFAULT_FINETUNE_PATIENCE,
    batch_size: int | None = None,
    steps_per_epoch: int | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    log: LogFn | None = None,
    command: str | None = None,
) -> FineTuneResult:
    """Fine-tune a model pair on the reviewed beats of some records; write a new pair.

    Parameters
    ----------
    records : sequence of path
        Record paths (``dir/rec``, ``dir/rec.hea``) or folders of records.
    base_stem : path
        The model pair to start from (only read).
    out_stem : path
        Stem of the new pair; neither ``.keras`` nor ``.json`` may exist.
    ann_ext : str | None
        Reference annotator whose whole annotated extent counts as reviewed
        in records without ``ecgs`` review state (``"q1c"``, ``"ii"``), or
        ``"leads"``: every per-lead file of a record (LUDB ``i`` ... ``v6``),
        each labelling its own lead.
    epochs : int
        Maximum epochs (early stopping on the held-out part).
    freeze : int
        Leading layers kept frozen (0-8).
    val_fraction : float
        Share held out, in (0, 1).
    seed : int
        Seed of the split, batch order and augmentation.
    lr : float
        Initial learning rate.
    holdout : str
        ``"records"``: whole records are held out (a single record: its last
        reviewed beats); ``"time"``: the last ``val_fraction`` of the
        reviewed beats of every record.
    no_p : str
        Tracks without P waves: ``"rhythm"`` (default; their TP gaps are a
        statement only in editor-reviewed spans or AF/flutter records),
        ``"statement"`` or ``"unlabelled"`` (see :mod:`ecgstudio.app.finetune_data`).
    label_leads : str
        ``"own"`` (default: a per-lead file labels its own lead) or ``"all"``
        (the ``ann_ext`` file labels every lead and is scored as a global track).
    distill : float
        Weight of the base model's own labels on up to ``distill_leads``
        unannotated leads of each training record (0: off).
    blend : float
        Share of the fine-tuning step kept (``base + blend * (tuned - base)``).
    patience : int
        Epochs without held-out improvement before stopping.
    batch_size : int | None
        Windows per batch; ``None``: :func:`~ecgstudio.ml.finetune.auto_batch_size` of the training
        windows (8 for a few reviewed beats, up to 64 for a database of corrections).
    steps_per_epoch : int | None
        Batches per epoch drawn at random (``None``: one pass over the windows).
    progress : callable | None
        ``progress(fraction)`` in [0, 1].
    cancel : callable | None
        Polled often; True raises :class:`~ecgstudio.ml.cancel.Cancelled` and nothing is written.
    log : callable | None
        Receives human-readable lines (one per epoch).
    command : str | None
        The command line that ran this, recorded as ``command`` in the new pair's JSON.

    Returns
    -------
    FineTuneResult

    Raises
    ------
    SaveError
        ``out_stem`` is the base pair or an existing pair.
    AnnotationError
        No reviewed beats (or too few to hold any out).
    ModelError, RecordError
        The base pair or a record cannot be read.
    Cancelled
        ``cancel()`` returned True.
    """
    started = time.perf_counter()
    base, out = model_stem(base_stem), model_stem(out_stem)
    _check_out(base, out)
    if not 0 < val_fraction < 1:
        raise AnnotationError(f"validation fraction must be between 0 and 1, got {val_fraction}")
    if holdout not in HOLDOUTS:
        raise AnnotationError(f"hold-out must be one of {', '.join(HOLDOUTS)}, got {holdout!r}")
    settings = FineTuneSettings(epochs=epochs, lr=lr, patience=patience, freeze=freeze, seed=seed, blend=blend,
                                batch_size=DEFAULT_FINETUNE_BATCH if batch_size is None else batch_size,
                                steps_per_epoch=steps_per_epoch)
    settings.check()
    base_meta = read_metadata(base)
    window, hop = int(base_meta["window_samples"]), int(base_meta["hop_samples"])
    paths = _expand(records)
    materials: list[RecordMaterial] = []
    for i, path in enumerate(paths):
        check_cancel(cancel, "fine-tuning")
        materials.append(collect_record(path, ann_ext, no_p=no_p, label_leads=label_leads))
        if progress is not None:
            progress(0.05 * (i + 1) / len(paths))
    used = [m for m in materials if m.n_beats > 0]
    if not used:
        hint = "" if ann_ext else " (review beats in the editor, or name a reference annotator with --ann-ext)"
        raise AnnotationError(f"no reviewed beats in {len(paths)} record(s){hint}")
    train, val, split_info = _split(used, val_fraction, seed, holdout)
    check_cancel(cancel, "fine-tuning")
    if distill > 0:
        from ecgstudio.ml.model import load_model_pair

        teacher, teacher_meta = load_model_pair(base)
        train = with_distillation(train, teacher, teacher_meta, weight=distill, leads_per_record=distill_leads,
                                  seed=seed)
        if progress is not None:
            progress(0.1)
    train_set = build_windows(train, window=window, hop=hop, jitter=hop // 2)
    val_set = build_windows(val, window=window, hop=hop)
    if batch_size is None:
        settings = replace(settings, batch_size=auto_batch_size(len(train_set)))
    if log is not None:
        log(f"{sum(m.n_beats for m in used)} reviewed beats in {len(used)} record(s); "
            f"{len(train_set)} training and {len(val_set)} held-out windows, batches of {settings.batch_size}")

    def fit_progress(fraction: float) -> None:
        if progress is not None:
            progress(0.1 + 0.85 * fraction)

    run = finetune_model(base, train_set, val_set, settings, progress=fit_progress, cancel=cancel, log=log,
                         score=lambda model: held_out_scores(val, model, base_meta))
    check_cancel(cancel, "fine-tuning")
    accepted, verdict, _, _ = gate(run.before, run.after)
    if log is not None:
        log(verdict)
    _check_out(base, out)
    meta = new_pair_metadata(run.base_metadata, base, used, train, val, split_info, settings, val_fraction,
                             ann_ext, run.before, run.after, run.history)
    meta["finetune"].update(wall_s=round(time.perf_counter() - started, 1), no_p=no_p, label_leads=label_leads,
                            distill=distill, distill_leads=distill_leads, blend=blend,
                            gate={"accepted": accepted, "verdict": verdict, "fiducials": list(GATE_FIDUCIALS),
                                  "se_points": GATE_SE_POINTS, "sd_ms": GATE_SD_MS})
    if command is not None:
        meta["command"] = command
    save_model_pair(run.model, out, meta)
    if progress is not None:
        progress(1.0)
    return FineTuneResult(
        stem=out, before=run.before, after=run.after, n_beats=sum(m.n_beats for m in used),
        records=tuple(m.name for m in used), train_records=tuple(m.name for m in train),
        validation_records=tuple(m.name for m in val), epochs_run=int(run.history.get("epochs_run", 0)),
        wall_s=time.perf_counter() - started, accepted=accepted, verdict=verdict,
    )

