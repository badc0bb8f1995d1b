"""Beats per record in the worklist (cached) and the folder's measurements CSV (worklist --measurements)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from ecgstudio.app.beat_table import header
from ecgstudio.app.folder_beats import BeatCounter, with_beats, write_folder_measurements
from ecgstudio.app.folder_status import folder_status
from ecgstudio.app.worklist import write_worklist_csv
from ecgstudio.cli import main
from ecgstudio.core.errors import SaveError
from ecgstudio.core.waves import WaveKind
from ecgstudio.io.annotations import read_tracks, write_tracks
from ecgstudio.io.records import read_header

DATA = Path(__file__).resolve().parents[1] / "data"


def _record(folder: Path, name: str) -> Path:
    """A copy of tests/data/sel100x named ``name``."""
    header_text = (DATA / "sel100x.hea").read_text(encoding="utf-8").replace("sel100x", name)
    (folder / f"{name}.hea").write_text(header_text, encoding="utf-8")
    (folder / f"{name}.dat").write_bytes((DATA / "sel100x.dat").read_bytes())
    return folder / name


def _qrs_per_track(record: Path) -> list[int]:
    info = read_header(record)
    tracks = read_tracks(record, "ecgs", n_samples=info.n_samples, fs=info.fs, lead_names=info.lead_names)
    return [sum(1 for w in t.waves if w.kind is WaveKind.QRS) for t in tracks]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """``a`` saved with the q1c reference waves (a few beats dropped), ``b`` untouched."""
    folder = tmp_path / "recs"
    folder.mkdir()
    a = _record(folder, "a")
    info = read_header(a)
    tracks = read_tracks(DATA / "sel100x", "q1c", n_samples=info.n_samples, fs=info.fs,
                         lead_names=info.lead_names)
    write_tracks(a, "ecgs", tracks)
    _record(folder, "b")
    return folder


def test_beats_are_counted_once_per_file_version(folder):
    counter = BeatCounter()
    rows = {r.name: r for r in with_beats(folder_status(folder), counter=counter)}
    expected = max(_qrs_per_track(folder / "a"))
    assert expected > 10 and rows["a"].beats == expected and rows["b"].beats is None
    assert counter.reads == 1
    with_beats(folder_status(folder), counter=counter)
    assert counter.reads == 1  # unchanged file: not read again
    annotation = folder / "a.ecgs"
    os.utime(annotation, ns=(annotation.stat().st_atime_ns, annotation.stat().st_mtime_ns + 10**9))
    with_beats(folder_status(folder), counter=counter)
    assert counter.reads == 2


def test_unreadable_annotation_file_has_no_count(folder):
    (folder / "b.ecgs").write_bytes(b"garbage\n" * 5)
    rows = {r.name: r for r in with_beats(folder_status(folder))}
    assert rows["b"].beats is None and rows["a"].beats is not None


def test_worklist_csv_has_the_beats_column(folder, tmp_path):
    out = write_worklist_csv(tmp_path / "w.csv", with_beats(folder_status(folder)))
    with open(out, newline="", encoding="utf-8") as fh:
        rows = {r["record"]: r for r in csv.DictReader(fh)}
    assert rows["a"]["beats"] == str(max(_qrs_per_track(folder / "a"))) and rows["b"]["beats"] == ""


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or ()), list(reader)


def test_folder_measurements_have_a_row_per_beat_of_each_saved_file(folder, tmp_path):
    _record(folder, "c")
    write_tracks(folder / "c", "ecgs", read_tracks(folder / "a", "ecgs", n_samples=7500, fs=250.0)[:1])
    done = write_folder_measurements(tmp_path / "m.csv", folder_status(folder))
    columns, rows = _read(done.path)
    assert columns == ["record", "lead", *header()]
    per_record = {name: sum(1 for r in rows if r["record"] == name) for name in ("a", "b", "c")}
    assert per_record == {"a": sum(_qrs_per_track(folder / "a")), "b": 0, "c": sum(_qrs_per_track(folder / "c"))}
    assert done.records == 2 and done.rows == len(rows) and not done.problems
    first_a = next(r for r in rows if r["record"] == "a")
    assert first_a["beat"] == "1" and first_a["QRS onset [sample]"] != ""


def test_folder_measurements_skip_unreadable_files(folder, tmp_path):
    (folder / "b.ecgs").write_bytes(b"garbage\n" * 5)
    done = write_folder_measurements(tmp_path / "m.csv", folder_status(folder))
    assert done.records == 1 and len(done.problems) == 1 and done.problems[0].startswith("b: ")


def test_cancelled_folder_measurements_leave_the_destination_as_it_was(folder, tmp_path):
    _record(folder, "c")
    write_tracks(folder / "c", "ecgs", read_tracks(folder / "a", "ecgs", n_samples=7500, fs=250.0)[:1])
    dest = tmp_path / "m.csv"
    dest.write_text("an older export\n")
    rows = folder_status(folder)
    seen: list[float] = []
    done = write_folder_measurements(dest, rows, progress=seen.append, cancel=lambda: len(seen) >= 2)
    assert done is None
    assert dest.read_text() == "an older export\n"
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".m.csv*"))  # no temporary file left
    seen.clear()
    done = write_folder_measurements(dest, rows, progress=seen.append, cancel=lambda: False)
    assert done is not None and done.records == 2
    assert seen == sorted(seen) and len(seen) == len(rows) and 0 <= seen[0] and seen[-1] < 1


@pytest.mark.parametrize("name", ["m.txt", "missing/m.csv", "."])
def test_folder_measurements_bad_destination(folder, tmp_path, name):
    with pytest.raises(SaveError) as info:
        write_folder_measurements(tmp_path / name, folder_status(folder))
    assert "\n" not in str(info.value) and "--table" not in str(info.value)


def test_cli_measurements(folder, tmp_path, capsys):
    out = tmp_path / "m.csv"
    assert main(["worklist", str(folder), "--measurements", str(out)]) == 0
    _columns, rows = _read(out)
    assert len(rows) == sum(_qrs_per_track(folder / "a")) and {r["record"] for r in rows} == {"a"}
    assert f"{len(rows)} beat rows of 1 records" in capsys.readouterr().out


def test_cli_measurements_and_a_bad_worklist_path_write_neither(folder, tmp_path, capsys):
    out = tmp_path / "m.csv"
    assert main(["worklist", str(folder), "--measurements", str(out), "--csv", str(tmp_path / "gone" / "w.csv")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and err.count("\n") == 1
    assert not out.exists()  # the measurements were not written before the worklist path was refused


@pytest.mark.parametrize("argv", [
    ["worklist", "{folder}", "--measurements", "{tmp}/missing/m.csv"],
    ["worklist", "{folder}", "--measurements", "{tmp}/m.json"],
    ["worklist", "{tmp}/nope", "--measurements", "{tmp}/m.csv"],
])
def test_cli_measurements_bad_input_is_one_line(folder, tmp_path, capsys, argv):
    assert main([a.format(folder=folder, tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ecgstudio: error: ") and err.count("\n") == 1
