"""The editor with unlucky and hostile recovery files (issue 14).

A corrupt recovery file is never applied: it is kept aside, the status bar says so in one line, and
the window's undo, dirty title and Save keep working. A changed record is restored only after a
warning; a recovery that no longer fits is kept aside; another running editor's file is left alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecgstudio.core.edits import AddWave
from ecgstudio.core.waves import Wave, WaveKind
from tests.helpers import crashed_editor_file

REPO = Path(__file__).resolve().parents[2]
def _aside(home: Path) -> list[Path]:
    return sorted((home / "autosave").glob("*.unusable-*"))


class _Asked:
    """Stands in for ``dialogs.ask_restore`` and keeps the warning line."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.calls: list[tuple[str, str | None]] = []

    def __call__(self, parent, name: str, saved_at: float, warning: str | None = None) -> bool:
        self.calls.append((name, warning))
        return self.answer


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch, dialog_log) -> _Asked:
    from ecgstudio.gui import dialogs

    recorder = _Asked(True)
    monkeypatch.setattr(dialogs, "ask_restore", recorder)
    return recorder


CORRUPT = {
    "negative span": lambda d: d.update(reviewed=[[-5, 100]]),
    "span of 10^30": lambda d: d.update(reviewed=[[0, 10**30]]),
    "bad letter": lambda d: d.update(kind="QX"),
    "wrong types": lambda d: d.update(onset=["1000", None]),
    "deeply nested JSON": None,
}


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_corrupt_recovery_is_kept_aside_and_the_window_keeps_working(
        case: str, qtbot, make_window, open_and_wait, excerpt: Path, asked: _Asked, dialog_log,
        _isolated_user_files: Path) -> None:
    path = crashed_editor_file(excerpt, token="cd", second_symbol=None)
    change = CORRUPT[case]
    if change is None:
        path.write_text('{"version": 2, "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    else:
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data))
    original = path.read_bytes()

    window = make_window()
    open_and_wait(window, excerpt)
    assert asked.calls == [] and dialog_log.errors == []
    (aside,) = _aside(_isolated_user_files)
    assert aside.read_bytes() == original and not path.exists()
    message = window.status.currentMessage()
    assert "cannot be used" in message and aside.name in message and "\n" not in message
    assert len(window.document.editable_track) == 0 and not window.document.review

    assert not window.is_dirty and not window.windowTitle().startswith("sel100x*")
    window.push_edit(AddWave(Wave(WaveKind.QRS, 3000, 3010, 3020)))
    assert window.is_dirty and window.windowTitle().startswith("sel100x*")
    window.undo_stack.undo()
    assert not window.is_dirty and len(window.document.editable_track) == 0
    window.undo_stack.redo()
    assert window.is_dirty and window.windowTitle().startswith("sel100x*")
    assert window.save()
    assert not window.is_dirty and not window.windowTitle().startswith("sel100x*")
    assert aside.read_bytes() == original  # never written back, never deleted


def test_recovery_on_a_replaced_record_asks_with_a_warning(qtbot, make_window, open_and_wait, excerpt: Path,
                                                            asked: _Asked) -> None:
    theirs = crashed_editor_file(excerpt, token="cd", second_symbol=None)
    dat = excerpt.with_suffix(".dat")
    dat.write_bytes(dat.read_bytes()[::-1])
    window = make_window()
    open_and_wait(window, excerpt)
    ((name, warning),) = asked.calls
    assert name == "sel100x" and warning is not None and "sel100x.dat" in warning
    assert [(w.onset, w.offset) for w in window.document.editable_track] == [(1000, 1020), (1200, 1220)]
    assert window.save()
    assert not theirs.exists()  # restored and saved: this window answered for it


def test_recovery_without_a_change_asks_without_a_warning(qtbot, make_window, open_and_wait, excerpt: Path,
                                                           asked: _Asked) -> None:
    crashed_editor_file(excerpt, token="cd", second_symbol=None)
    window = make_window()
    open_and_wait(window, excerpt)
    assert asked.calls == [("sel100x", None)]


def test_recovery_for_a_shortened_record_is_kept_aside(qtbot, make_window, open_and_wait, excerpt: Path,
                                                        asked: _Asked, _isolated_user_files: Path) -> None:
    theirs = crashed_editor_file(excerpt, token="cd", second_symbol=None)
    original = theirs.read_bytes()
    header = excerpt.with_suffix(".hea")
    header.write_text(header.read_text().replace("sel100x 2 250 7500", "sel100x 2 250 5000"))
    dat = excerpt.with_suffix(".dat")
    dat.write_bytes(dat.read_bytes()[: 5000 * 3])
    window = make_window(autosave_interval_ms=30)
    open_and_wait(window, excerpt)
    assert asked.calls == []
    (aside,) = _aside(_isolated_user_files)
    assert "7500 samples" in window.status.currentMessage()
    window.push_edit(AddWave(Wave(WaveKind.QRS, 100, 110, 120)))
    assert window.autosave_now(wait=True) is not None
    assert aside.read_bytes() == original


_CHILD = """
import sys
from pathlib import Path
from ecgstudio.app import autosave
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.waves import Wave, WaveKind
from tests.helpers import crashed_editor_file
track = Delineation([Wave(WaveKind.QRS, 500, 510, 520)], n_samples=7500, fs=250.0, name="ecgs")
print(autosave.write_recovery(Path(sys.argv[1]), "ecgs", track, [(0, 600)]), flush=True)
sys.stdin.read()
"""


def test_a_running_editors_recovery_is_not_offered_and_never_deleted(
        qtbot, make_window, open_and_wait, excerpt: Path, asked: _Asked, dialog_log) -> None:
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(excerpt)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=REPO,
                             text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        assert line, "the other editor did not start"
        theirs = Path(line)
        before = theirs.read_bytes(), theirs.stat().st_mtime_ns
        crashed = crashed_editor_file(excerpt, token="cd", second_symbol=None)  # and a third editor's, that crashed
        asked.answer = False
        window = make_window()
        open_and_wait(window, excerpt)
        assert len(asked.calls) == 1  # the crashed editor's edits only
        assert not crashed.exists()  # declined: that file (only) is deleted
        assert f"pid {child.pid}" in window.status.currentMessage()
        window.push_edit(AddWave(Wave(WaveKind.QRS, 3000, 3010, 3020)))
        mine = window.autosave_now(wait=True)
        assert mine is not None and mine.exists() and mine != theirs
        assert window.save()
        assert not mine.exists()
        dialog_log.save_answer = "discard"
        window.close()
        assert (theirs.read_bytes(), theirs.stat().st_mtime_ns) == before
    finally:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.close()
        child.wait(timeout=30)
        child.stdout.close()
