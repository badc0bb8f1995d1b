"""Fine-tuning on reviewed annotations: a new pair naming its parent, refusals, one-line errors, cancel."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from ecgstudio.app.finetune import count_reviewed_beats, finetune, suggest_out_stem
from ecgstudio.cli import main
from ecgstudio.core.errors import AnnotationError, SaveError
from ecgstudio.ml.cancel import Cancelled
from ecgstudio.ml.model import base_metadata, build_model, save_model_pair

DATA = Path(__file__).resolve().parents[1] / "data"


def _copy_record(src: str, dest: Path, name: str, exts: tuple[str, ...] = ("hea", "dat", "q1c")) -> Path:
    """Copy ``tests/data/<src>.*`` into ``dest`` as record ``name`` (header names the new .dat)."""
    dest.mkdir(parents=True, exist_ok=True)
    for ext in exts:
        if ext == "hea":
            text = (DATA / f"{src}.hea").read_text().replace(src, name)
            (dest / f"{name}.hea").write_text(text)
        else:
            shutil.copy(DATA / f"{src}.{ext}", dest / f"{name}.{ext}")
    return dest / name


def _hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def base_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny untrained model pair (4 units) whose metadata lists test records."""
    stem = tmp_path_factory.mktemp("models") / "base"
    meta = base_metadata(window_samples=1000, hop_samples=500)
    meta["split"] = {"train": ["sel101"], "validation": ["sel102"], "test": ["sel100x", "sel103"]}
    save_model_pair(build_model(seed=0, units=4), stem, meta)
    return stem


@pytest.fixture
def work(tmp_path: Path, base_model: Path) -> Path:
    """``tmp_path`` holding a copy of the base pair (tests may not touch the shared one)."""
    for suffix in (".keras", ".json"):
        shutil.copy(base_model.with_suffix(suffix), tmp_path / f"base{suffix}")
    return tmp_path


@pytest.mark.slow
def test_finetune_single_record_writes_new_pair_naming_parent_records_and_scores(work: Path) -> None:
    record = _copy_record("sel100x", work / "data", "sel100x")
    base = work / "base"
    before_hashes = {s: _hash(base.with_suffix(s)) for s in (".keras", ".json")}
    seen: list[float] = []

    result = finetune([record], base, work / "models" / "mine.v2", ann_ext="q1c", epochs=1, progress=seen.append)

    assert result.stem == work / "models" / "mine.v2"  # a dotted name keeps its dot in both files
    assert sorted(p.name for p in (work / "models").iterdir()) == ["mine.v2.json", "mine.v2.keras"]
    meta = json.loads((work / "models" / "mine.v2.json").read_text())
    assert meta["parent_model"]["name"] == "base"
    assert meta["parent_model"]["keras_sha256"] == before_hashes[".keras"]
    # written relative to the folder the command ran in when that is near (portable), else absolute
    assert [Path(os.path.abspath(p)) for p in meta["training_data"]["records"]] == [record]
    assert meta["training_data"]["annotations"]["sel100x"] == {"ext": "q1c", "reviewed": "extent",
                                                               "beats": result.n_beats}
    # one record: a time span is held out, so it is in both lists; the parent's test list loses it
    assert meta["split"]["train"] == meta["split"]["validation"] == ["sel100x"]
    assert meta["split"]["held_out"]["kind"] == "time"
    assert meta["split"]["test"] == ["sel103"]
    for key in ("held_out_before", "held_out_after"):
        scores = meta["metrics"][key]
        assert 0.0 <= scores["accuracy"] <= 1.0
        assert scores["waves"]["R peak"]["n_reference"] >= 1
    assert result.before["accuracy"] == meta["metrics"]["held_out_before"]["accuracy"]
    assert meta["metrics"]["validation"]["accuracy"] == result.after["accuracy"]  # what the model chooser shows
    assert result.records == ("sel100x",)
    assert result.n_beats == count_reviewed_beats(record, "q1c") == 30
    assert {s: _hash(base.with_suffix(s)) for s in (".keras", ".json")} == before_hashes
    assert seen and seen[-1] == 1.0 and all(b >= a for a, b in zip(seen, seen[1:], strict=False))


