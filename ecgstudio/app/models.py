"""The model pairs a user can choose from, read from their ``.json`` metadata only (no TensorFlow).

Shipped models live in :func:`ecgstudio.paths.models_dir`, fine-tuned ones in
:func:`ecgstudio.paths.user_models_dir`. A model is the pair
``<name>.keras`` + ``<name>.json``; its test metrics are those written by
``ecgstudio train``/``evaluate`` under ``metadata["metrics"]["test"]`` (the output of
:func:`ecgstudio.app.evaluate.evaluate_model`: ``{"columns": {"model": {fiducial
label: {"sensitivity", "ppv", "mean_error_ms", "sd_error_ms", ...}}, "pu0": ...},
"table": text, ...}``).

Each ``.json`` is read with :func:`ecgstudio.ml.model.read_metadata` (``complete=False``): a regular file of at most
8 MiB, nested at most 64 levels, whose fields have the types the metadata schema gives; a file that is not is listed
as unusable with a one-line ``problem``, never raised.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecgstudio.core.errors import EcgStudioError
from ecgstudio.paths import DEFAULT_MODEL_NAME, model_files, model_stem, models_dir, user_models_dir

#: Fiducials shown in the one-line metrics summary, in order.
SUMMARY_FIDUCIALS: tuple[str, ...] = ("R peak", "QRS on", "P on", "T off")


@dataclass(frozen=True)
class ModelInfo:
    """What the metadata of one model pair says.

    Attributes
    ----------
    name : str
        File stem (``"default"``).
    stem : str
        Path without extension, as the model loaders take it.
    path : Path
        The ``.keras`` file.
    created : str | None
        ISO 8601 creation time.
    parent : str | None
        Name of the model it was fine-tuned from, ``None`` for a trained one.
    metrics_summary : str
        One line of test metrics (``"R peak Se 99.2 % PPV 99.5 % · ..."``), or
        the validation scores, or ``"no test metrics"``.
    metrics : dict
        The raw ``metadata["metrics"]`` mapping.
    source : str
        ``"shipped"`` or ``"user"``.
    problem : str | None
        Why the pair cannot be used (missing ``.keras``, unreadable JSON), else ``None``.
    finetune_verdict : str | None
        A fine-tuned pair's acceptance verdict on its held-out records
        (``finetune.gate.verdict``), else ``None``.
    """

    name: str
    stem: str
    path: Path
    created: str | None
    parent: str | None
    metrics_summary: str
    metrics: dict[str, Any] = field(default_factory=dict, compare=False)
    source: str = "shipped"
    problem: str | None = None
    finetune_verdict: str | None = None

    @property
    def usable(self) -> bool:
        """Whether the pair is complete and its metadata readable."""
        return self.problem is None


def _number(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def fiducial_table(metrics: Any) -> dict[str, dict[str, float]]:
    """Find the ``{fiducial: {"sensitivity": ..., ...}}`` table inside a metrics mapping.

    Parameters
    ----------
    metrics : Any
        ``metadata["metrics"]["test"]``: the output of ``ecgstudio evaluate``
        (the ``"model"`` column of ``"columns"`` is used), a bare table, or a
        mapping holding one further down (``{"pooled": {...}}``).

    Returns
    -------
    dict
        Fiducial label -> scores (floats, NaN where missing); empty if none.
    """
    if not isinstance(metrics, Mapping):
        return {}
    rows = {k: v for k, v in metrics.items() if isinstance(v, Mapping) and "sensitivity" in v}
    if rows:
        return {str(k): {str(m): _number(x) for m, x in v.items()} for k, v in rows.items()}
    columns = metrics.get("columns")  # ecgstudio evaluate: {"model": {...}, "pu0": {...}, ...}
    if isinstance(columns, Mapping) and isinstance(columns.get("model"), Mapping):
        found = fiducial_table(columns["model"])
        if found:
            return found
    for key in ("pooled", "all", "overall", "test"):
        if key in metrics:
            found = fiducial_table(metrics[key])
            if found:
                return found
    for value in metrics.values():
        if isinstance(value, Mapping):
            found = fiducial_table(value)
            if found:
                return found
    return {}


def _pct(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{100 * value:.1f} %"


def summarize_metrics(metrics: Mapping[str, Any] | None) -> str:
    """One line describing a model's ``metadata["metrics"]``.

    Test metrics give ``"R peak Se 99.2 % PPV 99.5 % · P on Se 95.0 % SD 12 ms · ..."``;
    without them the validation loss/accuracy; else ``"no test metrics"``.
    """
    metrics = metrics or {}
    table = fiducial_table(metrics.get("test"))
    if table:
        parts = []
        for fid in SUMMARY_FIDUCIALS:
            row = table.get(fid)
            if row is None:
                continue
            text = f"{fid} Se {_pct(row.get('sensitivity', math.nan))}"
            if fid == "R peak":
                text += f" PPV {_pct(row.get('ppv', math.nan))}"
            sd = row.get("sd_error_ms", math.nan)
            if fid != "R peak" and math.isfinite(sd):
                text += f" SD {sd:.0f} ms"
            parts.append(text)
        if parts:
            return " · ".join(parts)
    val = metrics.get("validation")
    if isinstance(val, Mapping):
        loss, acc = _number(val.get("loss")), _number(val.get("accuracy"))
        bits = []
        if math.isfinite(loss):
            bits.append(f"loss {loss:.3f}")
        if math.isfinite(acc):
            bits.append(f"accuracy {_pct(acc)}")
        if bits:
            return "validation " + ", ".join(bits) + " (no test metrics)"
    return "no test metrics"


def _parent_name(parent: Any) -> str | None:
    if parent is None or parent == "":
        return None
    if isinstance(parent, Mapping):
        name = parent.get("name") or parent.get("path")
        return None if name is None else Path(str(name)).name
    return Path(str(parent)).name


def read_model_info(json_path: str | os.PathLike[str], source: str = "shipped") -> ModelInfo:
    """Describe the pair whose metadata is ``json_path`` (never raises for bad files).

    Parameters
    ----------
    json_path : path
        ``<name>.json`` beside ``<name>.keras``.
    source : str
        ``"shipped"`` or ``"user"``.
    """
    from ecgstudio.ml.model import read_metadata  # no TensorFlow: reads and checks the JSON only

    path = Path(os.fspath(json_path))
    keras_path, path = model_files(path)
    stem = model_stem(path)
    problem: str | None = None
    meta: dict[str, Any] = {}
    try:
        meta = read_metadata(path, complete=False)
    except EcgStudioError as exc:
        problem = f"unreadable metadata: {_reason(exc, path)}"
    except Exception as exc:  # listing must never fail on a bad file
        problem = f"unreadable metadata ({type(exc).__name__})"
    if problem is None and not keras_path.is_file():
        problem = f"{keras_path.name} is missing"
    metrics: dict[str, Any] = meta["metrics"] if isinstance(meta.get("metrics"), dict) else {}
    created = meta.get("created")
    return ModelInfo(
        name=stem.name,
        stem=str(stem),
        path=keras_path,
        created=None if created is None else str(created),
        parent=_parent_name(meta.get("parent_model")),
        metrics_summary=summarize_metrics(metrics) if problem is None else problem,
        metrics=metrics,
        source=source,
        problem=problem,
        finetune_verdict=_verdict(meta.get("finetune")),
    )


def _verdict(finetune: Any) -> str | None:
    """``finetune.gate.verdict`` of a fine-tuned pair's metadata, if it is a string."""
    gate = finetune.get("gate") if isinstance(finetune, dict) else None
    verdict = gate.get("verdict") if isinstance(gate, dict) else None
    return verdict if isinstance(verdict, str) and verdict.strip() else None


