"""``ecgstudio evaluate`` / evaluate_model: model and peers scored side by side on a tiny folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ecgstudio.app.evaluate import MODEL_COLUMN, evaluate_model, score_records
from ecgstudio.cli import main
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.metrics import Fiducial
from ecgstudio.core.record import Record
from ecgstudio.io.annotations import read_tracks
from ecgstudio.ml.model import base_metadata, build_model, save_model_pair

DATA = Path(__file__).resolve().parents[1] / "data"


def _copy_record(src: str, dest: Path, name: str, exts: tuple[str, ...] = ("q1c", "pu")) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    (dest / f"{name}.hea").write_text((DATA / f"{src}.hea").read_text().replace(src, name))
    for ext in ("dat", *exts):
        shutil.copy(DATA / f"{src}.{ext}", dest / f"{name}.{ext}")
    return dest / name


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Untrained pair whose metadata names one test record."""
    stem = tmp_path_factory.mktemp("models") / "tiny"
    meta = base_metadata()
    meta["split"] = {"train": [], "validation": [], "test": ["sel100x"]}
    save_model_pair(build_model(seed=0, units=4), stem, meta)
    return stem


def _reference_shifted(folder: Path, shift: int):
    """A fake model: the record's own q1c track moved by ``shift`` samples."""

    def annotate(record: Record) -> Delineation:
        ref = read_tracks(folder / record.name, "q1c", n_samples=record.n_samples, fs=record.fs)[0]
        return Delineation([w.shifted(shift) for w in ref], n_samples=ref.n_samples, fs=ref.fs, name="fake")

    return annotate