@pytest.mark.slow
def test_cli_with_several_records_holds_out_whole_records(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = [_copy_record("sel100x", work / "data", name) for name in ("reca", "recb", "recc")]

    code = main(["finetune", *map(str, records), "--base", str(work / "base"), "--out", str(work / "out"),
                 "--ann-ext", "q1c", "--epochs", "1", "--val-fraction", "0.3"])

    out = capsys.readouterr().out
    assert "wrote" in out
    meta = json.loads((work / "out.json").read_text())
    gate = meta["finetune"]["gate"]
    assert code == (0 if gate["accepted"] else 3)  # the gate's verdict is the exit code, said plainly
    assert ("NOT BETTER" in out) != gate["accepted"]
    split = meta["split"]
    assert split["held_out"] == {"kind": "records"}
    assert len(split["validation"]) == 1
    assert sorted(split["train"] + split["validation"]) == ["reca", "recb", "recc"]
    assert meta["training_data"]["n_beats"] == 90


@pytest.mark.slow
def test_time_holdout_keeps_every_record_in_training(work: Path) -> None:
    records = [_copy_record("sel100x", work / "data", name) for name in ("reca", "recb")]

    result = finetune(records, work / "base", work / "out", ann_ext="q1c", epochs=1, holdout="time")

    assert result.train_records == result.validation_records == ("reca", "recb")
    held = json.loads((work / "out.json").read_text())["split"]["held_out"]
    assert held["kind"] == "time" and set(held["split_sample"]) == {"reca", "recb"}


def test_refuses_to_overwrite_the_base_or_an_existing_model(work: Path) -> None:
    record = _copy_record("sel100x", work / "data", "sel100x")
    (work / "taken.json").write_text("{}")
    before = _hash(work / "base.keras")

    with pytest.raises(SaveError, match="base model"):
        finetune([record], work / "base", work / "base.keras", ann_ext="q1c")
    with pytest.raises(SaveError, match="existing model"):
        finetune([record], work / "base", work / "taken", ann_ext="q1c")

    assert _hash(work / "base.keras") == before
    assert (work / "taken.json").read_text() == "{}"
    assert not (work / "taken.keras").exists()


def test_cli_refusal_and_no_reviewed_beats_are_one_line_errors(work: Path, capsys: pytest.CaptureFixture[str]
                                                               ) -> None:
    record = _copy_record("sel100x", work / "data", "sel100x", exts=("hea", "dat"))

    code = main(["finetune", str(record), "--base", str(work / "base"), "--out", str(work / "base")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "refusing to overwrite" in err

    code = main(["finetune", str(record), "--base", str(work / "base"), "--out", str(work / "new"),
                 "--ann-ext", "q1c"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "no reviewed beats" in err
    assert not (work / "new.keras").exists() and not (work / "new.json").exists()


def test_no_reviewed_beats_raises_without_ann_ext(work: Path) -> None:
    record = _copy_record("sel100x", work / "data", "sel100x")  # q1c present, but no review state

    assert count_reviewed_beats(record) == 0
    with pytest.raises(AnnotationError, match="no reviewed beats in 1 record"):
        finetune([record], work / "base", work / "new")


@pytest.mark.parametrize("after_calls", [1, 8])
def test_cancel_stops_and_writes_nothing(work: Path, after_calls: int) -> None:
    record = _copy_record("sel100x", work / "data", "sel100x")
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) >= after_calls

    with pytest.raises(Cancelled):
        finetune([record], work / "base", work / "new", ann_ext="q1c", epochs=2, cancel=cancel)

    assert len(calls) == after_calls
    assert not (work / "new.keras").exists() and not (work / "new.json").exists()


def test_suggested_output_stem_is_free_and_named_after_the_base(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECGSTUDIO_HOME", str(tmp_path / "home"))

    first = suggest_out_stem(tmp_path / "base.keras")
    first.parent.mkdir(parents=True)
    first.with_suffix(".json").write_text("{}")
    second = suggest_out_stem(tmp_path / "base")

    assert first.parent == tmp_path / "home" / "models" and first.name.startswith("base-ft-")
    assert second != first and not second.with_suffix(".json").exists()


def test_gate_accepts_only_better_and_never_worse() -> None:
    from ecgstudio.app.finetune import gate

    def waves(**sd: float) -> dict:
        return {"waves": {fid: {"n_reference": 10, "sensitivity": 1.0, "sd_error_ms": sd.get(fid.replace(" ", "_"), 10.0)}
                          for fid in ("P on", "P off", "QRS on", "QRS off", "T off")}}

    ok, verdict, better, worse = gate(waves(), waves(T_off=8.0))
    assert ok and better == ["T off SD 10.0 -> 8.0 ms"] and not worse and verdict.startswith("better")
    ok, verdict, _, worse = gate(waves(), waves(T_off=8.0, P_on=11.0))
    assert not ok and worse == ["P on SD 10.0 -> 11.0 ms"] and verdict.startswith("NOT BETTER")
    ok, verdict, _, _ = gate(waves(), waves())
    assert not ok and "no boundary improved" in verdict
    dropped = waves(T_off=8.0)
    dropped["waves"]["P on"]["sensitivity"] = 0.99
    assert not gate(waves(), dropped)[0]
    assert not gate({}, {})[0]


@pytest.mark.slow
def test_cli_all_leads_of_12_lead_records_each_from_its_own_file(work: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    leads = ("i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6")
    records = [_copy_record("synth12", work / "data", name, ("hea", "dat", *leads)) for name in ("r1", "r2")]

    code = main(["finetune", *map(str, records), "--base", str(work / "base"), "--out", str(work / "out"),
                 "--ann-ext", "leads", "--epochs", "1", "--batch-size", "16", "--steps", "2", "--distill", "0"])

    assert code in (0, 3)
    meta = json.loads((work / "out.json").read_text())
    assert meta["training_data"]["ann_ext"] == "leads"
    for name in ("r1", "r2"):
        assert meta["training_data"]["annotations"][name]["files"] == list(leads)
    assert meta["finetune"]["batch_size"] == 16 and meta["finetune"]["steps_per_epoch"] == 2
    assert meta["history"]["epochs_run"] == 1
    assert "wrote" in capsys.readouterr().out
