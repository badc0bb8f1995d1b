"""list_models: model pairs described from their JSON metadata only."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ecgstudio.app.models import fiducial_table, list_models, read_model_info, score_rows, summarize_metrics
from tests.helpers import write_model_pair

TEST_METRICS = {
    "R peak": {"n_reference": 100, "n_test": 100, "n_matched": 99, "sensitivity": 0.99, "ppv": 0.995,
               "mean_error_ms": 1.0, "sd_error_ms": 8.0},
    "P on": {"sensitivity": 0.95, "ppv": 0.9, "mean_error_ms": 2.0, "sd_error_ms": 12.4},
    "T off": {"sensitivity": 0.97, "ppv": 0.96, "mean_error_ms": None, "sd_error_ms": 25.0},
}


def _pair(folder, name, *, keras=True, **meta):
    return write_model_pair(folder, name, meta, keras=b"not really a model" if keras else False)


@pytest.fixture
def folders(tmp_path):
    shipped, user = tmp_path / "models", tmp_path / "home" / "models"
    _pair(shipped, "zeta", created="2026-01-01T00:00:00+00:00", metrics={})
    _pair(shipped, "default", created="2026-11-01T00:00:00+00:00", metrics={"test": TEST_METRICS},
          parent_model=None)
    _pair(user, "default-ft-1", created="2026-11-20T10:00:00+00:00",
          parent_model={"name": "default", "path": "/x/models/default"},
          metrics={"validation": {"loss": 0.25, "accuracy": 0.93}})
    _pair(user, "default-ft-2", created="2026-11-21T10:00:00+00:00", parent_model="/x/models/default")
    _pair(user, "broken", keras=False, created="2026-11-22T10:00:00+00:00")
    (user / "garbage.json").write_text("{not json", encoding="utf-8")
    return [(shipped, "shipped"), (user, "user"), (tmp_path / "missing", "user")]


def test_lists_shipped_then_user_models(folders):
    models = list_models(folders)
    names = [m.name for m in models]
    assert names[:2] == ["default", "zeta"]
    user = [m for m in models if m.source == "user"]
    usable_user = [m.name for m in user if m.usable]
    assert usable_user == ["default-ft-2", "default-ft-1"]  # newest first


def test_model_info_fields(folders):
    by_name = {m.name: m for m in list_models(folders)}
    default = by_name["default"]
    assert default.stem.endswith("models/default") and default.path.suffix == ".keras"
    assert default.created.startswith("2026-11-01")
    assert default.parent is None
    assert default.metrics_summary.startswith("R peak Se 99.0 % PPV 99.5 %")
    assert "P on Se 95.0 % SD 12 ms" in default.metrics_summary
    assert by_name["default-ft-1"].parent == "default"
    assert by_name["default-ft-2"].parent == "default"
    assert by_name["default-ft-1"].metrics_summary == "validation loss 0.250, accuracy 93.0 % (no test metrics)"
    assert by_name["zeta"].metrics_summary == "no test metrics"


def test_incomplete_or_corrupt_pairs_are_flagged(folders):
    by_name = {m.name: m for m in list_models(folders)}
    assert not by_name["broken"].usable and "broken.keras is missing" in by_name["broken"].problem
    assert not by_name["garbage"].usable and "unreadable" in by_name["garbage"].problem


def test_default_folders_come_from_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("ECGSTUDIO_HOME", str(tmp_path))
    _pair(tmp_path / "models", "mine", created="2026-11-25T00:00:00+00:00")
    models = list_models()
    assert any(m.name == "mine" and m.source == "user" for m in models)


def test_listing_does_not_import_tensorflow(folders):
    # in a fresh interpreter: another test of this process may already have imported TensorFlow
    code = (
        "import sys; from pathlib import Path; from ecgstudio.app.models import list_models;"
        f"models = list_models([(Path(p), src) for p, src in {[(str(p), src) for p, src in folders]!r}]);"
        "assert models;"
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_fiducial_table_finds_nested_tables():
    assert fiducial_table({"pooled": TEST_METRICS})["T off"]["sd_error_ms"] == 25.0
    assert fiducial_table({"whatever": {"x": TEST_METRICS}})["P on"]["sensitivity"] == 0.95
    assert fiducial_table({"loss": 1.0}) == {}
    assert summarize_metrics(None) == "no test metrics"


def test_read_model_info_on_missing_file(tmp_path):
    info = read_model_info(tmp_path / "nothing.json")
    assert not info.usable


def test_evaluate_output_uses_the_model_column(tmp_path):
    evaluated = {"model": "/m/default", "reference": "q1c", "skipped": {},
                 "columns": {"pu0": {"R peak": {"sensitivity": 0.5, "ppv": 0.5}}, "model": TEST_METRICS},
                 "per_record": {}, "table": "text"}
    _pair(tmp_path, "evaluated", metrics={"test": evaluated})
    (info,) = list_models([(tmp_path, "shipped")])
    assert info.metrics_summary.startswith("R peak Se 99.0 %")


def test_score_rows_union_of_keys_and_direction():
    rows = score_rows({"loss": 1.0}, {"loss": 0.5, "accuracy": float("nan")})
    assert [(r.label, r.before, r.after, r.change) for r in rows] == [
        ("Loss (nats per sample)", "1.0000", "0.5000", 1), ("Accuracy (samples)", "–", "–", 0)]


def test_score_rows_flatten_per_fiducial_scores():
    before = {"waves": {"T off": {"n_reference": 9, "sensitivity": 0.8, "ppv": None, "sd_error_ms": 30.0}}}
    after = {"waves": {"T off": {"n_reference": 9, "sensitivity": 0.7, "ppv": 1.0, "sd_error_ms": 25.04}}}
    rows = score_rows(before, after)
    assert [(r.label, r.before, r.after, r.change) for r in rows] == [
        ("T off Se", "80.0 %", "70.0 %", -1), ("T off PPV", "–", "100.0 %", 0),
        ("T off error SD (ms)", "30.0", "25.0", 1)]
