"""The worklist actions of a main window: the next record to review, the folder's worklist and measurements as CSV.

The next record is chosen by :func:`ecgstudio.app.worklist.next_to_review` in
the order the record browser shows (after the user's sorting), and opened
through :meth:`MainWindow.open_record`, which asks to save unsaved changes
first (Save / Discard / Cancel), so nothing is lost by moving on.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PyQt5.QtCore import QObject, pyqtSlot
from PyQt5.QtWidgets import QFileDialog, QWidget

from ecgstudio.app.folder_beats import FolderMeasurements, write_folder_measurements
from ecgstudio.app.worklist import next_to_review, write_worklist_csv
from ecgstudio.core.errors import EcgStudioError
from ecgstudio.gui import dialogs
from ecgstudio.gui.workers import TaskRunner

if TYPE_CHECKING:
    from ecgstudio.app.folder_status import RecordStatus
    from ecgstudio.gui.main_window import MainWindow

#: Key of "Next record to review" (next page: the next document).
NEXT_RECORD_KEY = "Ctrl+PgDown"


def ask_csv_path(parent: QWidget, default: Path, title: str = "Export worklist") -> str | None:
    """Ask where to write a CSV (the worklist, or the folder's measurements); ``None`` when cancelled."""
    path, _ = QFileDialog.getSaveFileName(parent, title, str(default),
                                          "CSV files (*.csv);;All files (*)")
    return path or None


class WorklistController(QObject):
    """"Next record to review" and "Export worklist" of ``window`` (handlers of its actions).

    Parameters
    ----------
    window : MainWindow
        The window; its record browser, document and status bar are used.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._waiting = False  # "next" was asked while the folder was being read
        self._export = TaskRunner(self)  # the folder measurements export
        self._export.sigProgress.connect(self._on_export_progress)
        self._export.sigFinished.connect(self._on_exported)
        self._export.sigFailed.connect(self._on_export_failed)

    def next_record(self) -> bool:
        """Open the next record of the browser's folder that needs review (after the open one).

        Without a folder in the browser, the open record's folder is listed
        first. Returns ``True`` when a record is being opened or the choice
        waits for the listing; ``False`` (with a status-bar message) when
        there is nothing to open or the user cancelled the save question.
        """
        window = self._window
        browser = window.browser
        if browser is None or browser.folder() is None:
            if window.document is None:
                window.status.showMessage("Open a folder of records first (File → Open folder)", 6000)
                return False
            window.open_folder(window.document.record_path.parent)
            browser = window.browser
        if browser is None:
            return False
        if browser.is_listing():
            if not self._waiting:
                self._waiting = True
                browser.sigListed.connect(self._on_listed)
            window.status.showMessage("Reading the folder to find the next record to review…", 4000)
            return True
        return self._open_next()

    @pyqtSlot(int)
    def _on_listed(self, _count: int) -> None:
        browser = self._window.browser
        if browser is not None:
            browser.sigListed.disconnect(self._on_listed)
        if self._waiting:
            self._waiting = False
            self._open_next()

    def _open_next(self) -> bool:
        window = self._window
        browser = window.browser
        if browser is None:
            return False
        current = window.document.record_path if window.document is not None else None
        chosen = next_to_review(browser.visible_records(), current)
        if chosen is None:
            window.status.showMessage(f"Nothing left to review in {browser.folder()}: every other record is "
                                      "reviewed, unreadable or being edited by someone else", 8000)
            return False
        return window.open_record(chosen.path)

    def _listed_folder(self) -> tuple[Path, list[RecordStatus]] | None:
        """The browser's folder and its records, or ``None`` (said in the status bar) when there is none yet."""
        window = self._window
        browser = window.browser
        folder = None if browser is None else browser.folder()
        if browser is None or folder is None:
            window.status.showMessage("Open a folder of records first (File → Open folder)", 6000)
            return None
        if browser.is_listing():
            window.status.showMessage("Still reading the folder: export again in a moment", 4000)
            return None
        return folder, browser.records()

    def export_csv(self) -> Path | None:
        """Ask for a file and write the browser folder's worklist there; the file, or ``None``."""
        window = self._window
        listed = self._listed_folder()
        if listed is None:
            return None
        folder, rows = listed
        target = ask_csv_path(window, folder / f"{folder.name or 'records'}_worklist.csv")
        if not target:
            return None
        try:
            written = write_worklist_csv(target, rows)
        except EcgStudioError as exc:
            dialogs.show_error(window, "Cannot export the worklist", str(exc))
            return None
        window.status.showMessage(f"Worklist of {len(rows)} records written to {written}", 8000)
        return written

    def export_measurements(self) -> bool:
        """Ask for a file and write every beat of the browser folder's saved records there, in a worker thread.

        Progress and the outcome show in the status bar (an unwritable file or
        folder: a one-line error dialog). Returns ``True`` when the export was
        started. Closing the window stops it, and a stopped export writes
        nothing (the destination stays as it was).
        """
        window = self._window
        if self._export.is_running():
            window.status.showMessage("The folder measurements are still being exported", 4000)
            return False
        listed = self._listed_folder()
        if listed is None:
            return False
        folder, rows = listed
        target = ask_csv_path(window, folder / f"{folder.name or 'records'}_measurements.csv",
                              "Export folder measurements")
        if not target:
            return False
        ext = window.browser.ext()
        self._export.start(lambda progress, cancel: write_folder_measurements(
            target, rows, ext, progress=progress, cancel=cancel))
        window.status.showMessage(f"Exporting the measurements of {len(rows)} records…")
        return True

    @pyqtSlot(float)
    def _on_export_progress(self, fraction: float) -> None:
        self._window.status.showMessage(f"Exporting folder measurements… {100 * fraction:.0f} %")

    @pyqtSlot(object)
    def _on_exported(self, done: FolderMeasurements | None) -> None:
        if done is None:  # stopped before the end: nothing was written
            return
        skipped = f"; {len(done.problems)} unreadable files skipped" if done.problems else ""
        self._window.status.showMessage(
            f"{done.rows} beats of {done.records} records written to {done.path}{skipped}", 8000)

    @pyqtSlot(str)
    def _on_export_failed(self, message: str) -> None:
        self._window.status.clearMessage()
        dialogs.show_error(self._window, "Cannot export the folder measurements", message)
