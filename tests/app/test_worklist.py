"""The worklist: review states from headers and sidecars, the next record to review, its CSV and CLI."""

from __future__ import annotations

import csv
import json
import os
import socket
import time
from pathlib import Path

import pytest

from ecgstudio.app.folder_status import folder_status
from ecgstudio.app.locks import lock_path
from ecgstudio.app.worklist import (
    CSV_COLUMNS,
    FolderProgress,
    ReviewState,
    next_to_review,
    review_state,
    write_worklist_csv,
)
from ecgstudio.cli import main
from ecgstudio.core.errors import SaveError
from ecgstudio.core.review import ReviewInfo, ReviewMark, ReviewSpans
from ecgstudio.io.review import write_review
from tests.helpers import sel100x_copy

DATA = Path(__file__).resolve().parents[1] / "data"
FS = 250.0
N = 7500  # sel100x: 30 s at 250 Hz


_record = sel100x_copy


def _annotate(record: Path, spans: list[tuple[int, int]] | None, *, model: str | None = "default",
              marks: tuple[ReviewMark, ...] = ()) -> Path:
    """Save a (dummy) .ecgs file and, unless ``spans`` is None, its review sidecar."""
    annotation = record.with_name(record.name + ".ecgs")
    annotation.write_bytes(b"\x00\x00")
    if spans is not None:
        write_review(annotation, ReviewSpans(spans), fs=FS, info=ReviewInfo(marks, model, "2026-01-01T08:00:00Z"))
    return annotation


def _beats(first: int, last: int, period: int, width: int) -> list[tuple[int, int]]:
    """Beat-by-beat acceptance: ``width`` samples reviewed every ``period`` samples."""
    return [(s, min(s + width, N)) for s in range(first, last, period)]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """untouched, pre-annotated, partly reviewed, reviewed beat by beat, reviewed whole, unreadable."""
    _record(tmp_path, "a_untouched")
    _annotate(_record(tmp_path, "b_pre"), [])
    _annotate(_record(tmp_path, "c_partial"), [(0, 2500)],
              marks=(ReviewMark(0, 2500, "anna", "2026-01-02T09:00:00Z"),))
    _annotate(_record(tmp_path, "d_beats"), _beats(100, N, 250, 150))  # 0.4 s gaps, 0.4 s at each end
    _annotate(_record(tmp_path, "e_whole"), [(0, N)], marks=(
        ReviewMark(0, 3000, "bob", "2026-01-03T10:00:00Z"),
        ReviewMark(3000, N, "anna", "2026-01-03T11:30:00Z"),
        ReviewMark(0, 10, "carl", "2026-01-03T11:00:00Z"),
    ))
    (tmp_path / "f_broken.hea").write_text("not a header\n", encoding="utf-8")
    return tmp_path


def _states(folder: Path) -> dict[str, ReviewState]:
    return {r.name: review_state(r) for r in folder_status(folder)}


def test_states_of_a_folder(folder):
    assert _states(folder) == {
        "a_untouched": ReviewState.UNTOUCHED,
        "b_pre": ReviewState.PRE_ANNOTATED,
        "c_partial": ReviewState.IN_PROGRESS,
        "d_beats": ReviewState.REVIEWED,
        "e_whole": ReviewState.REVIEWED,
        "f_broken": ReviewState.UNREADABLE,
    }


@pytest.mark.parametrize(("spans", "expected"), [
    ([(0, N - 500)], ReviewState.IN_PROGRESS),           # the last 2 s were never looked at
    ([(0, N - 499)], ReviewState.REVIEWED),              # 499 samples = 1.996 s left
    ([(0, 3000), (3500, N)], ReviewState.IN_PROGRESS),   # exactly 2 s is not "shorter than 2 s"
    ([(0, 3000), (3499, N)], ReviewState.REVIEWED),
    ([(0, 3000), (3600, N)], ReviewState.IN_PROGRESS),   # a 2.4 s pause nobody marked
    ([(600, N)], ReviewState.IN_PROGRESS),               # the unannotated first 2.4 s
])
def test_reviewed_means_no_unreviewed_stretch_of_two_seconds(tmp_path, spans, expected):
    _annotate(_record(tmp_path, "r"), spans)
    assert _states(tmp_path)["r"] is expected


def test_saved_waves_without_a_source_or_sidecar_are_in_progress(tmp_path):
    _annotate(_record(tmp_path, "hand"), [], model=None)
    _annotate(_record(tmp_path, "nosidecar"), None)
    assert set(_states(tmp_path).values()) == {ReviewState.IN_PROGRESS}


def test_stale_sidecar_is_in_progress_with_its_problem(tmp_path):
    annotation = _annotate(_record(tmp_path, "r"), [(0, N)])
    annotation.write_bytes(b"\x00\x00\x00\x00")  # changed by another program after the marks were saved
    (row,) = folder_status(tmp_path)
    assert review_state(row) is ReviewState.IN_PROGRESS
    assert row.reviewed_samples == 0 and "another version" in (row.error or "")


def test_last_reviewer_is_the_newest_mark_and_change_time_the_save(folder):
    rows = {r.name: r for r in folder_status(folder)}
    e = rows["e_whole"]
    assert (e.last_reviewer, e.last_reviewed_at) == ("anna", "2026-01-03T11:30:00Z")
    assert e.changed_at == pytest.approx(os.stat(folder / "e_whole.ecgs.review.json").st_mtime)
    assert rows["a_untouched"].changed_at is None and rows["a_untouched"].last_reviewer == ""
    assert rows["b_pre"].source == "default"