def _reason(exc: Exception, path: Path) -> str:
    """The one-line message of ``exc`` without the file path (the model's name is shown beside it)."""
    text = " ".join(str(exc).split())
    for prefix in (f"{path}: ", f"corrupt model metadata {path}: ", f"incompatible model metadata {path}: "):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text.replace(str(path), path.name)


def _is_model_json(path: Path) -> bool:
    """A ``.json`` that belongs to a model pair (has a ``.keras`` sibling or is not another sidecar)."""
    if model_files(path).keras.is_file():
        return True
    return ".review" not in path.name and not path.name.startswith(".")


def list_models(folders: Sequence[tuple[str | os.PathLike[str], str]] | None = None) -> list[ModelInfo]:
    """The model pairs of the shipped and the user models folders.

    Parameters
    ----------
    folders : sequence of (folder, source) | None
        Folders to scan with their source label; default
        ``[(models_dir(), "shipped"), (user_models_dir(), "user")]``.

    Returns
    -------
    list[ModelInfo]
        Shipped models first (``default`` first, then by name), then user
        models, newest first. Folders that do not exist are skipped.
    """
    if folders is None:
        folders = [(models_dir(), "shipped"), (user_models_dir(), "user")]
    out: list[ModelInfo] = []
    for folder, source in folders:
        root = Path(os.fspath(folder))
        try:
            candidates = sorted(p for p in root.iterdir() if p.suffix == ".json" and p.is_file())
        except OSError:
            continue
        infos = [read_model_info(p, source) for p in candidates if _is_model_json(p)]
        if source == "shipped":
            infos.sort(key=lambda m: (m.name != DEFAULT_MODEL_NAME, m.name))
        else:
            infos.sort(key=lambda m: (m.created or "", m.name), reverse=True)
        out.extend(infos)
    return out


