"""Unlucky and hostile recovery files (issue 14): never applied when invalid, never lost, never another editor's.

Every corrupt file is moved aside with a one-line note and the session keeps working; a record or
annotation file changed since the autosave is offered with a warning, or kept aside when the edits no
longer fit; a file whose editor still runs is neither offered nor touched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ecgstudio.app import autosave
from ecgstudio.app.editing import EditingSession
from ecgstudio.core.edits import AddWave
from ecgstudio.core.waves import Wave, WaveKind
from tests.helpers import DEAD_PID, crashed_editor_file

DATA = Path(__file__).resolve().parents[1] / "data"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("ECGSTUDIO_HOME", str(home))
    return home


@pytest.fixture
def excerpt(tmp_path: Path) -> Path:
    folder = tmp_path / "records"
    folder.mkdir()
    for name in ("sel100x.hea", "sel100x.dat", "sel100x.q1c", "sel100x.pu"):
        shutil.copy(DATA / name, folder / name)
    return folder / "sel100x"


def _aside(home: Path) -> list[Path]:
    return sorted((home / "autosave").glob("*.unusable-*"))


def _edit(data: dict, change: Callable[[dict], None]) -> dict:
    change(data)
    return data


CORRUPT: dict[str, Callable[[dict], object]] = {
    "negative span": lambda d: d.update(reviewed=[[-5, 100]]),
    "span of 10^30": lambda d: d.update(reviewed=[[0, 10**30]]),
    "span of 1e30 (float)": lambda d: d.update(reviewed=[[0, 1e30]]),
    "span past the end": lambda d: d.update(reviewed=[[0, 7501]]),
    "empty span": lambda d: d.update(reviewed=[[10, 10]]),
    "bool in a span": lambda d: d.update(reviewed=[[True, 100]]),
    "bad letter": lambda d: d.update(kind=d["kind"][:-1] + "X"),
    "n_samples as text": lambda d: d.update(n_samples="7500"),
    "lead as bool": lambda d: d.update(lead=True),
    "float onset": lambda d: d.update(onset=[1000.5, 1200]),
    "onset past the end": lambda d: d.update(onset=[1000, 9_000_000]),
    "columns differ in length": lambda d: d.update(peak=[1010]),
    "confidence as text": lambda d: d.update(confidence=["high", -1.0]),
    "confidence above 1": lambda d: d.update(confidence=[7.0, -1.0]),
    "symbol of a missing wave": lambda d: d.update(symbol={"5": "V"}),
    "symbol not a WFDB symbol": lambda d: d.update(symbol={"1": "VV"}),
    "saved_at as text": lambda d: d.update(saved_at="NaN"),
    "unknown field": lambda d: d.update(surprise=1),
    "missing owner": lambda d: d.pop("owner"),
    "owner pid as bool": lambda d: d["owner"].update(pid=True),
    "record_files not a list": lambda d: d.update(record_files={"a": 1}),
    "more repeats the lead": lambda d: d.update(more=[{"lead": None, **{k: d[k] for k in (
        "kind", "onset", "peak", "offset", "confidence", "symbol")}}]),
    "version 99": lambda d: d.update(version=99),
    "fs zero": lambda d: d.update(fs=0),
}

RAW: dict[str, Callable[[str], bytes]] = {
    "deeply nested JSON": lambda text: ('{"version": 2, "x": ' + "[" * 200_000 + "]" * 200_000 + "}").encode(),
    "nested 7 levels": lambda text: text[:-1].encode() + b',"deep":[[[[[[[1]]]]]]]}',
    "truncated JSON": lambda text: text[: len(text) // 2].encode(),
    "not UTF-8": lambda text: b"\xff\xfe" + text.encode("utf-16-le"),
    "a JSON list": lambda text: b"[1, 2, 3]",
    "NaN literal": lambda text: text.replace('"saved_at":', '"saved_at":NaN,"x":').encode(),
    "a 40-digit number": lambda text: re.sub(r'"n_samples":\s*7500', '"n_samples":' + "9" * 40, text).encode(),
}


def _corrupt_and_open(excerpt: Path, home: Path, write: Callable[[Path], None]) -> tuple[EditingSession, Path]:
    path = crashed_editor_file(excerpt)
    write(path)
    original = path.read_bytes()
    session = EditingSession.open(excerpt)
    assert session.pending_recovery() is None
    assert not path.exists()
    aside = _aside(home)
    assert len(aside) == 1 and aside[0].read_bytes() == original  # kept, byte for byte
    notes = autosave.recovery_notes(session.document)
    assert len(notes) == 1 and "cannot be used" in notes[0] and aside[0].name in notes[0]
    assert "\n" not in notes[0] and len(notes[0]) <= 400
    assert notes[0] in session.document.notes
    return session, aside[0]


def _still_works(session: EditingSession, aside: Path) -> None:
    """Undo, dirty state and Save behave; the set-aside file survives the save."""
    assert not session.dirty
    session.apply(AddWave(Wave(WaveKind.QRS, 3000, 3010, 3020)))
    assert session.dirty
    assert session.undo() and not session.dirty
    assert session.redo() and session.dirty
    session.autosave()
    session.save()
    assert not session.dirty
    assert aside.exists()
    assert not autosave.recovery_path(session.document.record_path, "ecgs").exists()


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_invalid_field_is_kept_aside_and_never_applied(case: str, excerpt: Path, _home: Path) -> None:
    def write(path: Path) -> None:
        data = json.loads(path.read_text())
        CORRUPT[case](data)
        path.write_text(json.dumps(data))

    session, aside = _corrupt_and_open(excerpt, _home, write)
    assert len(session.track()) == 0 and not session.document.review
    _still_works(session, aside)


@pytest.mark.parametrize("case", sorted(RAW))
def test_unparseable_file_is_kept_aside(case: str, excerpt: Path, _home: Path) -> None:
    session, aside = _corrupt_and_open(excerpt, _home, lambda p: p.write_bytes(RAW[case](p.read_text())))
    _still_works(session, aside)


def test_each_note_says_what_is_wrong(excerpt: Path, _home: Path) -> None:
    def write(path: Path) -> None:
        data = json.loads(path.read_text())
        data["reviewed"] = [[-5, 100]]
        path.write_text(json.dumps(data))

    session, _aside_file = _corrupt_and_open(excerpt, _home, write)
    assert "'reviewed'[0] start -5 is outside 0..7499" in autosave.recovery_notes(session.document)[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_link_folder_and_huge_file_are_refused_without_blocking(excerpt: Path, _home: Path,
                                                                     tmp_path: Path) -> None:
    path = crashed_editor_file(excerpt)
    path.unlink()
    stem = path.name[: -len(".json")]
    folder = path.parent
    os.mkfifo(folder / f"{stem[:-12]}{'a' * 12}.json")
    target = tmp_path / "elsewhere.json"
    target.write_text("{}")
    os.symlink(target, folder / f"{stem[:-12]}{'b' * 12}.json")
    (folder / f"{stem[:-12]}{'c' * 12}.json").mkdir()
    with open(folder / f"{stem[:-12]}{'d' * 12}.json", "wb") as fh:
        fh.truncate(autosave.MAX_FILE_BYTES + 1)  # sparse: refused by its size, never read
    started = time.monotonic()
    session = EditingSession.open(excerpt)
    assert session.pending_recovery() is None
    assert time.monotonic() - started < 10
    assert len(_aside(_home)) == 4 and target.read_text() == "{}"
    notes = autosave.recovery_notes(session.document)
    assert len(notes) == 4 and all("cannot be used" in n for n in notes)


# ---------------------------------------------------------------------- the record changed
def test_record_replaced_on_disk_is_offered_with_a_warning(excerpt: Path, _home: Path) -> None:
    crashed_editor_file(excerpt)
    dat = excerpt.with_suffix(".dat")
    dat.write_bytes(dat.read_bytes()[::-1])  # another signal of the same length
    session = EditingSession.open(excerpt)
    pending = session.pending_recovery()
    assert pending is not None and pending.warning is not None
    assert "sel100x.dat" in pending.warning and "\n" not in pending.warning
    session.restore(pending)
    assert [(w.onset, w.offset) for w in session.track()] == [(1000, 1020), (1200, 1220)]


def test_unchanged_record_gives_no_warning(excerpt: Path) -> None:
    crashed_editor_file(excerpt)
    pending = EditingSession.open(excerpt).pending_recovery()
    assert pending is not None and pending.warning is None


def test_record_shortened_keeps_the_recovery_aside(excerpt: Path, _home: Path) -> None:
    path = crashed_editor_file(excerpt)
    original = path.read_bytes()
    header = excerpt.with_suffix(".hea")
    header.write_text(header.read_text().replace("sel100x 2 250 7500", "sel100x 2 250 5000"))
    dat = excerpt.with_suffix(".dat")
    dat.write_bytes(dat.read_bytes()[: 5000 * 3])
    session = EditingSession.open(excerpt)
    assert session.document.n_samples == 5000
    assert session.pending_recovery() is None
    notes = autosave.recovery_notes(session.document)
    assert len(notes) == 1 and "7500 samples" in notes[0] and "5000" in notes[0]
    (aside,) = _aside(_home)
    session.apply(AddWave(Wave(WaveKind.QRS, 100, 110, 120)))
    session.autosave()  # the next autosave never overwrites the kept edits
    assert aside.read_bytes() == original


def test_annotation_file_changed_before_the_crash_is_a_warning(excerpt: Path) -> None:
    path = crashed_editor_file(excerpt)
    saved_at = json.loads(path.read_text())["saved_at"]
    other = EditingSession.open(excerpt)
    other.apply(AddWave(Wave(WaveKind.QRS, 4000, 4010, 4020)))
    written = other.save()
    os.utime(written, (saved_at - 100, saved_at - 100))  # written by someone else while the crashed one edited
    pending = EditingSession.open(excerpt).pending_recovery()
    assert pending is not None and pending.warning is not None
    assert "annotation file sel100x.ecgs changed" in pending.warning


def test_annotations_saved_after_the_autosave_keep_it_aside(excerpt: Path, _home: Path) -> None:
    crashed_editor_file(excerpt)
    other = EditingSession.open(excerpt)
    other.apply(AddWave(Wave(WaveKind.QRS, 4000, 4010, 4020)))
    written = other.save()
    future = time.time() + 5
    os.utime(written, (future, future))
    session = EditingSession.open(excerpt)
    assert session.pending_recovery() is None
    assert "saved after" in autosave.recovery_notes(session.document)[0]
    assert len(_aside(_home)) == 1


def test_version_1_file_is_offered_with_a_warning(excerpt: Path) -> None:
    path = crashed_editor_file(excerpt)
    data = json.loads(path.read_text())
    data["version"] = 1
    for key in ("owner", "record_files", "annotation_file"):
        del data[key]
    legacy = path.with_name(path.name[: -len(".xxxxxxxxxxxx.json")] + ".json")
    path.unlink()
    legacy.write_text(json.dumps(data))
    pending = EditingSession.open(excerpt).pending_recovery()
    assert pending is not None and pending.recovery.path == legacy
    assert pending.warning and "older ECG Studio" in pending.warning


# ---------------------------------------------------------------------- owners
_CHILD = """
import sys
from pathlib import Path
from ecgstudio.app import autosave
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.waves import Wave, WaveKind
from tests.helpers import DEAD_PID, crashed_editor_file
track = Delineation([Wave(WaveKind.QRS, 500, 510, 520)], n_samples=7500, fs=250.0, name="ecgs")
print(autosave.write_recovery(Path(sys.argv[1]), "ecgs", track, [(0, 600)]), flush=True)
sys.stdin.read()
"""


def _live_editor(record: Path) -> tuple[subprocess.Popen, Path]:
    """Another ECG Studio process that has autosaved edits of ``record`` and still runs."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(record)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, env=env, cwd=REPO, text=True)
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    assert line, "the child editor did not start"
    return child, Path(line)


