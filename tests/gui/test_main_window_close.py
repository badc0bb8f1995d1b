"""Closing the main window while work runs in the background: nothing crashes, late results are dropped."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from ecgstudio.app import session
from ecgstudio.core.edits import AddWave
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.gui.workers import running_task_count


def _slow(monkeypatch: pytest.MonkeyPatch, name: str, delay_s: float) -> threading.Event:
    """Make ``session.<name>`` wait until the returned event is set (or ``delay_s`` passed)."""
    gate = threading.Event()
    real = getattr(session, name)

    def slow(*args, **kwargs):
        gate.wait(delay_s)
        return real(*args, **kwargs)

    monkeypatch.setattr(session, name, slow)
    return gate


@pytest.mark.parametrize("step", ["read_document_record", "document_for"])
def test_closing_while_a_record_opens_drops_it(qtbot, make_window, excerpt: Path,
                                               monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    window = make_window()
    gate = _slow(monkeypatch, step, 5.0)
    shown: list[object] = []
    window.sigRecordShown.connect(shown.append)
    window.sigDocumentChanged.connect(shown.append)
    window.sigOpenFailed.connect(shown.append)
    assert window.open_record(excerpt)
    if step == "document_for":  # close during the second step (the signal is already on screen)
        qtbot.waitUntil(lambda: len(shown) == 1, timeout=10_000)
    threading.Timer(0.2, gate.set).start()
    assert window.close()
    assert window.wait_until_opened(10_000)
    qtbot.wait(20)
    assert len(shown) == (1 if step == "document_for" else 0)
    assert window.document is None
    assert running_task_count() == 0


def test_close_cancelled_by_the_user_keeps_the_record_opening(qtbot, make_window, open_and_wait,
                                                              excerpt: Path, dialog_log,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    gate = _slow(monkeypatch, "read_document_record", 5.0)
    dialog_log.save_answer = "discard"
    assert window.open_record(excerpt)  # the edit is discarded, the record reopens
    dialog_log.save_answer = "cancel"
    assert not window.close()  # still dirty until the new document arrives: the user keeps the window
    with qtbot.waitSignal(window.sigDocumentChanged, timeout=15_000):
        gate.set()
    assert window.isVisible() and window.document.name == "sel100x"
    assert not window.is_dirty


def test_run_gui_gives_the_previous_excepthook_back(qtbot, monkeypatch: pytest.MonkeyPatch, dialog_log) -> None:
    from PyQt5.QtWidgets import QApplication

    from ecgstudio.gui import app as gui_app
    from ecgstudio.gui.main_window import MainWindow

    def fake_exec(self) -> int:
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
        qtbot.addWidget(window)
        return 0

    def hook(*args) -> None:
        sys.__excepthook__(*args)

    monkeypatch.setattr(QApplication, "exec_", fake_exec)
    monkeypatch.setattr(sys, "excepthook", hook)
    assert gui_app.run_gui(None, None) == 0
    # sys.__excepthook__ would make PyQt abort the process on the next exception in a slot
    assert sys.excepthook is hook
