"""Opening records and folders in the main window: the worker-thread open, its outcomes, File > Open, drops.

:class:`WindowOpening` is a mixin of :class:`~ecgstudio.gui.main_window.MainWindow`: it
starts :class:`~ecgstudio.gui.opener.RecordOpener` (the record is read in a worker
thread), shows the signal as soon as it is read, restores the previous document when
opening fails or is cancelled, and hands the opened document to ``set_document``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt5.QtCore import Qt

from ecgstudio.gui import dialogs
from ecgstudio.gui.settings import remove_recent_record

if TYPE_CHECKING:
    from PyQt5.QtCore import QMimeData, QSettings
    from PyQt5.QtWidgets import QDockWidget

    from ecgstudio.app import autosave
    from ecgstudio.app.document import Document
    from ecgstudio.core.record import Record
    from ecgstudio.gui.annotating import AnnotateController
    from ecgstudio.gui.leads_view import LeadsView
    from ecgstudio.gui.measurements_panel import MeasurementsPanel
    from ecgstudio.gui.opener import RecordOpener
    from ecgstudio.gui.record_browser import RecordBrowser
    from ecgstudio.gui.statusbar import StatusBar
    from ecgstudio.gui.view_options import ViewOptions
    from ecgstudio.gui.worklist import WorklistController


class WindowOpening:
    """Open a record or a folder (mixin of :class:`~ecgstudio.gui.main_window.MainWindow`)."""

    document: Document | None
    settings: QSettings
    status: StatusBar
    view: LeadsView
    measurements: MeasurementsPanel
    annotating: AnnotateController
    options: ViewOptions
    worklist: WorklistController
    browser: RecordBrowser | None
    browser_dock: QDockWidget | None
    _opener: RecordOpener
    _previous: Document | None
    _closed: bool

    # MainWindow provides maybe_save, set_document, _show, _update_title, _add_dock and the
    # QMainWindow methods (not declared here: a stub in a mixin would hide the real method)

    def open_record(self, path: str | os.PathLike[str]) -> bool:
        """Start opening a record (``dir/rec`` or ``dir/rec.hea``) in a worker thread.

        Returns ``False`` when nothing was started (the user cancelled the
        unsaved-changes question, or another record is still loading).
        ``sigDocumentChanged`` or ``sigOpenFailed`` follows.
        """
        if self._opener.is_running():
            self.status.showMessage("Still opening the previous record…", 4000)
            return False
        if not self.maybe_save():
            return False
        self._closed = False
        self.status.showMessage(f"Opening {Path(path).name}…")
        self.setCursor(Qt.BusyCursor)
        self._opener.start(path, model_stem=self.annotating.model_stem)
        return True

    def wait_until_opened(self, ms: int = 10_000) -> bool:
        """Block until the record being opened is shown (tests, benchmarks)."""
        return self._opener.wait(ms)

    def _on_record_read(self, record_path: Path, record: Record) -> None:
        """Show the signal while the annotation files are read; editing waits for them."""
        if self._closed:
            return
        self._previous = self.document
        self.document = None
        self.view.set_record(record)
        self.view.set_tracks([], None)
        self.measurements.set_track(None, record.fs)
        self.status.set_record(record.name, record.fs, record.duration_s)
        self.status.showMessage(f"Reading the annotations of {record.name}…")
        self._update_title()
        self.repaint()  # paint the signal now, before the annotation parsing competes for the GIL
        self.sigRecordShown.emit(record)

    def _restore_previous(self) -> None:
        """The record being opened will not come: show the document its signal replaced, if any."""
        self.unsetCursor()
        self.status.clearMessage()
        if self.document is None and self._previous is not None:  # the signal of the new one was shown
            self.document, self._previous = self._previous, None
            self._show(self.document)

    def _on_open_cancelled(self) -> None:
        if not self._closed:
            self._restore_previous()

    def _on_open_failed(self, message: str) -> None:
        if self._closed:
            return
        self._restore_previous()
        target = self._opener.target
        if target and not _header_exists(target):
            remove_recent_record(target, self.settings)  # gone: do not offer it again
            self.options.rebuild_recent_menu()
        dialogs.show_error(self, "Cannot open record", message)
        self.sigOpenFailed.emit(message)

    def _on_open_finished(self, doc: Document, recovery: autosave.PendingRecovery | None) -> None:
        if self._closed:
            return
        self.unsetCursor()
        self.status.clearMessage()
        if self._previous is not None:
            self.document, self._previous = self._previous, None
        self.set_document(doc, recovery)

    # ------------------------------------------------------------------ folders
    def choose_and_open(self) -> None:
        """File → Open: pick a ``.hea`` file."""
        start = ""
        if self.document is not None:
            start = str(self.document.record_path.parent)
        chosen = dialogs.choose_record(self, start)
        if chosen:
            self.open_record(chosen)

    def choose_and_open_folder(self) -> None:
        """File → Open folder: browse the records of a folder in a dock."""
        start = self.browser_folder() or (self.document.record_path.parent if self.document else "")
        chosen = dialogs.choose_folder(self, str(start))
        if chosen:
            self.open_folder(chosen)

    def open_folder(self, folder: str | os.PathLike[str]) -> None:
        """Show the records of ``folder`` in the record browser dock."""
        if self.browser is None:
            from ecgstudio.gui.record_browser import RecordBrowser

            self.browser = RecordBrowser(self)
            self.browser.sigRecordActivated.connect(self.open_record)
            self.browser.sigExportRequested.connect(self.worklist.export_csv)
            self.browser.sigMeasurementsRequested.connect(self.worklist.export_measurements)
            self.browser_dock = self._add_dock("Records", self.browser, Qt.LeftDockWidgetArea)
        if not Path(folder).is_dir():
            dialogs.show_error(self, "Cannot open folder", f"{folder}: not a folder")
            return
        self.browser.set_folder(Path(folder))
        if self.document is not None:
            self.browser.set_current_record(self.document.record_path)
        self.browser_dock.show()
        self.browser_dock.raise_()

    def browser_folder(self) -> Path | None:
        """Folder shown in the record browser, if any."""
        return None if self.browser is None else self.browser.folder()


def _header_exists(target: str) -> bool:
    path = Path(target)
    return (path.suffix == ".hea" and path.is_file()) or path.with_name(path.name + ".hea").is_file()


def dropped_target(mime: QMimeData) -> Path | None:
    """The first dropped ``.hea`` file or folder, else ``None``."""
    if not mime.hasUrls():
        return None
    for url in mime.urls():
        if not url.isLocalFile():
            continue
        path = Path(url.toLocalFile())
        if path.suffix.lower() == ".hea" or path.is_dir():
            return path
    return None