def test_scores_the_model_and_the_peers_on_the_same_records(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    _copy_record("sel100x", folder, "sel100x")
    _copy_record("sel100x", folder, "other")
    pooled, per_record, skipped = score_records(folder, ["sel100x", "other"], _reference_shifted(folder, 3),
                                                peers=("pu",), log=None)
    assert skipped == {}
    assert list(per_record) == ["sel100x", "other"]
    model = pooled[MODEL_COLUMN]
    for fiducial in Fiducial:
        item = model[fiducial]
        if item.n_reference:
            assert item.sensitivity == 1.0 and item.ppv == 1.0
            assert item.mean_error_ms == pytest.approx(12.0)  # 3 samples at 250 Hz
    assert model[Fiducial.R_PEAK].n_reference == 2 * per_record["sel100x"][MODEL_COLUMN][Fiducial.R_PEAK].n_reference
    peer = pooled["pu"][Fiducial.QRS_ON]  # ecgpuwave finds nearly every annotated QRS
    assert peer.sensitivity > 0.9


def test_records_without_reference_are_skipped_with_a_reason(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    _copy_record("sel100x", folder, "sel100x")
    _copy_record("sel100x", folder, "noref", exts=("pu",))
    pooled, per_record, skipped = score_records(folder, ["sel100x", "noref", "ghost"], None,
                                                peers=("pu",), log=None)
    assert list(per_record) == ["sel100x"]
    assert set(skipped) == {"noref", "ghost"}
    assert "q1c" in skipped["noref"]
    assert list(pooled) == ["pu", "peers best lead"]  # pu holds both leads: best lead of the two


def test_cli_uses_the_models_test_records_and_writes_json(
    tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "db"
    _copy_record("sel100x", folder, "sel100x")
    _copy_record("sel100x", folder, "not_in_test")
    out = tmp_path / "scores.json"
    code = main(["evaluate", "--data", str(folder), "--model", str(tiny_model), "--peers", "pu",
                 "--json", str(out)])
    assert code == 0
    captured = capsys.readouterr()
    assert "model" in captured.out and "pu" in captured.out and "R peak" in captured.out
    result = json.loads(out.read_text())  # strict JSON: NaN written as null
    assert result["records"] == ["sel100x"]
    assert set(result["columns"]) == {"model", "pu", "model best lead", "peers best lead"}
    assert set(result["qt"]) == set(result["columns"])
    assert 0.0 <= result["qt"]["model"]["within_20_ms"] <= 1.0
    assert result["columns"]["pu"]["QRS on"]["sensitivity"] > 0.9
    assert result["columns"]["model"]["QRS on"]["n_reference"] > 0


def test_store_keeps_the_figures_as_the_models_test_metrics_only_on_its_own_test_records(
    tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ecgstudio.app.models import read_model_info

    folder = tmp_path / "db"
    _copy_record("sel100x", folder, "sel100x")
    model = tmp_path / "m"
    for suffix in (".keras", ".json"):
        shutil.copy(f"{tiny_model}{suffix}", f"{model}{suffix}")
    before = json.loads(Path(f"{model}.json").read_text())
    assert "test" not in before.get("metrics", {})
    assert main(["evaluate", "--data", str(folder), "--model", str(model), "--peers", "--store"]) == 0
    after = json.loads(Path(f"{model}.json").read_text())
    test = after["metrics"]["test"]
    assert test["records"] == ["sel100x"] and test["scored"]["data"] == "db"
    assert test["model"] == "m"  # the model by name, not the path it was scored at
    assert {k: v for k, v in after.items() if k != "metrics"} == {k: v for k, v in before.items() if k != "metrics"}
    assert "R peak Se" in read_model_info(f"{model}.json").metrics_summary  # what the model chooser shows
    capsys.readouterr()
    for extra in (["--records", "sel100x"], ["--tolerance-ms", "50"]):
        assert main(["evaluate", "--data", str(folder), "--model", str(model), "--peers", "--store", *extra]) == 2
        assert "--store" in capsys.readouterr().err
    assert json.loads(Path(f"{model}.json").read_text())["metrics"]["test"] == test  # refused: unchanged


def test_evaluate_model_is_callable_from_training(tmp_path: Path, tiny_model: Path) -> None:
    folder = tmp_path / "db"
    _copy_record("sel100x", folder, "sel100x")
    result = evaluate_model(tiny_model, folder, ["sel100x"], ref_ext="q1c", peers=(), log=None)
    assert list(result["columns"]) == ["model", "model best lead"]
    result = evaluate_model(tiny_model, folder, ["sel100x"], peers=("pu",), model_leads=True, log=None)
    assert list(result["columns"]) == ["model", "model lead 0", "model lead 1", "pu", "model best lead",
                                       "peers best lead"]
    assert "table" in result and result["reference"] == "q1c"


def test_cli_fails_in_one_line_without_scorable_records(
    tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "db"
    _copy_record("sel100x", folder, "sel100x", exts=())
    code = main(["evaluate", "--data", str(folder), "--model", str(tiny_model), "--records", "sel100x"])
    assert code != 0
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("ecgstudio: error:") and "q1c" in last


def test_cli_scores_the_good_records_and_exits_1_when_one_cannot_be_read(
    tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "db"
    _copy_record("sel100x", folder, "sel100x")
    (folder / "broken.hea").write_text("not a header\n")
    (folder / "broken.q1c").write_bytes((DATA / "sel100x.q1c").read_bytes())
    out = tmp_path / "r.json"
    code = main(["evaluate", "--data", str(folder), "--model", str(tiny_model), "--peers", "pu",
                 "--records", "sel100x", "broken", "--json", str(out)])
    assert code == 1
    result = json.loads(out.read_text())
    assert result["records"] == ["sel100x"] and list(result["failed"]) == ["broken"]
    err = capsys.readouterr().err.splitlines()
    assert sum(line.startswith("broken: error:") for line in err) == 1


def test_ludb_per_lead_files_score_against_their_multi_lead_consensus(tmp_path: Path, tiny_model: Path) -> None:
    from ecgstudio.app.evaluate import _reference
    from ecgstudio.core.consensus import consensus_track
    from ecgstudio.io.annotations import read_tracks
    from ecgstudio.io.records import read_record

    folder = tmp_path / "ludb"
    folder.mkdir()
    for path in (DATA / "ludb").glob("1.*"):
        shutil.copy(path, folder / path.name)
    record = read_record(folder / "1")
    consensus = _reference(folder / "1", "leads", record)
    leads = [read_tracks(folder / "1", ext, n_samples=record.n_samples, fs=record.fs,
                         lead_names=record.lead_names)[0] for ext in ("i", "ii", "v1")]
    assert consensus is not None and consensus.lead is None
    qrs_on = min(w.onset for t in leads for w in t if w.kind.name == "QRS")
    assert min(w.onset for w in consensus if w.kind.name == "QRS") <= qrs_on  # the earliest onset of all leads
    assert len([w for w in consensus if w.kind.name == "QRS"]) == \
        len([w for w in consensus_track(leads) if w.kind.name == "QRS"])
    result = evaluate_model(tiny_model, folder, ["1"], ref_ext="leads", peers=(), log=None)
    assert result["records"] == ["1"] and result["columns"]["model"]["QRS on"]["n_reference"] > 0
