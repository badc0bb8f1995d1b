"""A model's test metrics in its JSON (``metrics.test``), as the model chooser shows them.

``ecgstudio train`` writes them once, with the decoder of that day; a later
change of the decoder (e.g. issue 10's T-wave placement) leaves them stale, and
a fine-tuned model had none. :func:`store_test_metrics` writes the output of
:func:`~ecgstudio.app.evaluate.evaluate_model` on the model's own recorded
test records (``ecgstudio evaluate --store``; ``finetune --guard`` for the new
model, on its base's test records), stamped with the date, the package version
and the data it was scored on, so that the chooser compares models on the same
records with the same code.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ecgstudio import __version__
from ecgstudio.atomic import write_text
from ecgstudio.core.errors import EcgStudioError
from ecgstudio.paths import model_files


def stamped(result: dict[str, Any], data_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """``result`` with a ``scored`` stamp: UTC date, package version, data folder name.

    The scored model is kept by name only (``"default"``, not the folder it was scored in): the JSON
    travels with the pair, and a path of the machine that scored it would mean nothing elsewhere.
    """
    out = {**result, "scored": {"date": datetime.now(UTC).isoformat(timespec="seconds"),
                                "package_version": __version__, "data": Path(os.fspath(data_dir)).name}}
    if isinstance(out.get("model"), str):
        out["model"] = Path(out["model"]).name
    return out


def with_test_metrics(meta: dict[str, Any], result: dict[str, Any],
                      data_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """``meta`` (a model's JSON) with ``metrics.test`` replaced by ``result``, stamped; other metrics kept."""
    metrics = meta.get("metrics")
    return {**meta, "metrics": {**(metrics if isinstance(metrics, dict) else {}), "test": stamped(result, data_dir)}}


def store_test_metrics(model_stem: str | os.PathLike[str], result: dict[str, Any],
                       data_dir: str | os.PathLike[str]) -> Path:
    """Replace ``metrics.test`` in the model's JSON by ``result`` (stamped), atomically.

    Raises
    ------
    EcgStudioError
        One line when the JSON cannot be read or written.
    """
    path = model_files(Path(os.fspath(model_stem))).json
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("not a JSON object")
        write_text(path, json.dumps(with_test_metrics(meta, result, data_dir), indent=1, allow_nan=False) + "\n")
    except (OSError, ValueError) as exc:
        raise EcgStudioError(f"cannot store test metrics in {path}: {getattr(exc, 'strerror', None) or exc}") from None
    return path


def store_evaluation(model: str | os.PathLike[str] | None, data_dir: str | os.PathLike[str],
                     result: dict[str, Any], *, records_given: bool, tolerance_ms: float) -> Path:
    """``ecgstudio evaluate --store``: keep ``result`` as the model's test metrics, if it is comparable.

    Only the protocol every model's test metrics share is stored: the model's own recorded test
    records (no ``--records``), the default tolerance, every record scored.

    Raises
    ------
    EcgStudioError
        One line saying why the figures are not stored.
    """
    from ecgstudio.app.preannotate import resolve_model_stem
    from ecgstudio.core.metrics import DEFAULT_TOLERANCE_S

    if records_given:
        raise EcgStudioError("--store keeps only the model's own test records' figures: drop --records")
    if abs(tolerance_ms - DEFAULT_TOLERANCE_S * 1000) > 1e-9:
        raise EcgStudioError(f"--store keeps only figures at the default tolerance ({DEFAULT_TOLERANCE_S * 1000:g} ms)")
    if result.get("failed") or not result.get("records"):
        raise EcgStudioError("--store: some test records could not be scored; nothing stored")
    return store_test_metrics(resolve_model_stem(model), result, data_dir)
