"""The JSON of a fine-tuned model pair: its parent, the reviewed material, the split and the held-out scores.

:func:`new_pair_metadata` builds it from the base pair's JSON for
:func:`ecgstudio.app.finetune.finetune`, which adds the run's own details
(wall time, the gate's verdict, the command) before writing the pair.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ecgstudio import __version__
from ecgstudio.app.finetune_data import RecordMaterial
from ecgstudio.app.provenance import portable_path
from ecgstudio.ml.finetune import FineTuneSettings
from ecgstudio.paths import model_files


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def new_pair_metadata(base_meta: dict[str, Any], base: Path, used: list[RecordMaterial],
                      train: list[RecordMaterial], val: list[RecordMaterial], split_info: dict[str, Any],
                      settings: FineTuneSettings, val_fraction: float, ann_ext: str | None, before: dict[str, Any],
                      after: dict[str, Any], history: dict[str, Any]) -> dict[str, Any]:
    """The JSON of the new pair: the base's, with everything the fine-tuning changed or added.

    Parameters
    ----------
    base_meta : dict
        The base pair's JSON.
    base : Path
        Stem of the base pair (its ``.keras`` is hashed as the parent's identity).
    used, train, val : list[RecordMaterial]
        Records with reviewed beats; the training and held-out parts of them.
    split_info : dict
        How the held-out part was chosen (``{"kind": "records"}`` or ``{"kind": "time", "split_sample": ...}``).
    settings : FineTuneSettings
        The fine-tuning settings used.
    val_fraction : float
        Share held out.
    ann_ext : str | None
        Reference annotator named for records without review state.
    before, after : dict
        Held-out scores of the base and the fine-tuned model.
    history : dict
        Training history of the run.

    Returns
    -------
    dict
        A new dict (``base_meta`` is not changed): the inference window written out in full, ``parent_model``,
        ``training_data``, ``split``, ``metrics``, ``finetune``, ``seed``, ``history``, ``created`` and
        ``package_version``.
    """
    from ecgstudio.ml.infer import window_config

    names = {m.name for m in used}
    meta = dict(base_meta)
    window, hop, ramp = window_config(base_meta)  # what inference of the base read: written out in full
    meta.update(inference_window_samples=window, inference_hop_samples=hop,
                taper_samples=window // 4 if ramp is None else ramp)
    parent_split = base_meta.get("split") or {}
    meta.update(
        parent_model={
            "name": base.name, "path": portable_path(base), "created": base_meta.get("created"),
            "keras_sha256": file_sha256(model_files(base).keras), "split": parent_split,
        },
        training_data={
            "kind": "fine-tuning on reviewed spans of corrected annotations",
            "records": [portable_path(m.path) for m in used],
            "annotations": {m.name: {"ext": m.source.ext, "reviewed": m.source.kind, "beats": m.n_beats,
                                     **({"files": [ext for ext, _ in m.source.files]} if m.source.files else {})}
                            for m in used if m.source is not None},
            "n_beats": sum(m.n_beats for m in used),
            "ann_ext": ann_ext,
        },
        split={
            "train": sorted({m.name for m in train}),
            "validation": sorted({m.name for m in val}),
            "test": [r for r in parent_split.get("test", []) if r not in names],
            "held_out": split_info,
            "val_fraction": val_fraction,
        },
        metrics={"validation": {"loss": after["loss"], "accuracy": after["accuracy"]},
                 "held_out_before": before, "held_out_after": after},
        finetune={"epochs": settings.epochs, "lr": settings.lr, "patience": settings.patience,
                  "freeze_layers": settings.freeze, "batch_size": settings.batch_size,
                  "steps_per_epoch": settings.steps_per_epoch},
        seed=settings.seed,
        history=history,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        package_version=__version__,
    )
    return meta
