"""finetune --guard: the new model is refused when it forgets the base's own test records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import ecgstudio.app.finetune_guard as guard_module
from ecgstudio.app.finetune import GATE_FIDUCIALS
from ecgstudio.app.finetune_guard import GUARD_SE_POINTS, guard, record_guard
from ecgstudio.core.errors import EcgStudioError


def _pair(folder: Path, name: str, meta: dict[str, Any]) -> Path:
    (folder / f"{name}.keras").write_bytes(b"not read here")
    (folder / f"{name}.json").write_text(json.dumps(meta))
    return folder / name


def _columns(se: float, sd: float) -> dict[str, Any]:
    row = {"n_reference": 100, "sensitivity": se, "sd_error_ms": sd}
    return {"columns": {"model": {f: dict(row) for f in GATE_FIDUCIALS}}}


@pytest.fixture
def pairs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, list[tuple[str, list[str]]]]:
    base = _pair(tmp_path, "base", {"split": {"test": ["rec1", "rec2"]}, "finetune": {}})
    new = _pair(tmp_path, "new", {"finetune": {"gate": {"accepted": True, "verdict": "better"}}})
    calls: list[tuple[str, list[str]]] = []
    scores = {"base": _columns(0.99, 20.0), "new": _columns(0.99, 19.0)}

    def fake_evaluate(model: Path, data: Path, records: list[str], *args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append((Path(model).name, list(records)))
        return scores[Path(model).name]

    monkeypatch.setattr(guard_module, "evaluate_model", fake_evaluate)
    monkeypatch.setattr(guard_module, "read_metadata", lambda path: json.loads(Path(path).read_text()))
    return base, new, calls


def test_the_guard_scores_both_models_on_the_bases_test_records(pairs, tmp_path: Path) -> None:
    base, new, calls = pairs
    result = guard(base, new, tmp_path, GATE_FIDUCIALS)
    assert calls == [("base", ["rec1", "rec2"]), ("new", ["rec1", "rec2"])]
    assert result.passed and "no boundary lost" in result.verdict and "looser" not in result.verdict
    assert any("T off" in line and "20.0 -> 19.0" in line for line in result.lines)


def test_a_sensitivity_loss_beyond_the_margin_refuses_the_model_and_is_recorded(
        pairs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base, new, _ = pairs
    lost = _columns(0.99, 19.0)
    lost["columns"]["model"]["P on"]["sensitivity"] = 0.99 - (GUARD_SE_POINTS + 0.5) / 100
    lost["columns"]["model"]["T off"]["sd_error_ms"] = 25.0
    fake = guard_module.evaluate_model

    def evaluate(model: Path, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return lost if Path(model).name == "new" else fake(model, *args, **kwargs)

    monkeypatch.setattr(guard_module, "evaluate_model", evaluate)
    result = guard(base, new, tmp_path, GATE_FIDUCIALS)
    assert not result.passed and result.verdict.startswith("FORGETS") and "P on" in result.verdict
    assert "looser there: error SD T off 20.0 -> 25.0 ms" in result.verdict
    record_guard(new, result)
    meta = json.loads(Path(f"{new}.json").read_text())
    assert meta["finetune"]["guard"]["passed"] is False
    assert meta["finetune"]["gate"]["accepted"] is False  # the dialog and chooser read this
    # the chooser compares the new model with its base on the same test records and code
    assert meta["metrics"]["test"]["columns"] == lost["columns"]
    assert meta["metrics"]["test"]["scored"]["data"] == tmp_path.name


def test_a_base_without_test_records_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = _pair(tmp_path, "plain", {})
    monkeypatch.setattr(guard_module, "read_metadata", lambda path: json.loads(Path(path).read_text()))
    with pytest.raises(EcgStudioError, match="lists no test records"):
        guard(base, base, tmp_path, GATE_FIDUCIALS)
