"""The worklist in the editor: states in the browser, next record to review (Ctrl+PgDown), CSV export."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from PyQt5.QtCore import Qt

from ecgstudio.core.review import ReviewInfo, ReviewMark, ReviewSpans
from ecgstudio.io.review import write_review
from tests.helpers import sel100x_copy

DATA = Path(__file__).resolve().parents[1] / "data"
N = 7500  # sel100x: 30 s at 250 Hz


_record = sel100x_copy


def _reviewed(record: Path, spans: list[tuple[int, int]], reviewer: str = "anna") -> None:
    """Give ``record`` a saved .ecgs (a copy of sel100x's ecgpuwave track) and review marks."""
    annotation = record.with_name(record.name + ".ecgs")
    annotation.write_bytes((DATA / "sel100x.pu").read_bytes())
    marks = tuple(ReviewMark(a, b, reviewer, "2026-01-02T09:00:00Z") for a, b in spans)
    write_review(annotation, ReviewSpans(spans), fs=250.0, info=ReviewInfo(marks, "default", "2026-01-02T08:00:00Z"))


@pytest.fixture
def worklist_folder(tmp_path: Path) -> Path:
    """a: reviewed, b: untouched, c: in progress, d: reviewed, e: untouched."""
    folder = tmp_path / "ward"
    folder.mkdir()
    for name in "abcde":
        _record(folder, name)
    _reviewed(folder / "a", [(0, N)])
    _reviewed(folder / "c", [(0, 3000)], reviewer="bob")
    _reviewed(folder / "d", [(0, N)])
    return folder


def _listed(qtbot, window, folder: Path) -> None:
    window.open_folder(folder)
    assert window.browser.wait(10_000)
    qtbot.waitUntil(lambda: len(window.browser.records()) == 5, timeout=5000)


def _cells(window) -> dict[str, list[str]]:
    table = window.browser._table
    return {table.item(r, 0).text(): [table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())}


def test_browser_shows_state_share_and_reviewer(qtbot, make_window, worklist_folder):
    window = make_window()
    _listed(qtbot, window, worklist_folder)
    cells = _cells(window)
    assert [cells[n][1] for n in "abcde"] == ["reviewed", "untouched", "in progress 40 %", "reviewed", "untouched"]
    assert cells["c"][2:5] == ["40 %", "0:30", "bob"]
    assert "2 of 5 reviewed" in window.browser._status.text()


def test_next_record_key_opens_the_next_unreviewed_record(qtbot, make_window, open_and_wait, worklist_folder):
    window = make_window()
    _listed(qtbot, window, worklist_folder)
    open_and_wait(window, worklist_folder / "a")
    window.view.setFocus()
    with qtbot.waitSignal(window.sigDocumentChanged, timeout=15_000):
        qtbot.keyClick(window.view, Qt.Key_PageDown, Qt.ControlModifier)
    assert window.document.record_path == worklist_folder / "b"
    with qtbot.waitSignal(window.sigDocumentChanged, timeout=15_000):
        window.action_set.next_record.trigger()
    assert window.document.record_path == worklist_folder / "c"
    with qtbot.waitSignal(window.sigDocumentChanged, timeout=15_000):
        window.action_set.next_record.trigger()
    assert window.document.record_path == worklist_folder / "e"  # d is reviewed
    with qtbot.waitSignal(window.sigDocumentChanged, timeout=15_000):
        window.action_set.next_record.trigger()
    assert window.document.record_path == worklist_folder / "b"  # wraps around


def test_next_record_follows_the_browser_sorting(qtbot, make_window, open_and_wait, worklist_folder):
    window = make_window()
    _listed(qtbot, window, worklist_folder)
    window.browser._table.sortByColumn(0, Qt.DescendingOrder)  # e d c b a
    open_and_wait(window, worklist_folder / "e")
    with qtbot.waitSignal(window.sigDocumentChanged, timeout=15_000):
        assert window.worklist.next_record()
    assert window.document.record_path == worklist_folder / "c"


def test_next_record_asks_to_save_and_cancel_keeps_the_work(qtbot, make_window, open_and_wait, dialog_log,
                                                            worklist_folder):
    window = make_window()
    _listed(qtbot, window, worklist_folder)
    open_and_wait(window, worklist_folder / "c")
    assert window.mark_reviewed(3000, 4000)
    dialog_log.save_answer = "cancel"
    assert not window.worklist.next_record()
    assert dialog_log.asked_save == ["c"]
    assert window.document.record_path == worklist_folder / "c" and window.is_dirty


def test_next_record_without_a_browser_lists_the_open_records_folder(qtbot, make_window, open_and_wait,
                                                                     worklist_folder):
    window = make_window()
    open_and_wait(window, worklist_folder / "b")
    assert window.browser is None
    with qtbot.waitSignal(window.sigDocumentChanged, timeout=15_000):
        assert window.worklist.next_record()
    assert window.document.record_path == worklist_folder / "c"


def test_state_in_the_browser_follows_a_save(qtbot, make_window, open_and_wait, worklist_folder):
    window = make_window()
    _listed(qtbot, window, worklist_folder)
    open_and_wait(window, worklist_folder / "c")
    assert window.mark_reviewed(3000, N)
    with qtbot.waitSignal(window.browser.sigListed, timeout=15_000):
        assert window.save()
    assert _cells(window)["c"][1:3] == ["reviewed", "100 %"]


def test_export_from_the_browser_button(qtbot, make_window, worklist_folder, tmp_path, monkeypatch):
    import ecgstudio.gui.worklist as worklist_gui

    out = tmp_path / "ward_worklist.csv"
    asked: list[Path] = []
    monkeypatch.setattr(worklist_gui, "ask_csv_path", lambda _parent, default: asked.append(default) or str(out))
    window = make_window()
    _listed(qtbot, window, worklist_folder)
    window.browser.sigExportRequested.emit()
    assert asked == [worklist_folder / "ward_worklist.csv"]
    with open(out, newline="", encoding="utf-8") as fh:
        rows = {r["record"]: r for r in csv.DictReader(fh)}
    assert [rows[n]["status"] for n in "abcde"] == ["reviewed", "untouched", "in progress", "reviewed", "untouched"]
    assert rows["c"]["reviewer"] == "bob" and rows["c"]["reviewed_percent"] == "40.0"


def test_export_into_a_missing_folder_is_one_message(qtbot, make_window, worklist_folder, tmp_path, monkeypatch,
                                                     dialog_log):
    import ecgstudio.gui.worklist as worklist_gui

    monkeypatch.setattr(worklist_gui, "ask_csv_path", lambda *_a: os.fspath(tmp_path / "gone" / "w.csv"))
    window = make_window()
    _listed(qtbot, window, worklist_folder)
    assert window.action_set.export_worklist.isEnabled()
    window.action_set.export_worklist.trigger()
    assert len(dialog_log.errors) == 1 and "does not exist" in dialog_log.errors[0][1]


def test_beats_column_and_folder_measurements(qtbot, make_window, worklist_folder, tmp_path, monkeypatch):
    import ecgstudio.gui.worklist as worklist_gui
    from ecgstudio.app.folder_beats import BeatCounter

    expected = BeatCounter().count(next(r for r in _folder_rows(worklist_folder) if r.name == "a"))
    assert expected
    out = tmp_path / "m.csv"
    asked: list[tuple[Path, str]] = []
    monkeypatch.setattr(worklist_gui, "ask_csv_path",
                        lambda _parent, default, title="": asked.append((default, title)) or str(out))
    window = make_window()
    _listed(qtbot, window, worklist_folder)
    cells = _cells(window)
    assert [cells[n][8] for n in "abcde"] == [str(expected), "", str(expected), str(expected), ""]
    window.browser.sigMeasurementsRequested.emit()
    assert asked == [(worklist_folder / "ward_measurements.csv", "Export folder measurements")]
    # written in a worker thread: the window keeps answering, the status bar says when it is done
    qtbot.waitUntil(lambda: "beats of 3 records written to" in window.status.currentMessage(), timeout=10000)
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    n_leads = len({r["lead"] for r in rows})  # sel100x.pu: one track per lead, each with every beat
    assert n_leads == 2
    assert {n: sum(r["record"] == n for r in rows) for n in "abcde"} == {
        "a": n_leads * expected, "b": 0, "c": n_leads * expected, "d": n_leads * expected, "e": 0}
    assert window.action_set.export_measurements is not None


def test_measurements_into_a_missing_folder_is_one_message(qtbot, make_window, worklist_folder, tmp_path,
                                                          monkeypatch, dialog_log):
    import ecgstudio.gui.worklist as worklist_gui

    monkeypatch.setattr(worklist_gui, "ask_csv_path", lambda *_a: os.fspath(tmp_path / "gone" / "m.csv"))
    window = make_window()
    _listed(qtbot, window, worklist_folder)
    window.action_set.export_measurements.trigger()
    qtbot.waitUntil(lambda: len(dialog_log.errors) == 1, timeout=10000)
    title, message = dialog_log.errors[0]
    assert title == "Cannot export the folder measurements" and "does not exist" in message and "\n" not in message


def _folder_rows(folder: Path) -> list:
    from ecgstudio.app.folder_status import folder_status

    return folder_status(folder)
