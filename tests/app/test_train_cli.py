"""``ecgstudio train`` end to end on a tiny synthetic database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ecgstudio import cli
from ecgstudio.app import evaluate
from ecgstudio.ml.infer import predict_proba, window_config
from ecgstudio.ml.model import check_metadata, load_model_pair
from tests.app.test_dataset import write_record

TINY = ["--window", "400", "--epochs", "2", "--steps-per-epoch", "2", "--batch-size", "8",
        "--pretrain", "pu", "--pretrain-epochs", "1", "--pretrain-steps", "2", "--n-test", "2", "--n-val", "1",
        "--no-determinism"]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    folder = tmp_path / "db"
    folder.mkdir()
    for i in range(5):
        write_record(folder, f"rec{i}", q1c_beats=list(range(8, 20)))
    write_record(folder, "nop", q1c_beats=list(range(8, 20)), with_p=False)
    return folder


class _Reads(dict):
    """A dict that remembers every key looked up."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)


def _assert_has_every_key_inference_reads(model: Any, meta: dict[str, Any]) -> None:
    """Loading checks and one inference over a 20 s signal read only keys the JSON holds."""
    reads = _Reads(meta)
    check_metadata(reads, "tiny.json")
    predict_proba(model, reads, np.zeros((5000, 1), dtype=np.float32), 250.0)
    assert {"inference_window_samples", "inference_hop_samples", "taper_samples"} <= reads.read
    assert reads.read <= set(meta), reads.read - set(meta)
    assert window_config(meta) == (800, 700, 100)  # inference_settings(400), not the training window


@pytest.mark.slow
def test_train_writes_a_loadable_model_with_its_split_and_test_metrics(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = []

    def fake_evaluate(model_stem, data_dir, records, ref_ext="q1c"):
        calls.append((Path(model_stem), Path(data_dir), list(records), ref_ext))
        return {"qrs_on": {"se": 1.0}}

    monkeypatch.setattr(evaluate, "evaluate_model", fake_evaluate, raising=False)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "models" / "tiny"
    assert cli.main(["train", "--data", str(db), "--out", str(out), "--seed", "3", *TINY]) == 0
    model, meta = load_model_pair(out)
    split = meta["split"]
    assert len(split["test"]) == 2 and len(split["validation"]) == 1
    assert not set(split["test"]) & set(split["train"])
    assert not set(split["validation"]) & set(split["train"])
    assert "nop" in split["train"]  # incomplete labels never decide the test figures
    assert meta["seed"] == 3 and meta["window_samples"] == 400 and meta["hop_samples"] == 200
    assert meta["history"]["pretrain"]["epochs_run"] == 1
    assert 1 <= meta["history"]["train"]["epochs_run"] <= 2
    assert "--pretrain pu" in meta["command"]
    assert "--data db --out models/tiny" in meta["command"]  # relative to where it ran
    _assert_has_every_key_inference_reads(model, meta)
    assert calls == [(out, db, split["test"], "q1c")]
    assert meta["metrics"]["test"] == {"qrs_on": {"se": 1.0}}
    assert "saved" in capsys.readouterr().out


def test_missing_data_folder_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["train", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "m")])
    err = capsys.readouterr().err.strip()
    assert code != 0 and err.startswith("ecgstudio: error:") and "\n" not in err
    assert not (tmp_path / "m.keras").exists()


def test_folder_without_annotations_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["train", "--data", str(tmp_path), "--out", str(tmp_path / "m")])
    err = capsys.readouterr().err.strip()
    assert code != 0 and "q1c" in err and "\n" not in err


def test_existing_model_is_not_overwritten_without_overwrite(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "m.keras").write_bytes(b"precious")
    code = cli.main(["train", "--data", str(tmp_path), "--out", str(tmp_path / "m")])
    assert code != 0 and "--overwrite" in capsys.readouterr().err
    assert (tmp_path / "m.keras").read_bytes() == b"precious"
