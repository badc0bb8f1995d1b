"""No forgetting: score the base and the fine-tuned model on the base model's own test records.

Fine-tuning on a new clinic's records must not cost what the model could do
before. ``ecgstudio finetune --guard DIR`` scores both models on the test
records that the base model's metadata lists (``split.test``; for the bundled
model: 20 QT Database records, ``--guard ../shared/data/qtdb``) with the
``evaluate`` protocol (global track against the database's reference), and
refuses the new model when the sensitivity of any gated boundary falls by
more than :data:`GUARD_SE_POINTS` points. Error SDs are reported beside it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecgstudio.app.evaluate import MODEL_COLUMN, evaluate_model, split_test_records
from ecgstudio.app.stored_metrics import with_test_metrics
from ecgstudio.atomic import write_text
from ecgstudio.core.errors import EcgStudioError
from ecgstudio.ml.model import read_metadata
from ecgstudio.paths import model_files

#: A rise of a boundary's error SD on the guard records above this (ms) is named in the verdict (not refused).
GUARD_SD_NOTE_MS = 1.0

#: Largest accepted fall of a boundary's sensitivity on the guard records, in points (issue 9: 1 point on QTDB).
GUARD_SE_POINTS = 1.0


@dataclass(frozen=True)
class GuardResult:
    """The base and the new model on the guard records.

    Attributes
    ----------
    passed : bool
        No gated boundary's sensitivity fell by more than :data:`GUARD_SE_POINTS`.
    verdict : str
        One plain line.
    lines : tuple[str, ...]
        Per boundary: sensitivity and error SD, base -> new.
    summary : dict
        JSON-ready: records, reference, per boundary before/after.
    new_result : dict
        The new model's whole ``evaluate`` result on those records: stored as its test metrics, the
        same records and reference as its base's (see :mod:`ecgstudio.app.stored_metrics`).
    """

    passed: bool
    verdict: str
    lines: tuple[str, ...]
    summary: dict[str, Any]
    new_result: dict[str, Any] = field(default_factory=dict)


def guard(
    base: str | Path,
    new: str | Path,
    data_dir: str | Path,
    fiducials: Sequence[str],
    *,
    ref_ext: str = "q1c",
    log: Callable[[str], None] | None = None,
) -> GuardResult:
    """Score ``base`` and ``new`` on the base's test records in ``data_dir`` (see the module docstring).

    Raises
    ------
    EcgStudioError
        One line when the base lists no test records or none can be scored.
    """
    records = split_test_records(read_metadata(model_files(base).json), base)
    if not records:
        raise EcgStudioError(f"--guard: the base model {Path(base).name} lists no test records to guard")
    before = evaluate_model(base, data_dir, records, ref_ext, (), log=None)["columns"][MODEL_COLUMN]
    if log is not None:
        log(f"guard: base model scored on {len(records)} test records of {data_dir}")
    new_result = evaluate_model(new, data_dir, records, ref_ext, (), log=None)
    after = new_result["columns"][MODEL_COLUMN]
    lines: list[str] = []
    worse: list[str] = []
    looser: list[str] = []
    for fid in fiducials:
        b, a = before[fid], after[fid]
        se_b, se_a = 100 * (b["sensitivity"] or 0.0), 100 * (a["sensitivity"] or 0.0)
        lines.append(f"guard {fid:<8} sensitivity {se_b:5.1f} -> {se_a:5.1f} %, error SD "
                     f"{_ms(b['sd_error_ms'])} -> {_ms(a['sd_error_ms'])} ms")
        if se_a < se_b - GUARD_SE_POINTS:
            worse.append(f"{fid} Se {se_b:.1f} -> {se_a:.1f} %")
        if b["sd_error_ms"] is not None and a["sd_error_ms"] is not None \
                and a["sd_error_ms"] > b["sd_error_ms"] + GUARD_SD_NOTE_MS:
            looser.append(f"{fid} {b['sd_error_ms']:.1f} -> {a['sd_error_ms']:.1f} ms")
    name = Path(data_dir).name
    verdict = (f"FORGETS on {len(records)} {name} test records: " + "; ".join(worse) if worse
               else f"no boundary lost more than {GUARD_SE_POINTS:g} point of sensitivity on {len(records)} "
                    f"{name} test records")
    if looser:
        verdict += " (but looser there: error SD " + "; ".join(looser) + ")"
    summary = {"data": name, "reference": ref_ext, "records": records, "se_points": GUARD_SE_POINTS,
               "passed": not worse, "before": {f: before[f] for f in fiducials},
               "after": {f: after[f] for f in fiducials}}
    return GuardResult(not worse, verdict, tuple(lines), summary, new_result)


def record_guard(new: str | Path, result: GuardResult) -> None:
    """Write the guard's figures into the new model's JSON (``finetune.guard``; its own scores as its
    ``metrics.test``, comparable with its base's), atomically."""
    path = model_files(new).json
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta.setdefault("finetune", {})["guard"] = result.summary
    if result.new_result:
        meta = with_test_metrics(meta, result.new_result, result.summary.get("data", ""))
    gate = meta["finetune"].get("gate")
    if isinstance(gate, dict) and not result.passed:
        gate["accepted"] = False
        gate["verdict"] = result.verdict
    write_text(path, json.dumps(meta, indent=1, allow_nan=False) + "\n")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