def _stop(child: subprocess.Popen) -> None:
    assert child.stdin is not None and child.stdout is not None
    child.stdin.close()
    child.wait(timeout=30)
    child.stdout.close()


def test_a_running_editors_file_is_neither_offered_nor_touched(excerpt: Path, _home: Path) -> None:
    child, theirs = _live_editor(excerpt)
    try:
        before = theirs.read_bytes(), theirs.stat().st_ino, theirs.stat().st_mtime_ns
        session = EditingSession.open(excerpt)
        assert session.pending_recovery() is None
        notes = autosave.recovery_notes(session.document)
        assert len(notes) == 1 and f"pid {child.pid}" in notes[0] and "left untouched" in notes[0]
        session.apply(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
        mine = session.autosave()
        assert mine is not None and mine != theirs
        session.save()  # deletes this editor's file only
        session.discard_recovery()
        assert not mine.exists()
        assert (theirs.read_bytes(), theirs.stat().st_ino, theirs.stat().st_mtime_ns) == before
        assert not _aside(_home)
    finally:
        _stop(child)
    pending = EditingSession.open(excerpt).pending_recovery()  # its editor is gone now: a crash
    assert pending is None  # ... but the annotations saved since are newer: kept aside, not lost
    assert theirs.exists() is False and len(_aside(_home)) == 1


def test_a_crashed_editors_file_is_offered_once_it_is_gone(excerpt: Path) -> None:
    child, theirs = _live_editor(excerpt)
    _stop(child)
    session = EditingSession.open(excerpt)
    pending = session.pending_recovery()
    assert pending is not None and pending.recovery.path == theirs
    assert pending.recovery.owner is not None and pending.recovery.owner.pid == child.pid
    session.restore(pending)
    autosave.adopt(pending)
    assert [(w.onset, w.offset) for w in session.track()] == [(500, 520)]
    session.save()
    assert not theirs.exists()  # restored and saved: this editor answers for it now


def _owned_by(path: Path, **owner: object) -> None:
    data = json.loads(path.read_text())
    data["owner"].update(owner)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(("owner", "in_use"), [
    ({"pid": os.getppid(), "token": "ab" * 16, "started": None}, True),  # the parent process runs
    pytest.param({"pid": os.getppid(), "token": "ab" * 16, "started": "1"}, False,  # that pid was reused
                 marks=pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")),
    ({"pid": os.getpid(), "token": "ab" * 16}, False),  # an earlier process with this pid
    ({"pid": DEAD_PID, "token": "ab" * 16}, False),  # no such process
    ({"host": socket.gethostname() + "-other", "token": "ab" * 16}, True),  # another computer, just now
])
def test_owner_liveness(owner: dict, in_use: bool, excerpt: Path, _home: Path) -> None:
    path = crashed_editor_file(excerpt)
    _owned_by(path, **owner)
    pending = EditingSession.open(excerpt).pending_recovery()
    assert (pending is None) is in_use
    assert path.exists()


def test_another_computers_old_file_counts_as_crashed(excerpt: Path) -> None:
    path = crashed_editor_file(excerpt)
    _owned_by(path, host="elsewhere", token="ab" * 16)
    old = time.time() - autosave.REMOTE_IN_USE_S - 60
    os.utime(path, (old, old))
    assert EditingSession.open(excerpt).pending_recovery() is not None


def test_discard_never_deletes_another_processes_file(excerpt: Path) -> None:
    theirs = crashed_editor_file(excerpt)
    session = EditingSession.open(excerpt)
    session.apply(AddWave(Wave(WaveKind.QRS, 3000, 3010, 3020)))
    mine = session.autosave()
    session.discard_recovery()
    assert mine is not None and not mine.exists()
    assert theirs.exists()


def test_declining_deletes_only_the_file_offered(excerpt: Path) -> None:
    path = crashed_editor_file(excerpt)
    pending = EditingSession.open(excerpt).pending_recovery()
    assert pending is not None and pending.recovery.path == path
    path.write_text(path.read_text())  # rewritten meanwhile: not the file the user declined
    os.utime(path, ns=(1, 1))
    assert not autosave.decline(pending)
    assert path.exists()
    again = EditingSession.open(excerpt).pending_recovery()
    assert again is not None and autosave.decline(again)
    assert not path.exists()
