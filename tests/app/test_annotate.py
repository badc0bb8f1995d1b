"""``ecgstudio annotate``: files written per record, folders, bad records, per-lead, workers."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecgstudio.app.preannotate import preannotate
from ecgstudio.cli import main
from ecgstudio.io.annotations import read_tracks
from ecgstudio.io.records import read_record
from tests.helpers import copy_record

DATA = Path(__file__).resolve().parents[1] / "data"


_copy_record = copy_record


def _wave_tuples(track) -> list[tuple]:
    return [(w.kind, w.onset, w.peak, w.offset) for w in track]


def test_annotates_one_record_and_writes_what_preannotate_gives(
    tmp_path: Path, tiny_model: Path, fake_inference: None, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = _copy_record("sel100x", tmp_path / "in")
    out = tmp_path / "out" / "new"  # created on demand
    code = main(["annotate", str(rec) + ".hea", "--out-dir", str(out), "--model", str(tiny_model)])
    assert code == 0
    written = out / "sel100x.ecgs"
    assert written.is_file()
    record = read_record(rec)
    back = read_tracks(out / "sel100x", "ecgs", n_samples=record.n_samples, fs=record.fs)
    assert len(back) == 1 and back[0].lead is None
    expected = _wave_tuples(preannotate(record, tiny_model)[0])
    assert len(expected) > 50
    assert _wave_tuples(back[0]) == expected
    assert "sel100x" in capsys.readouterr().err
    assert not list((tmp_path / "in").glob("*.ecgs"))  # nothing written beside the input


def test_folder_input_annotates_every_record(tmp_path: Path, tiny_model: Path) -> None:
    _copy_record("sel100x", tmp_path / "in")
    _copy_record("synth12", tmp_path / "in")
    code = main(["annotate", str(tmp_path / "in"), "--out-dir", str(tmp_path / "out"),
                 "--ext", "auto", "--model", str(tiny_model)])
    assert code == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.endswith(".review.json"))
    assert written == ["sel100x.auto", "synth12.auto"]


def test_bad_records_are_reported_on_one_line_each_and_the_run_goes_on(
    tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    _copy_record("sel100x", folder)
    (folder / "broken.hea").write_text("this is not a header\n")
    missing = tmp_path / "nowhere" / "rec"
    code = main(["annotate", str(folder), str(missing), "--out-dir", str(tmp_path / "out"),
                 "--model", str(tiny_model)])
    assert code == 1
    assert (tmp_path / "out" / "sel100x.ecgs").is_file()
    err = capsys.readouterr().err.splitlines()
    assert len([line for line in err if "broken" in line]) == 1
    assert len([line for line in err if "nowhere" in line]) == 1
    assert not any("Traceback" in line for line in err)


def test_per_lead_writes_one_channel_per_lead(tmp_path: Path, tiny_model: Path, fake_inference: None) -> None:
    rec = _copy_record("sel100x", tmp_path / "in")
    assert main(["annotate", str(rec), "--out-dir", str(tmp_path), "--per-lead",
                 "--model", str(tiny_model)]) == 0
    record = read_record(rec)
    back = read_tracks(tmp_path / "sel100x", "ecgs", n_samples=record.n_samples, fs=record.fs)
    expected = preannotate(record, tiny_model, per_lead=True)
    assert [t.lead for t in back] == [0, 1]
    for lead in (0, 1):
        assert len(expected[lead]) > 50
        assert _wave_tuples(back[lead]) == _wave_tuples(expected[lead])


def test_missing_model_fails_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rec = _copy_record("sel100x", tmp_path / "in")
    code = main(["annotate", str(rec), "--out-dir", str(tmp_path / "out"), "--model", str(tmp_path / "no")])
    assert code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ecgstudio: error:")


@pytest.mark.slow
def test_worker_processes_give_the_same_files(tmp_path: Path, tiny_model: Path) -> None:
    _copy_record("sel100x", tmp_path / "in")
    _copy_record("sel100x", tmp_path / "in", "copy2")
    assert main(["annotate", str(tmp_path / "in"), "--out-dir", str(tmp_path / "one"),
                 "--model", str(tiny_model)]) == 0
    assert main(["annotate", str(tmp_path / "in"), "--out-dir", str(tmp_path / "two"), "--jobs", "2",
                 "--model", str(tiny_model)]) == 0
    for name in ("sel100x.ecgs", "copy2.ecgs"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


@pytest.mark.slow
def test_shipped_model_finds_the_annotated_beats_of_the_excerpt(tmp_path: Path) -> None:
    """End to end with ``models/default``: the written QRS complexes match the manual q1c ones."""
    from ecgstudio.core.metrics import Fiducial, score_tracks
    from ecgstudio.paths import default_model_path, model_files

    if not model_files(default_model_path()).keras.is_file():
        pytest.skip("no shipped model in this checkout")
    rec = _copy_record("sel100x", tmp_path / "in")
    assert main(["annotate", str(rec), "--out-dir", str(tmp_path / "out")]) == 0
    record = read_record(rec)
    written = read_tracks(tmp_path / "out" / "sel100x", "ecgs", n_samples=record.n_samples, fs=record.fs)[0]
    reference = read_tracks(DATA / "sel100x", "q1c", n_samples=record.n_samples, fs=record.fs)[0]
    score = score_tracks(reference, written)
    for fiducial in (Fiducial.QRS_ON, Fiducial.R_PEAK, Fiducial.QRS_OFF):
        assert score[fiducial].n_reference > 0
        assert score[fiducial].sensitivity >= 0.9 and score[fiducial].ppv >= 0.9
        assert abs(score[fiducial].mean_error_ms) < 30


def test_two_records_with_the_same_name_do_not_overwrite_each_other(
    tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _copy_record("sel100x", tmp_path / "a")
    second = _copy_record("sel100x", tmp_path / "b")
    code = main(["annotate", str(first), str(second), "--out-dir", str(tmp_path / "out"),
                 "--model", str(tiny_model)])
    assert code == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["sel100x.ecgs", "sel100x.ecgs.review.json"]
    err = capsys.readouterr().err
    assert "same record name" in err and str(second) in err
