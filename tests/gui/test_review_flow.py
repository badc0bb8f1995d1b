"""Keyboard-first review that keeps the beat: zoom/presets around the selected beat, Home/End, go to time,
Measurements clicks, R on what is visible, messages in times, model preloaded, Help, window size."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from PyQt5.QtCore import QSize, Qt
from PyQt5.QtTest import QTest
from PyQt5.QtWidgets import QApplication

from ecgstudio import __version__
from ecgstudio.core.edits import AddWave
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.gui import dialogs
from ecgstudio.gui.help_dialogs import about_text
from ecgstudio.gui.messages import clinical_message, parse_time
from ecgstudio.gui.screen_fit import available_rect, first_window_size
from ecgstudio.gui.view_navigation import wave_centre

DATA = Path(__file__).resolve().parents[1] / "data"
FS = 250.0


@pytest.fixture
def reviewing(make_window, open_and_wait, excerpt: Path):
    """A window on the 30-s excerpt whose editable track is a copy of ``q1c`` (every beat delineated)."""
    window = make_window()
    open_and_wait(window, excerpt)
    assert window.annotating.copy_reference(["q1c"])
    window.view.setFocus()
    return window


def centre(window) -> float:
    first, last = window.view.window()
    return (first + last) / 2


def qrs_near(window, seconds: float) -> Wave:
    track = window.view.editable_track()
    return min((w for w in track if w.kind is WaveKind.QRS), key=lambda w: abs(wave_centre(w) - seconds * FS))


def test_zoom_keys_and_presets_keep_the_selected_beat_centred(qtbot, reviewing) -> None:
    window, view = reviewing, reviewing.view
    qtbot.keyClick(view, Qt.Key_0)  # the whole record
    beat = qrs_near(window, 21.0)
    view.select_wave(beat)
    qtbot.keyClick(view, Qt.Key_1)  # 10 s: around the beat, not around the old centre (15 s)
    assert centre(window) == pytest.approx(wave_centre(beat), abs=1)
    qtbot.keyClick(view, Qt.Key_Plus)
    assert centre(window) == pytest.approx(wave_centre(beat), abs=1)
    first, last = view.window()
    assert (last - first) / FS == pytest.approx(5.0, abs=0.1)
    qtbot.keyClick(view, Qt.Key_Minus)
    assert centre(window) == pytest.approx(wave_centre(beat), abs=1)
    qtbot.keyClick(view, Qt.Key_Minus)  # 20 s: the record's end stops the window short of centring
    assert view.window() == (window.document.n_samples - 1 - 20 * FS, window.document.n_samples - 1)
    view.pan_by(-3.0)  # the beat scrolled out of sight: zooming keeps the window's own centre
    middle = centre(window)
    qtbot.keyClick(view, Qt.Key_Plus)
    assert centre(window) == pytest.approx(middle, abs=1)


def test_home_end_and_go_to_time(qtbot, reviewing, monkeypatch: pytest.MonkeyPatch) -> None:
    window, view = reviewing, reviewing.view
    qtbot.keyClick(view, Qt.Key_1)
    qtbot.keyClick(view, Qt.Key_End)
    assert view.window()[1] == pytest.approx(window.document.n_samples - 1)
    qtbot.keyClick(view, Qt.Key_Home)
    assert view.window()[0] == 0
    asked = []
    monkeypatch.setattr(dialogs, "ask_time", lambda parent, current, duration: asked.append(duration) or "0:12.5")
    qtbot.keyClick(window, Qt.Key_G, Qt.ControlModifier)
    assert asked == ["30.00"]
    assert centre(window) == pytest.approx(12.5 * FS, abs=1)
    selected = view.selected_wave()
    assert selected is not None and selected.kind is WaveKind.QRS
    assert selected == qrs_near(window, 12.5)
    monkeypatch.setattr(dialogs, "ask_time", lambda *args: "75")
    qtbot.keyClick(window, Qt.Key_G, Qt.ControlModifier)
    assert "outside the record" in window.status.currentMessage()
    monkeypatch.setattr(dialogs, "ask_time", lambda *args: "soon")
    window.action_set.goto_time.trigger()
    assert "not a time" in window.status.currentMessage()
    assert centre(window) == pytest.approx(12.5 * FS, abs=1)


def test_parse_time_accepts_clock_and_seconds() -> None:
    assert parse_time("1:23.5") == 83.5
    assert parse_time("83.5 s") == 83.5
    assert parse_time("1:02:03") == 3723.0
    for bad in ("", "soon", "1:75", "-3"):
        with pytest.raises(ValueError):
            parse_time(bad)


def test_measurements_click_selects_the_beat_and_gives_the_keys_back_to_the_plot(qtbot, reviewing) -> None:
    window, view = reviewing, reviewing.view
    window.activateWindow()
    qtbot.waitActive(window)
    panel = window.measurements
    assert panel.wait(10_000)
    qtbot.waitUntil(lambda: panel.table() is not None and len(panel.table().beat_sample) > 10, timeout=10_000)
    table_view = panel._view
    row = 8
    sample = int(panel.table().beat_sample[row])
    rect = table_view.visualRect(table_view.model().index(row, 1))
    QTest.mouseClick(table_view.viewport(), Qt.LeftButton, Qt.NoModifier, rect.center())
    QApplication.processEvents()
    selected = view.selected_wave()
    assert selected is not None and selected.kind is WaveKind.QRS and selected.start <= sample <= selected.offset
    assert centre(window) == pytest.approx(wave_centre(selected), abs=1)
    assert view.hasFocus()
    qtbot.keyClick(view, Qt.Key_Right)  # the plot's keys work at once
    nxt = view.selected_wave()
    assert nxt.kind is WaveKind.QRS and nxt.start > selected.start


def test_r_marks_the_visible_range_unless_a_visible_selection_exists(qtbot, reviewing) -> None:
    window, view = reviewing, reviewing.view
    view.set_view_range(0, 5 * FS)
    view.set_selected_range((100, 300))
    view.set_view_range(15 * FS, 20 * FS)  # the old selection is out of sight
    qtbot.keyClick(view, Qt.Key_R)
    spans = window.document.review.spans
    assert [tuple(s) for s in spans] == [(int(15 * FS), int(20 * FS) + 1)]
    assert "visible range" in window.status.currentMessage() and "15.00–20.00 s" in window.status.currentMessage()
    window.undo_stack.undo()
    view.set_selected_range((int(16 * FS), int(17 * FS)))  # visible: R marks it
    qtbot.keyClick(view, Qt.Key_R)
    assert [tuple(s) for s in window.document.review.spans] == [(int(16 * FS), int(17 * FS) + 1)]
    assert "selected range" in window.status.currentMessage()


def test_refused_edits_are_told_in_times_and_clinical_words(reviewing, excerpt: Path) -> None:
    window = reviewing
    qrs = qrs_near(window, 10.0)
    assert not window.push_edit(AddWave(Wave(WaveKind.QRS, qrs.start + 2, qrs.start + 5, qrs.offset + 3)))
    message = window.status.currentMessage()
    assert "sample" not in message and "QRS complex at " in message and " s" in message
    assert clinical_message("track 'ecgs': T wave at sample 481..509 directly after T wave at sample 410..427",
                            250.0) == "T wave at 1.92–2.04 s directly after a T wave at 1.64–1.71 s"


def test_the_model_loads_in_a_worker_once_the_record_is_shown(qtbot, make_window, open_and_wait,
                                                             excerpt: Path) -> None:
    window = make_window(preload_model=True)
    calls: list[tuple[str, bool, bool]] = []
    window.workflow.preloader.load_fn = lambda stem: calls.append(
        (stem, threading.current_thread() is threading.main_thread(), window.document is not None))
    assert calls == []  # nothing before a record is on screen
    open_and_wait(window, excerpt)
    qtbot.waitUntil(lambda: window.workflow.preloader.state() == "ready", timeout=5000)
    assert calls == [(window.model_stem, False, True)]
    assert "ready" in window.status.model_label.text()
    open_and_wait(window, excerpt)  # the same model: not loaded again
    assert len(calls) == 1


def test_no_preload_unless_asked(make_window, open_and_wait, excerpt: Path) -> None:
    window = make_window()
    calls = []
    window.workflow.preloader.load_fn = calls.append
    open_and_wait(window, excerpt)
    QApplication.processEvents()
    assert calls == [] and not window.workflow.preloader.is_running()


def test_help_lists_the_actions_and_about_names_version_and_model(make_window) -> None:
    window = make_window()
    dialog = window.workflow.show_shortcuts()
    rows = dialog.rows()
    assert ("File", "Save as", "Ctrl+Shift+S") in rows
    assert ("View › Zoom", "10 s", "1") in rows
    assert ("View", "Go to time", "Ctrl+G") in rows
    assert ("View", "Calipers", "C") in rows
    assert ("View › Paper speed", "25 mm/s", "Ctrl+2") in rows
    assert ("Help", "Keyboard shortcuts", "F1") in rows
    area = available_rect(dialog)
    assert dialog.frameGeometry().height() <= area.height() and dialog.width() <= area.width()
    dialog.close()
    text = about_text(__version__, window.model_stem)
    assert __version__ in text and "Model in use:</b> default" in text


def test_standard_shortcuts_are_set_and_save_as_works(qtbot, make_window, open_and_wait, excerpt: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    asked = []
    monkeypatch.setattr(dialogs, "choose_save_target", lambda *args: asked.append(args) or None)
    qtbot.keyClick(window, Qt.Key_S, Qt.ControlModifier | Qt.ShiftModifier)
    assert len(asked) == 1
    assert window.action_set.save_as.shortcut().toString() == "Ctrl+Shift+S"
    assert window.action_set.quit.shortcut().toString() == "Ctrl+Q"


def test_first_window_size_and_record_info(make_window, open_and_wait, tmp_path: Path) -> None:
    assert first_window_size(QSize(1920, 1080)) == QSize(1536, 864)
    assert first_window_size(QSize(1366, 768)) == QSize(1200, 760)
    assert first_window_size(QSize(800, 600)) == QSize(800, 600)
    from ecgstudio.gui.main_window import MainWindow

    fresh = MainWindow()  # no remembered geometry
    try:
        assert fresh.size() == first_window_size(available_rect(fresh))
    finally:
        fresh.deleteLater()
    folder = tmp_path / "ludb"
    folder.mkdir()
    for path in (DATA / "ludb").glob("1.*"):
        shutil.copy(path, folder / path.name)
    window = make_window()
    open_and_wait(window, folder / "1")
    text = window.workflow.info.text()
    assert "Age\n51" in text and "Sex\nfemale" in text
    assert "female" in text and "Sinus bradycardia" in text and "12: I, II, III, aVR" in text  # as printed on paper
    assert window.workflow.info_dock.isVisible()


def test_fine_tune_dialog_stays_on_the_screen_after_training(qtbot, tmp_path: Path) -> None:
    from ecgstudio.gui.finetune_dialog import FineTuneDialog
    from tests.gui.test_finetune_dialog import FakeFinetune, _folder, fake_count

    dialog = FineTuneDialog(None, _folder(tmp_path), "/models/default", finetune_fn=FakeFinetune(),
                            count_fn=fake_count, out_dir=tmp_path / "user_models")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.wait(5000)
    dialog._name.setText("fits")
    with qtbot.waitSignal(dialog._train_runner.sigFinished, timeout=5000):
        dialog._start.click()
    QApplication.processEvents()
    area = available_rect(dialog)
    frame = dialog.frameGeometry()
    assert area.top() <= frame.top() and frame.bottom() <= area.bottom()
    button = dialog._use
    assert area.contains(button.mapToGlobal(button.rect().bottomRight()))  # "Use the new model" reachable
