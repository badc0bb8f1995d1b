"""GUI test set-up: offscreen Qt, instant mouse events, settings and user files in tmp_path."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pyqtgraph as pg  # after the platform is chosen
import pytest

pg.setConfigOptions(mouseRateLimit=0)


@pytest.fixture(autouse=True)
def _isolated_user_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """QSettings (``ECGSTUDIO_SETTINGS``) and ``ECGSTUDIO_HOME`` inside ``tmp_path``."""
    home = tmp_path / "ecgstudio_home"
    home.mkdir()
    monkeypatch.setenv("ECGSTUDIO_HOME", str(home))
    monkeypatch.setenv("ECGSTUDIO_SETTINGS", str(tmp_path / "settings" / "ecgstudio.ini"))
    runtime = tmp_path / "xdg_runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    return home


@pytest.fixture(autouse=True)
def _no_qt_leftovers(monkeypatch: pytest.MonkeyPatch):
    """Widgets given to ``qtbot.addWidget`` live until the test is torn down; then nothing is left behind.

    pytest-qt keeps only *weak* references to the widgets it closes at
    teardown. A main window is full of reference cycles, so once the test
    function returns, the still visible window is garbage: the next garbage
    collection -- triggered by any allocation, e.g. in a Python ``paint()``
    while pytest-qt processes the pending paint events -- deletes the whole
    window from under its own paint event (segfault, "node down: Not properly
    terminated"). Here every registered widget is also held strongly until
    teardown.

    pytest-qt also only *schedules* the deletion of what it closes
    (``deleteLater``), so a closed window and its workers would live on into
    the next test. After every test: visible top-level widgets are closed (a
    main window without asking about its edits), running
    :class:`~ecgstudio.gui.workers.TaskRunner` tasks are cancelled and joined,
    and scheduled deletions happen now, on this (the GUI) thread.
    """
    from pytestqt.qtbot import QtBot

    kept: list[object] = []
    add_widget = QtBot.addWidget

    def add_and_keep(self, widget, *, before_close_func=None) -> None:
        kept.append(widget)
        add_widget(self, widget, before_close_func=before_close_func)

    monkeypatch.setattr(QtBot, "addWidget", add_and_keep)
    yield
    from PyQt5.QtCore import QCoreApplication, QEvent
    from PyQt5.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    from ecgstudio.gui.workers import running_task_count, shutdown_tasks

    for widget in app.topLevelWidgets():
        if not widget.isVisible():
            continue
        undo_stack = getattr(widget, "undo_stack", None)
        if undo_stack is not None:
            undo_stack.setClean()  # a main window left open: close it without a question
        widget.close()
        widget.deleteLater()
    if running_task_count():
        shutdown_tasks(10_000)
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    app.processEvents()
    kept.clear()  # the Qt objects are gone now; their wrappers may go whenever
    # No gc.collect() here: with TensorFlow loaded a full collection costs ~0.2 s per test, and
    # PyQt5 already defers the deletion of a QObject collected on a worker thread to the object's
    # own thread. No gc.freeze() either: under a stressed collector it made pyqtgraph paint
    # deleted items (segfault).


DATA = Path(__file__).resolve().parents[1] / "data"


class DialogLog:
    """Stands in for every modal question of ``ecgstudio.gui.dialogs`` and records the calls.

    Attributes set by a test choose the answers: ``save_answer`` ("save",
    "discard", "cancel"), ``restore_answer``, ``overwrite_answer`` and
    ``save_target`` (``(folder, ext)`` or ``None``).
    """

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []
        self.asked_save: list[str] = []
        self.asked_restore: list[str] = []
        self.asked_overwrite: list[Path] = []
        self.save_answer = "discard"
        self.restore_answer = True
        self.overwrite_answer = False
        self.save_target: tuple[Path, str] | None = None
        self.asked_reannotate: list[str] = []
        self.reannotate_answer = "keep"
        self.asked_replace: list[str] = []
        self.asked_take_over: list[str] = []
        self.restore_warnings: list[str | None] = []
        self.take_over_answer = False
        self.replace_answer = False

    def ask_take_over(self, parent, message: str) -> bool:
        self.asked_take_over.append(message)
        return self.take_over_answer

    def confirm_replace(self, parent, message: str) -> bool:
        self.asked_replace.append(message)
        return self.replace_answer

    def ask_reannotate(self, parent, name: str, reviewed_s: float) -> str:
        self.asked_reannotate.append(name)
        return self.reannotate_answer

    def show_error(self, parent, title: str, message: str) -> None:
        self.errors.append((title, message))

    def ask_save_changes(self, parent, name: str) -> str:
        self.asked_save.append(name)
        return self.save_answer

    def ask_restore(self, parent, name: str, saved_at: float, warning: str | None = None) -> bool:
        self.asked_restore.append(name)
        self.restore_warnings.append(warning)
        return self.restore_answer

    def confirm_overwrite_reference(self, parent, path: Path) -> bool:
        self.asked_overwrite.append(path)
        return self.overwrite_answer

    def choose_save_target(self, parent, folder, ext, record_name):
        return self.save_target


@pytest.fixture
def dialog_log(monkeypatch: pytest.MonkeyPatch) -> DialogLog:
    """Replace the shell's modal dialogs by a recorder (no test ever blocks on a message box)."""
    from ecgstudio.gui import dialogs

    log = DialogLog()
    for name in ("show_error", "ask_save_changes", "ask_restore", "confirm_overwrite_reference",
                 "choose_save_target", "ask_reannotate", "confirm_replace", "ask_take_over"):
        monkeypatch.setattr(dialogs, name, getattr(log, name))
    return log


@pytest.fixture
def excerpt(tmp_path: Path) -> Path:
    """30 s of sel100 (with q1c and pu) in a writable folder; returns the record path."""
    folder = tmp_path / "records"
    folder.mkdir()
    for name in ("sel100x.hea", "sel100x.dat", "sel100x.q1c", "sel100x.pu"):
        shutil.copy(DATA / name, folder / name)
    return folder / "sel100x"


@pytest.fixture
def make_window(qtbot, dialog_log: DialogLog):
    """Factory of shown main windows (closed, without questions, at teardown)."""
    from ecgstudio.gui.main_window import MainWindow

    def make(**kwargs) -> MainWindow:
        window = MainWindow(**kwargs)
        window.resize(1200, 700)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make


@pytest.fixture
def open_and_wait(qtbot):
    """``open_and_wait(window, path)``: open a record and wait until it is shown."""

    def open_(window, path) -> None:
        with qtbot.waitSignal(window.sigDocumentChanged, timeout=15_000):
            assert window.open_record(path)
        qtbot.wait(10)

    return open_
