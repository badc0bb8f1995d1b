"""RecordBrowser: lists a folder in the background, double-click opens a record."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PyQt5.QtCore import Qt

from ecgstudio.gui.record_browser import RecordBrowser, format_duration
from ecgstudio.paths import sample_record_path


def _folder(tmp_path: Path) -> Path:
    src = sample_record_path()
    for name in ("sel100", "sel200"):
        for suffix in (".hea", ".dat"):
            data = src.with_suffix(suffix).read_bytes()
            if suffix == ".hea":
                data = data.replace(b"sel100", name.encode())
            (tmp_path / f"{name}{suffix}").write_bytes(data)
    (tmp_path / "sel200.ecgs").write_bytes(b"\x00\x00")
    (tmp_path / "sel200.ecgs.review.json").write_text(
        json.dumps({"version": 1, "fs": 250.0, "reviewed": [[0, 112500]]}), encoding="utf-8")
    (tmp_path / "broken.hea").write_text("nonsense\n", encoding="utf-8")
    return tmp_path


@pytest.fixture
def browser(qtbot):
    w = RecordBrowser()
    qtbot.addWidget(w)
    w.resize(420, 300)
    yield w
    assert w.wait(5000)


def _texts(browser):
    t = browser._table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def test_lists_records_with_duration_fs_leads_and_review(browser, qtbot, tmp_path):
    with qtbot.waitSignal(browser.sigListed, timeout=5000) as blocker:
        browser.set_folder(_folder(tmp_path))
    assert blocker.args == [3]
    rows = {r[0]: r for r in _texts(browser)}
    assert rows["sel100"] == ["sel100", "untouched", "–", "15:00", "", "", "250", "2", ""]
    assert rows["sel200"][:4] == ["sel200", "in progress 50 %", "50 %", "15:00"]
    assert rows["sel200"][6:8] == ["250", "2"]
    assert rows["sel200"][5]  # when the review marks were saved
    assert rows["broken"][1:3] == ["unreadable", "–"]
    assert "3 records" in browser._status.text()
    assert "0 of 3 reviewed" in browser._status.text()


def test_double_click_activates_the_record(browser, qtbot, tmp_path):
    folder = _folder(tmp_path)
    with qtbot.waitSignal(browser.sigListed, timeout=5000):
        browser.set_folder(folder)
    browser.show()
    table = browser._table
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "sel200")
    rect = table.visualItemRect(table.item(row, 1))
    with qtbot.waitSignal(browser.sigRecordActivated, timeout=1000) as blocker:
        qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.center())
        qtbot.mouseDClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    assert Path(blocker.args[0]) == folder / "sel200"


def test_unreadable_record_is_not_activated(browser, qtbot, tmp_path):
    with qtbot.waitSignal(browser.sigListed, timeout=5000):
        browser.set_folder(_folder(tmp_path))
    table = browser._table
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "broken")
    with qtbot.assertNotEmitted(browser.sigRecordActivated):
        table.itemActivated.emit(table.item(row, 0))


def test_refresh_picks_up_review_progress(browser, qtbot, tmp_path):
    folder = _folder(tmp_path)
    with qtbot.waitSignal(browser.sigListed, timeout=5000):
        browser.set_folder(folder)
    (folder / "sel100.ecgs").write_bytes(b"\x00\x00")
    (folder / "sel100.ecgs.review.json").write_text(
        json.dumps({"version": 1, "fs": 250.0, "reviewed": [[0, 225000]]}), encoding="utf-8")
    with qtbot.waitSignal(browser.sigListed, timeout=5000):
        browser.refresh()
    rows = {r[0]: r for r in _texts(browser)}
    assert rows["sel100"][1:3] == ["reviewed", "100 %"]


def test_current_record_is_bold(browser, qtbot, tmp_path):
    folder = _folder(tmp_path)
    with qtbot.waitSignal(browser.sigListed, timeout=5000):
        browser.set_folder(folder)
    browser.set_current_record(folder / "sel100")
    table = browser._table
    bold = [table.item(r, 0).text() for r in range(table.rowCount()) if table.item(r, 0).font().bold()]
    assert bold == ["sel100"]


def test_missing_folder_shows_message(browser, qtbot, tmp_path):
    with qtbot.waitSignal(browser.sigListed, timeout=5000) as blocker:
        browser.set_folder(tmp_path / "nope")
    assert blocker.args == [0]
    assert "not a folder" in browser._status.text()


def test_switching_folders_quickly_shows_the_last_one(browser, qtbot, tmp_path):
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    _folder(a)
    shutil.copy(sample_record_path().with_suffix(".hea"), b / "sel100.hea")
    shutil.copy(sample_record_path().with_suffix(".dat"), b / "sel100.dat")
    browser.set_folder(a)
    with qtbot.waitSignal(browser.sigListed, timeout=5000):
        browser.set_folder(b)
    qtbot.wait(100)
    assert [r[0] for r in _texts(browser)] == ["sel100"]


def test_format_duration():
    assert format_duration(900) == "15:00"
    assert format_duration(86400) == "24:00:00"
    assert format_duration(float("nan")) == "–"


def test_enter_opens_the_selected_record(browser, qtbot, tmp_path):
    folder = _folder(tmp_path)
    with qtbot.waitSignal(browser.sigListed, timeout=5000):
        browser.set_folder(folder)
    browser.show()
    browser.set_current_record(folder / "sel100")
    table = browser._table
    table.setFocus()
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "sel100")
    table.setCurrentCell(row, 0)
    with qtbot.waitSignal(browser.sigRecordActivated, timeout=1000) as blocker:
        qtbot.keyClick(table, Qt.Key_Return)
    assert Path(blocker.args[0]) == folder / "sel100"
