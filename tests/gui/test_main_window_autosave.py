"""Autosave while dirty, deleted on save and clean close, offered back after a crash."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ecgstudio.app import autosave
from ecgstudio.app.session import open_document, save_document
from ecgstudio.core.edits import AddWave
from ecgstudio.core.waves import Wave, WaveKind


def _recovery(excerpt: Path) -> Path:
    return autosave.recovery_path(excerpt, "ecgs")


def test_autosave_is_written_while_dirty_and_deleted_on_save(qtbot, make_window, open_and_wait,
                                                             excerpt: Path, _isolated_user_files) -> None:
    window = make_window(autosave_interval_ms=30)
    open_and_wait(window, excerpt)
    qtbot.wait(100)
    assert not _recovery(excerpt).exists()  # clean: nothing to recover
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    qtbot.waitUntil(_recovery(excerpt).exists, timeout=3000)
    assert _recovery(excerpt).parent == _isolated_user_files / "autosave"
    assert window.save()
    assert not _recovery(excerpt).exists()
    qtbot.wait(100)
    assert not _recovery(excerpt).exists()


def test_recovery_is_offered_and_restored_after_a_crash(qtbot, make_window, open_and_wait, excerpt: Path,
                                                        dialog_log) -> None:
    crashed = make_window(autosave_interval_ms=60_000)
    open_and_wait(crashed, excerpt)
    crashed.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    crashed.push_edit(AddWave(Wave(WaveKind.QRS, 1200, 1210, 1220)))
    crashed.set_review(crashed.document.review.add(990, 1030))
    assert crashed.autosave_now(wait=True) == _recovery(excerpt)
    crashed.undo_stack.setClean()  # simulate the crash: the window goes without cleaning up
    crashed.undo_stack.clear()
    crashed.document = None
    _process_died()

    dialog_log.restore_answer = True
    window = make_window()
    open_and_wait(window, excerpt)
    assert dialog_log.asked_restore == ["sel100x"]
    track = window.document.editable_track
    assert [(w.onset, w.offset) for w in track] == [(1000, 1020), (1200, 1220)]
    assert window.document.review.spans == ((990, 1030),)
    assert window.is_dirty and window.windowTitle().startswith("sel100x*")
    window.undo_stack.undo()  # restoring is one undo step
    assert len(window.document.editable_track) == 0 and not window.document.review
    window.undo_stack.redo()
    assert len(window.document.editable_track) == 2


def _process_died() -> None:
    """Simulate the death of the editor process that holds the record's lock (the lock becomes stale)."""
    from ecgstudio.app import locks

    locks._LIVE_TOKENS.clear()


def test_declined_recovery_is_deleted(qtbot, make_window, open_and_wait, excerpt: Path, dialog_log) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    window.autosave_now(wait=True)
    _process_died()  # the first editor crashed: its lock is stale, its recovery file is offered
    dialog_log.restore_answer = False
    other = make_window()
    open_and_wait(other, excerpt)
    assert dialog_log.asked_restore == ["sel100x"]
    assert len(other.document.editable_track) == 0
    assert not _recovery(excerpt).exists()


def test_clean_close_removes_the_recovery_file(qtbot, make_window, open_and_wait, excerpt: Path,
                                               dialog_log) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    window.autosave_now(wait=True)
    assert _recovery(excerpt).exists()
    dialog_log.save_answer = "discard"
    assert window.close()
    assert not _recovery(excerpt).exists()


def test_older_recovery_than_the_saved_file_is_not_offered(qtbot, make_window, open_and_wait,
                                                           excerpt: Path, dialog_log) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    path = window.autosave_now(wait=True)
    window.document = None  # leave the stale recovery file behind
    window.undo_stack.clear()
    doc = open_document(excerpt)
    save_document(doc)
    future = time.time() + 5
    os.utime(excerpt.with_name("sel100x.ecgs"), (future, future))
    assert path.exists()
    other = make_window()
    open_and_wait(other, excerpt)
    assert dialog_log.asked_restore == []
