"""Bad files give a one-line message box, never a crash, and the window keeps working."""

from __future__ import annotations

from pathlib import Path

import pytest
from PyQt5.QtWidgets import QMessageBox

from ecgstudio.core.edits import AddWave
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.gui.dialogs import show_error as REAL_SHOW_ERROR


@pytest.fixture
def critical_boxes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Record ``QMessageBox.critical`` calls (the real ``dialogs.show_error`` path) instead of blocking."""
    shown: list[tuple[str, str]] = []

    def fake_critical(parent, title, text, *args, **kwargs):
        shown.append((title, text))
        return QMessageBox.Ok

    monkeypatch.setattr(QMessageBox, "critical", staticmethod(fake_critical))
    return shown


def _open_and_fail(qtbot, window, path) -> str:
    with qtbot.waitSignal(window.sigOpenFailed, timeout=15_000) as blocker:
        assert window.open_record(path)
    return blocker.args[0]


def test_corrupt_header_shows_an_error_and_the_window_still_works(
        qtbot, make_window, open_and_wait, excerpt: Path, tmp_path: Path, critical_boxes,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ecgstudio.gui import dialogs

    monkeypatch.setattr(dialogs, "show_error", REAL_SHOW_ERROR)  # the real QMessageBox path
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "rec.hea").write_text("rec two 250 notanumber\nrec.dat 16 200 mV\n")
    window = make_window()
    message = _open_and_fail(qtbot, window, bad / "rec.hea")
    assert len(critical_boxes) == 1
    title, text = critical_boxes[0]
    assert title == "Cannot open record" and text == message
    assert "\n" not in text and "rec.hea" in text
    assert window.document is None
    open_and_wait(window, excerpt)  # still works
    assert window.document.name == "sel100x"


def test_missing_signal_file_keeps_the_open_document(qtbot, make_window, open_and_wait, excerpt: Path,
                                                     tmp_path: Path, dialog_log) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    other = tmp_path / "other"
    other.mkdir()
    (other / "rec.hea").write_text(excerpt.with_suffix(".hea").read_text().replace("sel100x", "rec"))
    dialog_log.save_answer = "discard"
    message = _open_and_fail(qtbot, window, other / "rec")
    assert dialog_log.errors == [("Cannot open record", message)]
    assert "rec" in message and "\n" not in message
    assert window.document.name == "sel100x"  # what was open stays open
    assert len(window.document.editable_track) == 1


def test_broken_annotation_file_is_skipped_not_fatal(qtbot, make_window, open_and_wait, excerpt: Path,
                                                     dialog_log) -> None:
    excerpt.with_name("sel100x.zzz").write_bytes(b"\x01\x02\x03")
    window = make_window()
    open_and_wait(window, excerpt)
    assert dialog_log.errors == []
    assert any("zzz" in note for note in window.document.notes)
    assert "zzz" in window.status.currentMessage()
    assert "q1c" in [t.name for t in window.document.tracks]


def test_corrupt_review_sidecar_is_a_note(qtbot, make_window, open_and_wait, excerpt: Path,
                                          dialog_log) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    assert window.save()
    Path(f"{excerpt}.ecgs.review.json").write_text("{broken")
    again = make_window()
    open_and_wait(again, excerpt)
    assert len(again.document.editable_track) == 1
    assert not again.document.review
    assert any("review" in note for note in again.document.notes)


def test_corrupt_editable_file_keeps_the_previous_document(qtbot, make_window, open_and_wait,
                                                           excerpt: Path, tmp_path: Path, dialog_log) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    other = tmp_path / "other"
    other.mkdir()
    for suffix in (".hea", ".dat"):
        (other / f"sel100x{suffix}").write_bytes(excerpt.with_suffix(suffix).read_bytes())
    (other / "sel100x.ecgs").write_bytes(b"\x07garbage that is no annotation file")
    message = _open_and_fail(qtbot, window, other / "sel100x")
    assert "sel100x.ecgs" in message
    assert window.document is not None and window.document.record_path == excerpt
    assert window.view.record is window.document.record  # the old record is shown again
    assert len(window.document.editable_track) == 1 and window.is_dirty


def test_unexpected_exception_in_a_slot_is_reported_not_fatal(make_window, dialog_log,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from ecgstudio.gui.app import install_excepthook

    window = make_window()
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    install_excepthook(window)
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    assert dialog_log.errors == [("Unexpected error", "unexpected error: ValueError: bad thing")]


def test_save_into_a_folder_that_refuses_writing(make_window, open_and_wait, excerpt: Path, dialog_log,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    window = make_window()
    open_and_wait(window, excerpt)
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    monkeypatch.setattr(tempfile, "mkdtemp", refuse)  # what a read-only folder does (tests run as root)
    assert not window.save()
    (title, message), = dialog_log.errors
    assert "Permission denied" in message and "\n" not in message
    assert window.is_dirty
    monkeypatch.undo()
    assert window.save()
