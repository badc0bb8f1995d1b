"""``ecgstudio annotate`` at archive scale: --table, manifests, resumable runs, progress."""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import pytest

from ecgstudio.app.archive import Progress, read_manifest
from ecgstudio.app.beat_table import KEY_COLUMNS, header, pyarrow_available
from ecgstudio.cli import main
from ecgstudio.core.waves import WaveKind
from ecgstudio.io.annotations import read_tracks
from ecgstudio.io.records import read_record
from tests.helpers import copy_record

DATA = Path(__file__).resolve().parents[1] / "data"


_copy_record = copy_record


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _qrs_count(out: Path, rec: Path) -> dict[str, int]:
    record = read_record(rec)
    tracks = read_tracks(out / rec.name, "ecgs", n_samples=record.n_samples, fs=record.fs,
                         lead_names=record.lead_names)
    return {("global" if t.lead is None else record.lead_names[t.lead]):
            sum(w.kind is WaveKind.QRS for w in t) for t in tracks}


@pytest.mark.parametrize("per_lead", [False, True])
def test_table_has_one_row_per_beat_of_the_written_files(
    tmp_path: Path, tiny_model: Path, fake_inference: None, per_lead: bool
) -> None:
    a = _copy_record("sel100x", tmp_path / "in")
    b = _copy_record("sel100x", tmp_path / "in", "other")
    table = tmp_path / "beats.csv"
    args = ["annotate", str(tmp_path / "in"), "--out-dir", str(tmp_path / "out"), "--model", str(tiny_model),
            "--table", str(table)] + (["--per-lead"] if per_lead else [])
    assert main(args) == 0
    rows = _rows(table)
    assert rows[0] == [*KEY_COLUMNS, *header()]
    col = {name: i for i, name in enumerate(rows[0])}
    counted: dict[tuple[str, str], int] = {}
    for row in rows[1:]:
        counted[(row[0], row[1])] = counted.get((row[0], row[1]), 0) + 1
    expected = {(rec.name, lead): n for rec in (a, b) for lead, n in _qrs_count(tmp_path / "out", rec).items()}
    assert counted == expected and sum(expected.values()) > 50
    assert len({lead for _, lead in counted}) == (2 if per_lead else 1)
    first = rows[1]
    assert first[col["beat"]] == "1" and first[col["label"]] == "N"
    assert float(first[col["R peak [s]"]]) == pytest.approx(int(first[col["R peak [sample]"]]) / 250.0, abs=1e-3)
    assert 0.0 < float(first[col["QRS confidence"]]) <= 1.0
    assert rows[2][col["RR [ms]"]] != ""


def test_parquet_table_without_pyarrow_is_a_one_line_error(
    tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if pyarrow_available():
        pytest.skip("pyarrow is installed")
    rec = _copy_record("sel100x", tmp_path / "in")
    code = main(["annotate", str(rec), "--out-dir", str(tmp_path / "out"), "--model", str(tiny_model),
                 "--table", str(tmp_path / "beats.parquet")])
    assert code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pyarrow" in err[0]
    assert not (tmp_path / "out" / "sel100x.ecgs").exists()


def test_manifest_lists_records_relative_to_its_folder(
    tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _copy_record("sel100x", tmp_path / "db" / "p1")
    _copy_record("sel100x", tmp_path / "db" / "p2", "second")
    (tmp_path / "db" / "RECORDS").write_text("# archive\np1/sel100x\n\np2/second.hea\np3/missing\n")
    records, problems = read_manifest(tmp_path / "db" / "RECORDS")
    assert [r.name for r in records] == ["sel100x", "second"] and len(problems) == 1
    for how in (["--manifest", str(tmp_path / "db" / "RECORDS")], [str(tmp_path / "db" / "RECORDS")]):
        out = tmp_path / ("out" + how[0][-1])
        assert main(["annotate", *how, "--out-dir", str(out), "--model", str(tiny_model)]) == 1
        assert (out / "sel100x.ecgs").is_file() and (out / "second.ecgs").is_file()
        err = capsys.readouterr().err
        assert len([line for line in err.splitlines() if "missing" in line]) == 1
        assert "done: 2 written, 1 failed" in err


def test_up_to_date_outputs_are_skipped_unless_forced_or_outdated(
    tmp_path: Path, tiny_model: Path, fake_inference: None, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = _copy_record("sel100x", tmp_path / "in")
    other = _copy_record("sel100x", tmp_path / "in", "other")
    out = tmp_path / "out"
    base = ["annotate", str(tmp_path / "in"), "--out-dir", str(out), "--model", str(tiny_model)]
    assert main(base) == 0
    first = (out / "sel100x.ecgs").stat().st_mtime_ns
    capsys.readouterr()
    table = tmp_path / "beats.csv"
    assert main([*base, "--table", str(table)]) == 0
    err = capsys.readouterr().err
    assert "done: 0 written, 2 up to date (skipped), 0 failed" in err
    assert (out / "sel100x.ecgs").stat().st_mtime_ns == first
    assert len(_rows(table)) - 1 == sum(_qrs_count(out, rec).values()) + sum(_qrs_count(out, other).values())
    later = time.time() + 5
    os.utime(rec.with_suffix(".hea"), (later, later))  # the record changed: re-annotated
    assert main(base) == 0
    assert "done: 1 written, 1 up to date (skipped), 0 failed" in capsys.readouterr().err
    assert main([*base, "--force"]) == 0
    assert "done: 2 written, 0 failed" in capsys.readouterr().err


def test_progress_prints_plain_lines_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    progress = Progress(4, tty=False, every_s=0.0)
    progress.advance()
    progress.advance()
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("progress: 1/4 records,") and "records/s, ETA" in err[1]
    tty = Progress(2, tty=True)
    tty.line("[1/2] rec: 3 waves")
    tty.advance()
    tty.finish()
    assert "1/2 records" in capsys.readouterr().err
