"""Hostile model metadata in the app layer (issue 14): Choose model lists it as unusable with one line, evaluate
never reads a split letter by letter, the CLI fails in one line instead of a traceback or a silent empty result."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from ecgstudio.app import preannotate
from ecgstudio.app.evaluate import evaluate_model, split_test_records
from ecgstudio.app.models import list_models, read_model_info
from ecgstudio.cli import main
from ecgstudio.core.errors import ModelError
from ecgstudio.ml.model import base_metadata
from tests.helpers import write_model_pair

DATA = Path(__file__).resolve().parents[1] / "data"

pytestmark = pytest.mark.usefixtures("no_hang")


def _copy_record(dest: Path, name: str = "sel100x") -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    (dest / f"{name}.hea").write_text((DATA / "sel100x.hea").read_text().replace("sel100x", name))
    for ext in ("dat", "q1c", "pu"):
        shutil.copy(DATA / f"sel100x.{ext}", dest / f"{name}.{ext}")
    return dest / name


def test_choose_model_lists_hostile_pairs_as_unusable_in_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    write_model_pair(folder, "good", base_metadata())
    write_model_pair(folder, "bomb", raw="[" * 100_000 + "]" * 100_000)
    write_model_pair(folder, "deep", {"metrics": {"test": json.loads("[" * 70 + "]" * 70)}})
    write_model_pair(folder, "typed", {"metrics": [1, 2]})
    write_model_pair(folder, "tiny_window", {**base_metadata(), "window_samples": 1, "hop_samples": 1})
    write_model_pair(folder, "string_split", {**base_metadata(), "split": {"test": "sel100"}})
    write_model_pair(folder, "fifo")
    (folder / "fifo.json").unlink()
    os.mkfifo(folder / "fifo.json")
    by_name = {m.name: m for m in list_models([(folder, "user")])}
    assert by_name["good"].usable
    assert "fifo" not in by_name  # not a file: not offered (and never opened)
    expected = {"bomb": "nested", "deep": "nested", "typed": "'metrics' must be an object",
                "tiny_window": "bad window_samples 1", "string_split": "split 'test'"}
    for name, words in expected.items():
        info = by_name[name]
        assert not info.usable, name
        assert words in info.problem and "\n" not in info.problem, info.problem
        assert info.metrics_summary == info.problem and str(folder) not in info.problem


def test_read_model_info_never_raises(tmp_path: Path) -> None:
    (tmp_path / "dir.json").mkdir()
    info = read_model_info(tmp_path / "dir.json")
    assert not info.usable and "folder" in info.problem
    os.mkfifo(tmp_path / "fifo.json")
    info = read_model_info(tmp_path / "fifo.json")
    assert not info.usable and "FIFO" in info.problem


@pytest.mark.parametrize("split, expected", [
    (None, []), ({}, []), ({"test": None}, []), ({"test": []}, []), ({"test": ["a", "b"]}, ["a", "b"]),
])
def test_split_test_records(split: object, expected: list[str]) -> None:
    assert split_test_records({"split": split}) == expected
    assert split_test_records({}) == []


@pytest.mark.parametrize("split", ["sel100", ["sel100"], {"test": "sel100"}, {"test": [1]}, {"test": [""]}])
def test_a_split_of_the_wrong_shape_is_one_model_error(split: object) -> None:
    with pytest.raises(ModelError) as info:
        split_test_records({"split": split}, "m.json")
    assert "m.json" in str(info.value) and "\n" not in str(info.value)


def test_evaluate_with_a_null_split_scores_every_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        fake_inference: None) -> None:
    folder = tmp_path / "db"
    _copy_record(folder, "sel100x")
    _copy_record(folder, "other")
    meta = {**base_metadata(), "split": None}
    monkeypatch.setattr(preannotate, "load_model", lambda stem: (object(), meta))
    result = evaluate_model(tmp_path / "m", folder, peers=(), log=None)
    assert result["records"] == ["other", "sel100x"]


@pytest.mark.parametrize("command", ["evaluate", "annotate"])
@pytest.mark.parametrize("meta, words", [
    ({**base_metadata(), "split": {"test": "sel100x"}}, "split 'test' must be a list"),
    ({**base_metadata(), "split": "sel100x"}, "'split' must be an object"),
    ({**base_metadata(), "window_samples": 1, "hop_samples": 1}, "bad window_samples 1"),
    (None, "nested"),
])
def test_the_cli_fails_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str,
                                   meta: object, words: str) -> None:
    preannotate.clear_model_cache()
    folder = tmp_path / "db"
    record = _copy_record(folder)
    stem = write_model_pair(tmp_path / "models", "m", meta, raw="[" * 50_000 + "]" * 50_000 if meta is None else None)
    if command == "evaluate":
        args = ["evaluate", "--data", str(folder), "--model", str(stem), "--peers"]
    else:
        args = ["annotate", str(record), "--out-dir", str(tmp_path / "out"), "--model", str(stem)]
    code = main(args)
    assert code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ecgstudio: error:") and words in err[0], err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
