"""The main window: opening records, undoable edits, dirty title, close prompt, keyboard, recent files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PyQt5.QtCore import QMimeData, QPoint, Qt, QUrl
from PyQt5.QtGui import QDropEvent
from PyQt5.QtWidgets import QTableView

from ecgstudio.core.edits import AddWave
from ecgstudio.core.peaks import segment_peak
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.gui.settings import recent_records
from ecgstudio.paths import sample_record_path


def test_opens_the_bundled_sample_with_its_reference_tracks(make_window, open_and_wait) -> None:
    window = make_window()
    open_and_wait(window, sample_record_path())
    doc = window.document
    assert doc.name == "sel100"
    assert window.windowTitle() == "sel100 — ECG Studio"
    names = [t.name for t in doc.tracks]
    assert {"q1c", "pu0", "pu1", "ecgs"} <= set(names)
    assert doc.editable_track.name == "ecgs"
    assert window.view.record is doc.record
    assert "250 Hz" in window.status.record_label.text()
    assert "15 min" in window.status.record_label.text()
    assert [a.text() for a in window.action_set.leads_menu.actions()] == ["MLII", "V5"]
    # nothing of ours annotated yet: the status bar says how to get the model's delineation
    assert not len(doc.editable_track)
    assert "Pre-annotate (Ctrl+R)" in window.status.currentMessage()


def test_edit_undo_redo_and_dirty_title(make_window, open_and_wait, excerpt: Path) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    track = window.document.editable_track
    wave = Wave(WaveKind.QRS, 1000, 1010, 1020)
    assert window.push_edit(AddWave(wave))
    assert list(track.waves) == [wave]
    assert window.windowTitle() == "sel100x* — ECG Studio"
    assert "unsaved" in window.status.dirty_label.text()
    window.action_set.undo.trigger()
    assert len(track) == 0
    assert window.windowTitle() == "sel100x — ECG Studio"
    window.action_set.redo.trigger()
    assert list(track.waves) == [wave]
    assert window.is_dirty


def test_a_refused_edit_is_not_an_undo_step(make_window, open_and_wait, excerpt: Path) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    assert not window.push_edit(AddWave(Wave(WaveKind.QRS, 1005, 1010, 1030)))  # overlaps
    assert window.undo_stack.count() == 1
    assert "Not possible" in window.status.currentMessage()


@pytest.mark.parametrize("answer", ["cancel", "discard"])
def test_closing_with_unsaved_changes_asks(make_window, open_and_wait, excerpt: Path, dialog_log,
                                          answer: str) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    dialog_log.save_answer = answer
    closed = window.close()
    assert dialog_log.asked_save == ["sel100x"]
    assert closed is (answer == "discard")
    assert window.isVisible() is (answer == "cancel")
    assert not excerpt.with_name("sel100x.ecgs").exists()


def test_closing_and_choosing_save_writes_the_file(make_window, open_and_wait, excerpt: Path,
                                                   dialog_log) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    dialog_log.save_answer = "save"
    assert window.close()
    assert excerpt.with_name("sel100x.ecgs").is_file()


def test_clean_window_closes_without_asking(make_window, open_and_wait, excerpt: Path, dialog_log) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    assert window.close()
    assert dialog_log.asked_save == []


def test_keyboard_nudge_is_one_undo_step_per_press(qtbot, make_window, open_and_wait,
                                                   excerpt: Path) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    track = window.document.editable_track
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    window.view.select_boundary(track[0], "offset")
    window.view.setFocus()
    for _ in range(3):
        qtbot.keyClick(window.view, Qt.Key_Period)
    qtbot.keyClick(window.view, Qt.Key_Comma)
    assert track[0].offset == 1022
    assert window.undo_stack.count() == 1 + 4
    window.undo_stack.undo()
    assert track[0].offset == 1023


def test_delete_relabel_and_accept_keys(qtbot, make_window, open_and_wait, excerpt: Path) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    track = window.document.editable_track
    window.push_edit(AddWave(Wave(WaveKind.P, 900, 920, 940)))
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    window.view.select_wave(track[0])
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key_T, Qt.ShiftModifier)  # relabel P as T
    assert track[0].kind is WaveKind.T
    window.view.select_wave(track[1])
    qtbot.keyClick(window.view, Qt.Key_A)  # accept the beat
    assert window.document.review
    assert window.document.review.contains(1010)
    window.view.select_wave(track[1])
    qtbot.keyClick(window.view, Qt.Key_Delete)
    assert [w.kind for w in track] == [WaveKind.T]
    window.undo_stack.undo()
    assert len(track) == 2


def test_add_wave_over_the_selected_range(qtbot, make_window, open_and_wait, excerpt: Path) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    window.view.set_selected_range((1000, 1030))
    window.action_set.add_wave[WaveKind.QRS].trigger()
    (wave,) = window.document.editable_track.waves
    assert (wave.kind, wave.onset, wave.offset) == (WaveKind.QRS, 1000, 1030)
    assert wave.peak == segment_peak(window.document.record.signal, 1000, 1030)  # the decoder's rule, all leads


def test_zoom_presets_and_grid_keys(qtbot, make_window, open_and_wait, excerpt: Path) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key_2)
    first, last = window.view.view_range()
    assert abs((last - first) / 250.0 - 30.0) < 0.5 or last - first >= 7499 - 1
    qtbot.keyClick(window.view, Qt.Key_1)
    first, last = window.view.view_range()
    assert abs((last - first) / 250.0 - 10.0) < 0.5
    qtbot.keyClick(window.view, Qt.Key_G)
    assert not window.view.grid_visible()
    qtbot.keyClick(window.view, Qt.Key_G)
    assert window.view.grid_visible()


def test_recent_records_are_remembered(make_window, open_and_wait, excerpt: Path) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    assert recent_records(window.settings)[0] == str(excerpt)
    entries = [a.text() for a in window.action_set.recent_menu.actions() if a.text()]
    assert entries[0] == "sel100x"


def test_dropping_a_header_opens_it(qtbot, make_window, excerpt: Path) -> None:
    window = make_window()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(excerpt.with_suffix(".hea")))])
    event = QDropEvent(QPoint(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    with qtbot.waitSignal(window.sigDocumentChanged, timeout=15_000):
        window.dropEvent(event)
    assert window.document.name == "sel100x"


def test_open_folder_lists_records_and_opens_the_activated_one(qtbot, make_window, excerpt: Path) -> None:
    window = make_window()
    window.open_folder(excerpt.parent)
    assert window.browser_dock.isVisible()
    assert window.browser.wait(10_000)
    assert [r.path.name for r in window.browser.records()] == ["sel100x"]
    with qtbot.waitSignal(window.sigDocumentChanged, timeout=15_000):
        window.browser.sigRecordActivated.emit(str(excerpt))
    assert window.document.name == "sel100x"
    assert window.browser_folder() == excerpt.parent


def test_palette_choice_is_remembered(make_window) -> None:
    window = make_window()
    window.action_set.palettes["colorblind"].trigger()
    assert window.view.palette_name() == "colorblind"
    window.close()
    again = make_window()
    assert again.view.palette_name() == "colorblind"
    assert again.action_set.palettes["colorblind"].isChecked()


def test_plot_keys_do_not_steal_arrows_from_the_docks(qtbot, make_window, open_and_wait,
                                                      excerpt: Path) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1200, 1210, 1220)))
    window.view.select_wave(window.document.editable_track[0])
    table = window.measurements.findChild(QTableView)
    table.setFocus()
    qtbot.keyClick(table, Qt.Key_Right)
    assert window.view.selected_wave() == window.document.editable_track[0]
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key_Right)
    assert window.view.selected_wave() == window.document.editable_track[1]


def test_run_gui_shows_the_window_then_opens_the_sample(qtbot, monkeypatch: pytest.MonkeyPatch,
                                                        dialog_log) -> None:
    import threading

    from PyQt5.QtWidgets import QApplication

    from ecgstudio.gui import app as gui_app
    from ecgstudio.gui.main_window import MainWindow

    seen: dict[str, object] = {}
    tf_before = "tensorflow" in sys.modules
    loads: list[tuple[bool, bool]] = []  # (on the GUI thread, the record on screen): the real one imports TensorFlow

    def fake_exec(self) -> int:
        window = next(w for w in QApplication.topLevelWidgets()
                      if isinstance(w, MainWindow) and w.isVisible())
        seen["shown_before_open"] = window.document is None
        seen["tensorflow"] = "tensorflow" in sys.modules
        monkeypatch.setattr(window.workflow.preloader, "load_fn", lambda stem: loads.append(
            (threading.current_thread() is threading.main_thread(), window.document is not None)))
        qtbot.waitUntil(lambda: window.document is not None, timeout=15_000)
        seen["name"] = window.document.name
        qtbot.waitUntil(lambda: bool(loads), timeout=5000)
        window.close()
        window.deleteLater()
        return 0

    monkeypatch.setattr(QApplication, "exec_", fake_exec)
    assert gui_app.run_gui(None, None) == 0
    assert seen["shown_before_open"] and seen["name"] == "sel100"
    assert tf_before or not seen["tensorflow"]  # nothing imports TensorFlow before the window is painted
    assert loads == [(False, True)]  # the model is loaded in a worker thread once the record is shown


def test_view_menu_hides_a_lead_and_shows_the_panels(make_window, open_and_wait, excerpt: Path) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    v5 = window.action_set.leads_menu.actions()[1]
    v5.trigger()
    assert not window.view.lead_visible(1) and window.view.lead_visible(0)
    v5.trigger()
    assert window.view.lead_visible(1)
    panels = [a.text() for a in window.action_set.panels_menu.actions()]
    assert panels == ["Record info", "Measurements", "Uncertain waves"]
    window.open_folder(excerpt.parent)
    assert [a.text() for a in window.action_set.panels_menu.actions()] == ["Record info", "Measurements", "Uncertain waves", "Records"]
    window.browser.wait(10_000)


def test_a_recent_record_that_disappeared_is_dropped_from_the_list(qtbot, make_window, open_and_wait,
                                                                   excerpt: Path, dialog_log) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    window.close()
    for suffix in (".hea", ".dat"):
        excerpt.with_suffix(suffix).unlink()
    again = make_window()
    recent = [a for a in again.action_set.recent_menu.actions() if a.text() == "sel100x"]
    with qtbot.waitSignal(again.sigOpenFailed, timeout=15_000):
        recent[0].trigger()
    assert len(dialog_log.errors) == 1
    assert str(excerpt) not in recent_records(again.settings)
    assert "sel100x" not in [a.text() for a in again.action_set.recent_menu.actions()]


def test_dropping_a_folder_browses_it_and_quit_asks_first(qtbot, make_window, open_and_wait, excerpt: Path,
                                                          dialog_log) -> None:
    window = make_window()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(excerpt.parent))])
    window.dropEvent(QDropEvent(QPoint(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))
    assert window.browser_folder() == excerpt.parent
    window.browser.wait(10_000)
    open_and_wait(window, excerpt)
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    dialog_log.save_answer = "cancel"
    window.action_set.quit.trigger()
    assert window.isVisible() and dialog_log.asked_save == ["sel100x"]