def _lock(record: Path, *, host: str, pid: int) -> None:
    payload = {"user": "zoe", "host": host, "pid": pid, "token": "t", "since": time.time()}
    lock_path(record.with_name(record.name + ".ecgs")).write_text(json.dumps(payload), encoding="utf-8")


def test_a_lock_of_another_editor_is_shown_and_ours_is_not(tmp_path):
    _lock(_record(tmp_path, "theirs"), host="ward-7-workstation", pid=4242)
    _lock(_record(tmp_path, "ours"), host=socket.gethostname()[:100], pid=os.getpid())
    rows = {r.name: r for r in folder_status(tmp_path)}
    assert rows["theirs"].locked_by is not None and rows["theirs"].locked_by.startswith("zoe on ward-7-workstation")
    assert rows["ours"].locked_by is None


def test_next_to_review_follows_the_order_skips_done_work_and_wraps(folder):
    rows = folder_status(folder)
    names = [r.name for r in rows]
    assert names[0] == "a_untouched"

    def nxt(current: str | None, order=rows) -> str | None:
        found = next_to_review(order, None if current is None else folder / current)
        return None if found is None else found.name

    assert nxt(None) == "a_untouched"
    assert nxt("a_untouched") == "b_pre"
    assert nxt("b_pre") == "c_partial"
    assert nxt("c_partial") == "a_untouched"  # d, e reviewed; f unreadable; wraps to the top
    assert nxt("elsewhere/not_listed") == "a_untouched"
    assert nxt("b_pre", list(reversed(rows))) == "a_untouched"  # the order shown, not the names
    _lock(folder / "a_untouched", host="ward-7-workstation", pid=1)
    assert nxt("c_partial", folder_status(folder)) == "b_pre"  # someone else is editing a_untouched


def test_next_to_review_is_none_when_nothing_else_needs_review(tmp_path):
    _annotate(_record(tmp_path, "done"), [(0, N)])
    _record(tmp_path, "open_now")
    rows = folder_status(tmp_path)
    assert next_to_review(rows, tmp_path / "open_now") is None
    assert next_to_review(rows, None).name == "open_now"
    assert next_to_review([], None) is None


def test_folder_progress(folder):
    progress = FolderProgress.of(folder_status(folder))
    assert progress.count(ReviewState.REVIEWED) == 2
    assert progress.text() == "2 of 6 reviewed · 1 unreadable · 1 untouched · 1 pre-annotated · 1 in progress"
    assert progress.total_s == pytest.approx(5 * 30.0)
    assert progress.reviewed_s == pytest.approx((2500 + sum(b - a for a, b in _beats(100, N, 250, 150)) + N) / FS)


def _read_csv(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
        return {row["record"]: row for row in reader}


def test_csv_has_a_row_per_record(folder, tmp_path):
    out = write_worklist_csv(tmp_path / "worklist.csv", folder_status(folder))
    rows = _read_csv(out)
    assert list(rows) == ["a_untouched", "b_pre", "c_partial", "d_beats", "e_whole", "f_broken"]
    c = rows["c_partial"]
    assert (c["status"], c["reviewed_percent"], c["reviewer"], c["reviewed_at"]) == (
        "in progress", "33.3", "anna", "2026-01-02T09:00:00Z")
    assert (c["duration_s"], c["leads"], c["fs_hz"]) == ("30.000", "2", "250")
    assert c["last_change"].endswith("Z") and rows["a_untouched"]["last_change"] == ""
    assert rows["a_untouched"]["status"] == "untouched" and rows["a_untouched"]["reviewed_percent"] == "0.0"
    assert rows["e_whole"]["reviewed_percent"] == "100.0"
    broken = rows["f_broken"]
    assert broken["status"] == "unreadable" and broken["fs_hz"] == "" and broken["problem"]


def test_csv_to_a_folder_or_missing_folder_is_refused(folder, tmp_path):
    with pytest.raises(SaveError, match="is a folder"):
        write_worklist_csv(tmp_path, [])
    with pytest.raises(SaveError, match="does not exist"):
        write_worklist_csv(tmp_path / "nope" / "w.csv", [])


def test_cli_writes_the_csv(folder, tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert main(["worklist", str(folder), "--csv", str(out)]) == 0
    assert len(_read_csv(out)) == 6
    assert "2 of 6 reviewed" in capsys.readouterr().out


def test_cli_prints_a_table(folder, capsys):
    assert main(["worklist", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].split()[:3] == ["c_partial", "in", "progress"] and "anna" in lines[2]
    assert lines[-1].startswith("2 of 6 reviewed")
    from ecgstudio.app.folder_beats import BeatCounter
    from ecgstudio.app.folder_status import folder_status

    beats = {r.name: BeatCounter().count(r) for r in folder_status(folder)}
    assert None in beats.values() and any(v is not None for v in beats.values())  # with and without a file
    for line in lines[:-1]:
        name, words = line.split()[0], line.split()
        expected = str(beats[name]) if beats[name] is not None else "–"
        assert words[words.index("beats") - 1] == expected, line


@pytest.mark.parametrize("argv", [
    ["worklist", "{tmp}/missing"],
    ["worklist", "{folder}", "--csv", "{tmp}/missing/out.csv"],
    ["worklist", "{folder}", "--ext", "../x"],
])
def test_cli_bad_input_is_one_line(folder, tmp_path, capsys, argv):
    args = [a.format(tmp=tmp_path, folder=folder) for a in argv]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("ecgstudio: error: ") and err.count("\n") == 1