#: Display names of the top-level held-out scores of :func:`ecgstudio.app.finetune.finetune`.
METRIC_LABELS: dict[str, str] = {
    "loss": "Loss (nats per sample)",
    "accuracy": "Accuracy (samples)",
    "samples": "Held-out samples",
}

#: Per-fiducial scores shown from ``scores["waves"][fiducial]``, with their labels.
WAVE_SCORES: tuple[tuple[str, str], ...] = (("sensitivity", "Se"), ("ppv", "PPV"), ("sd_error_ms", "error SD (ms)"))

_HIGHER_IS_BETTER = frozenset({"accuracy", "sensitivity", "ppv"})
_LOWER_IS_BETTER = frozenset({"loss", "sd_error_ms"})


@dataclass(frozen=True)
class ScoreRow:
    """One row of the before/after table: label, both values as text, and +1/-1/0 for better/worse/same."""

    label: str
    before: str
    after: str
    change: int = 0


def _format_score(key: str, value: Any) -> str:
    v = _number(value)
    if not math.isfinite(v):
        return "–" if value is None or isinstance(value, (int, float)) else str(value)
    if key in _HIGHER_IS_BETTER:
        return f"{100 * v:.1f} %"
    if key == "sd_error_ms":
        return f"{v:.1f}"
    if v.is_integer() and abs(v) >= 10:
        return f"{int(v)}"
    return f"{v:.4f}"


def _flatten(scores: Mapping[str, Any]) -> dict[tuple[str, str], Any]:
    """``{(fiducial or "", score key): value}``; ``scores["waves"]`` gives one entry per fiducial score."""
    out: dict[tuple[str, str], Any] = {}
    for key, value in scores.items():
        if key == "waves" and isinstance(value, Mapping):
            for fid, row in value.items():
                if isinstance(row, Mapping):
                    for name, _label in WAVE_SCORES:
                        out[(str(fid), name)] = row.get(name)
        elif not isinstance(value, Mapping):
            out[("", str(key))] = value
    return out


def score_rows(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[ScoreRow]:
    """Rows of a before/after table over the union of two score dicts (``before``'s order first).

    Parameters
    ----------
    before, after : Mapping
        Held-out scores as :class:`ecgstudio.app.finetune.FineTuneResult` gives
        them: ``loss``, ``accuracy``, ``samples`` and ``waves`` ({fiducial:
        {"sensitivity", "ppv", "sd_error_ms", ...}}); other scalar keys are
        shown under their own name.

    Returns
    -------
    list[ScoreRow]
        Top-level scores, then Se/PPV/error SD per fiducial.
    """
    b, a = _flatten(before or {}), _flatten(after or {})
    labels = dict(WAVE_SCORES)
    rows = []
    for key in list(b) + [k for k in a if k not in b]:
        fid, name = key
        label = f"{fid} {labels.get(name, name)}" if fid else METRIC_LABELS.get(name, name)
        vb, va = _number(b.get(key)), _number(a.get(key))
        change = 0
        if math.isfinite(vb) and math.isfinite(va) and va != vb:
            if name in _HIGHER_IS_BETTER:
                change = 1 if va > vb else -1
            elif name in _LOWER_IS_BETTER:
                change = 1 if va < vb else -1
        rows.append(ScoreRow(label, _format_score(name, b.get(key)), _format_score(name, a.get(key)), change))
    return rows
