"""Saving from the window: Ctrl+S, Save As, reference files, failures."""

from __future__ import annotations

import json
import time
from pathlib import Path

import wfdb
from PyQt5.QtCore import Qt, QTimer

from ecgstudio.core.edits import AddWave
from ecgstudio.core.waves import Wave, WaveKind

WAVES = (
    Wave(WaveKind.P, 900, 920, 940),
    Wave(WaveKind.QRS, 1000, 1010, 1020, symbol="V"),
    Wave(WaveKind.T, None, 1080, 1120),
)


def _edit(window) -> None:
    for wave in WAVES:
        assert window.push_edit(AddWave(wave))


def _fiducials(track) -> list[tuple]:
    return [(w.kind, w.onset, w.peak, w.offset, w.peak_symbol) for w in track]


def test_ctrl_s_saves_and_reopening_gives_the_same_waves(qtbot, make_window, open_and_wait,
                                                        excerpt: Path) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    _edit(window)
    window.view.select_wave(window.document.editable_track[1])
    qtbot.keyClick(window.view, Qt.Key_A)  # accept the beat -> review sidecar
    qtbot.keyClick(window.view, Qt.Key_S, Qt.ControlModifier)
    assert not window.is_dirty
    assert window.windowTitle() == "sel100x — ECG Studio"
    saved = excerpt.with_name("sel100x.ecgs")
    ann = wfdb.rdann(str(excerpt), "ecgs")
    assert list(ann.symbol) == ["(", "p", ")", "(", "V", ")", "t", ")"]
    assert list(ann.sample) == [900, 920, 940, 1000, 1010, 1020, 1080, 1120]
    assert list(ann.num) == [0, 0, 0, 1, 0, 1, 0, 2]
    review = json.loads(Path(f"{saved}.review.json").read_text())
    assert review["reviewed"] and review["reviewed"][0][0] <= 1010 < review["reviewed"][0][1]
    expected = _fiducials(window.document.editable_track)

    again = make_window()
    open_and_wait(again, excerpt)
    assert _fiducials(again.document.editable_track) == expected
    assert again.document.review.contains(1010)
    assert not again.is_dirty


def test_save_as_another_folder_and_extension(make_window, open_and_wait, excerpt: Path, dialog_log,
                                              tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    out.mkdir()
    window = make_window()
    open_and_wait(window, excerpt)
    _edit(window)
    dialog_log.save_target = (out, "mine")
    assert window.save_as()
    assert (out / "sel100x.mine").is_file()
    assert not excerpt.with_name("sel100x.ecgs").exists()
    window.push_edit(AddWave(Wave(WaveKind.QRS, 2000, 2010, 2020)))
    assert window.save()  # Save now goes where Save As went
    assert len(wfdb.rdann(str(out / "sel100x"), "mine").sample) == 11


def test_save_as_onto_a_reference_file_needs_confirmation(make_window, open_and_wait, excerpt: Path,
                                                          dialog_log) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    _edit(window)
    q1c = excerpt.with_name("sel100x.q1c")
    before = q1c.read_bytes()
    dialog_log.save_target = (excerpt.parent, "q1c")
    dialog_log.overwrite_answer = False
    assert not window.save_as()
    assert dialog_log.asked_overwrite == [q1c]
    assert q1c.read_bytes() == before
    assert window.is_dirty
    dialog_log.overwrite_answer = True
    assert window.save_as()
    assert q1c.read_bytes() != before
    assert not window.is_dirty


def test_unwritable_target_shows_an_error_and_keeps_the_edits(make_window, open_and_wait, excerpt: Path,
                                                              dialog_log, tmp_path: Path) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    _edit(window)
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    dialog_log.save_target = (blocker, "ecgs")
    assert not window.save_as()
    assert len(dialog_log.errors) == 1
    title, message = dialog_log.errors[0]
    assert "\n" not in message and "not_a_folder" in message
    assert window.is_dirty and len(window.document.editable_track) == 3
    assert window.save()  # the normal place still works
    assert not window.is_dirty


def test_edits_made_while_saving_stay_unsaved(qtbot, make_window, open_and_wait, excerpt: Path,
                                              monkeypatch) -> None:
    from ecgstudio.app import session

    real_save = session.save_document

    def slow_save(*args, **kwargs):
        time.sleep(0.4)  # the GUI keeps running meanwhile (the write is in a worker)
        return real_save(*args, **kwargs)

    monkeypatch.setattr(session, "save_document", slow_save)
    window = make_window()
    open_and_wait(window, excerpt)
    _edit(window)
    QTimer.singleShot(100, lambda: window.push_edit(AddWave(Wave(WaveKind.QRS, 2000, 2010, 2020))))
    assert window.save()
    assert len(window.document.editable_track) == 4
    assert len(wfdb.rdann(str(excerpt), "ecgs").sample) == 8  # the 3 waves of the snapshot
    assert window.is_dirty  # the 4th wave is not on disk yet


def test_a_second_ctrl_s_while_saving_starts_no_second_save(qtbot, make_window, open_and_wait, excerpt: Path,
                                                          monkeypatch) -> None:
    # before the progress box turns modal (400 ms) Ctrl+S still reaches the window: it must not start a second
    # task on the busy runner (which raised, and unhooked the first save's wait so it never returned)
    import threading

    from ecgstudio.app import session

    real_save = session.save_document
    release = threading.Event()
    writes: list[int] = []

    def held_save(*args, **kwargs):
        writes.append(1)
        assert release.wait(30), "the test never released the save"
        return real_save(*args, **kwargs)

    monkeypatch.setattr(session, "save_document", held_save)
    window = make_window()
    open_and_wait(window, excerpt)
    _edit(window)
    during: list[bool] = []

    def second_ctrl_s() -> None:
        during.append(window.saving.is_saving())
        try:
            qtbot.keyClick(window.view, Qt.Key_S, Qt.ControlModifier)
            during.append(window.saving.save())
        finally:
            release.set()

    QTimer.singleShot(0, second_ctrl_s)
    assert window.save()
    assert during == [True, False]  # the first save was running; the second one was refused
    assert writes == [1]
    assert not window.is_dirty and not window.saving.is_saving()
    assert list(wfdb.rdann(str(excerpt), "ecgs").sample) == [900, 920, 940, 1000, 1010, 1020, 1080, 1120]
    assert window.save() and writes == [1, 1]  # and saving works again afterwards


def test_save_as_dialog_validates_the_extension(qtbot, tmp_path: Path) -> None:
    from PyQt5.QtWidgets import QDialogButtonBox

    from ecgstudio.gui.dialogs import SaveAsDialog

    dialog = SaveAsDialog(None, tmp_path, "ecgs", "sel100")
    qtbot.addWidget(dialog)
    save = dialog.buttons.button(QDialogButtonBox.Save)
    assert save.isEnabled()
    dialog.ext_edit.setText("bad ext!")
    assert not save.isEnabled()
    dialog.ext_edit.setText("mine2")
    assert save.isEnabled()
    assert dialog.target() == (tmp_path, "mine2")
    assert "sel100.mine2" in dialog.ext_edit.toolTip()
