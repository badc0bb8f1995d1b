"""The editor's main window: one open document's editing session, open/save/autosave and the wiring.

The rules of editing, undo, dirty state, saving and pre-annotation live in
the Qt-free :class:`~ecgstudio.app.editing.EditingSession`; the window's
:class:`QUndoStack` wraps the session's history (:class:`SessionCommand`), so
menus and shortcuts show it. The plot (:class:`LeadsView`) only reports what
the user did (``sigEditRequested(edit)``) and the window pushes the step.
Records are read in a worker thread, so the window stays responsive while a
24-hour record loads (:mod:`ecgstudio.gui.window_opening`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PyQt5.QtWidgets import QDockWidget, QMainWindow, QUndoStack, QWidget

from ecgstudio.app import autosave, locks
from ecgstudio.app.document import Document
from ecgstudio.app.editing import EditingSession, SessionChange
from ecgstudio.core.edits import Edit
from ecgstudio.core.leads import display_name
from ecgstudio.core.review import ReviewSpans
from ecgstudio.gui import dialogs
from ecgstudio.gui.actions import build_menus, create_actions
from ecgstudio.gui.annotating import AnnotateController
from ecgstudio.gui.commands import SessionCommand
from ecgstudio.gui.editing import EditingController
from ecgstudio.gui.flags import FlagsController
from ecgstudio.gui.leads_view import LeadsView
from ecgstudio.gui.measurements_panel import MeasurementsPanel
from ecgstudio.gui.messages import clinical_message
from ecgstudio.gui.opener import RecordOpener
from ecgstudio.gui.saving import SaveController
from ecgstudio.gui.settings import add_recent_record, make_settings
from ecgstudio.gui.statusbar import StatusBar
from ecgstudio.gui.view_options import ViewOptions
from ecgstudio.gui.window_opening import WindowOpening, dropped_target
from ecgstudio.gui.workflow import WorkflowController
from ecgstudio.gui.worklist import WorklistController
from ecgstudio.paths import default_model_path, model_files

log = logging.getLogger(__name__)

APP_TITLE = "ECG Studio"


class MainWindow(WindowOpening, QMainWindow):
    """The ECG Studio editor window.

    Parameters
    ----------
    model_stem : str | None
        Model used for pre-annotation (path stem without extension); the
        shipped default model when ``None``.
    autosave_interval_ms : int
        Period of the recovery-file writer while there are unsaved changes.
    preload_model : bool
        Load the model in a worker thread once a record is on screen, so the
        first pre-annotation does not wait for it (``run_gui`` sets it).

    Signals
    -------
    sigRecordShown(object)
        The signal of a record being opened is on screen (the :class:`Record`);
        its annotations follow with ``sigDocumentChanged``.
    sigDocumentChanged(object)
        A document was opened (the :class:`Document`).
    sigOpenFailed(str)
        Opening a record failed (one-line message, also shown in a dialog).
    sigDirtyChanged(bool)
        Unsaved changes appeared / disappeared.
    sigSaved(str)
        The annotation file just written.
    """

    sigRecordShown = pyqtSignal(object)
    sigDocumentChanged = pyqtSignal(object)
    sigOpenFailed = pyqtSignal(str)
    sigDirtyChanged = pyqtSignal(bool)
    sigSaved = pyqtSignal(str)

    def __init__(self, model_stem: str | None = None, *, autosave_interval_ms: int = 30_000,
                 preload_model: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ecgstudio_main_window")
        self.settings = make_settings()
        self.document: Document | None = None
        self.session: EditingSession | None = None
        self._lock: locks.EditLock | None = None
        self._shown_review: object = None
        self.undo_stack = QUndoStack(self)
        self.view = LeadsView(self)
        self.setCentralWidget(self.view)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self.measurements = MeasurementsPanel(self)
        self.measurements_dock = self._add_dock("Measurements", self.measurements, Qt.RightDockWidgetArea)
        self.resizeDocks([self.measurements_dock], [380], Qt.Horizontal)
        self.browser = None
        self.browser_dock: QDockWidget | None = None
        self.editing = EditingController(self)
        self.annotating = AnnotateController(self, str(model_stem) if model_stem else "")
        self.options = ViewOptions(self)
        self.workflow = WorkflowController(self, preload_model)
        self.flags = FlagsController(self)
        self.worklist = WorklistController(self)
        self.action_set = create_actions(self)
        build_menus(self, self.action_set)
        self.action_set.panels_menu.addAction(self.workflow.info_dock.toggleViewAction())
        self.action_set.panels_menu.addAction(self.measurements_dock.toggleViewAction())
        self.action_set.panels_menu.addAction(self.flags.dock.toggleViewAction())
        self._opener = RecordOpener(self)
        self._opener.sigRecordRead.connect(self._on_record_read)
        self._opener.sigOpened.connect(self._on_open_finished)
        self._opener.sigFailed.connect(self._on_open_failed)
        self._opener.sigCancelled.connect(self._on_open_cancelled)
        self._previous: Document | None = None
        self._closed = False  # closeEvent accepted: background results are dropped
        self.saving = SaveController(self, autosave_interval_ms)
        self.sigSaved.connect(self._on_saved)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.view.sigEditRequested.connect(self.push_edit)
        self.view.sigCursorMoved.connect(self._on_cursor_moved)
        self.measurements.sigBeatActivated.connect(self._on_beat_activated)
        self.setAcceptDrops(True)
        self.options.restore()
        self.options.rebuild_recent_menu()
        self.options.rebuild_leads_menu()
        self.annotating.set_model(model_stem or self._default_model())
        self._update_title()

    def _default_model(self) -> str:
        saved = self.settings.value("model/stem")
        if saved and model_files(str(saved)).keras.is_file():
            return str(saved)
        return str(default_model_path())

    @property
    def model_stem(self) -> str:
        """Model used for pre-annotation (path stem)."""
        return self.annotating.model_stem

    # ------------------------------------------------------------------ state
    @property
    def is_dirty(self) -> bool:
        """Whether the document has changes not saved (edits or review marks)."""
        session = self.session
        return self.document is not None and session is not None and session.document is self.document \
            and session.dirty

    def _update_title(self) -> None:
        doc = self.document
        if doc is None:
            self.setWindowTitle(APP_TITLE)
        else:
            ro = " [read-only]" if self.is_read_only else ""
            self.setWindowTitle(f"{doc.name}{'*' if self.is_dirty else ''}{ro} — {APP_TITLE}")
        self.status.set_dirty(self.is_dirty)
        for action in self.action_set.document_actions():
            action.setEnabled(doc is not None)

    def _on_clean_changed(self, _clean: bool) -> None:
        self._update_title()

    def _add_dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.lower().replace(" ", "_") + "_dock")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        actions = getattr(self, "action_set", None)
        if actions is not None and actions.panels_menu is not None:
            actions.panels_menu.addAction(dock.toggleViewAction())
        return dock

    def set_document(self, doc: Document, recovery: autosave.PendingRecovery | None = None) -> None:
        """Show ``doc`` (replacing the current document without asking).

        A newer recovery file of its editable track (``recovery``, or looked
        up when ``None``) is offered back to the user.
        """
        old = self.document
        if old is not None and not self.is_read_only:
            self.saving.discard_recovery(old)
        self._release_lock()
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.document = doc
        self.session = EditingSession(doc)
        self.session.subscribe(self._on_session_change)
        self._take_lock(doc)
        doc.model_stem = self.annotating.model_stem
        self._show(doc)
        add_recent_record(doc.record_path, self.settings)
        self.options.rebuild_recent_menu()
        if self.browser is not None:
            self.browser.set_current_record(doc.record_path)
        for note in doc.notes:
            log.info("%s", note)
        if doc.notes:
            self.status.showMessage(doc.notes[0], 6000)
        elif doc.editable_track is not None and not len(doc.editable_track):
            self.status.showMessage(f"No .{doc.annotation_ext} annotations yet: Pre-annotate (Ctrl+R) delineates "
                                    f"{doc.name} with the model")
        self._update_title()
        self.view.setFocus()
        if not self.is_read_only:  # a read-only window never touches the owner's recovery file
            self.saving.offer_recovery(doc, recovery)
        self.sigDocumentChanged.emit(doc)

    # ------------------------------------------------------------------ one writer per record
    @property
    def is_read_only(self) -> bool:
        """Whether the document is open read-only (another editor holds its annotation file)."""
        return self.session is not None and self.session.read_only_reason is not None

    def _take_lock(self, doc: Document) -> None:
        """Lock the annotation file; if another editor holds it, open read-only or take over knowingly."""
        self._lock = None
        try:
            self._lock = locks.acquire(doc.annotation_path())
        except locks.LockedError as exc:
            if dialogs.ask_take_over(self, str(exc)):
                self._lock = locks.acquire(doc.annotation_path(), take_over=True)
                self.status.showMessage(f"Took over {doc.annotation_path().name} ({exc.owner.describe()} "
                                        "was editing it; their unsaved edits stay theirs)", 8000)
            elif self.session is not None:
                self.session.read_only_reason = str(exc)
                self.status.showMessage(f"Read-only: {exc}", 10_000)

    def _release_lock(self) -> None:
        lock, self._lock = getattr(self, "_lock", None), None
        if lock is not None:
            lock.release()

    def _show(self, doc: Document) -> None:
        """Put ``doc`` into the plot, the measurements dock, the leads menu and the status bar."""
        if self.view.record is not doc.record:
            self.view.set_record(doc.record)
        self.show_tracks()
        self.options.rebuild_leads_menu()
        self.status.set_record(doc.name, doc.fs, doc.record.duration_s)
        self._update_title()

    def show_tracks(self) -> None:
        """Show the document's tracks again (after the track list or the editable track object changed)."""
        doc = self.document
        if doc is None:
            return
        self.view.set_tracks(doc.tracks, doc.editable_indices)
        self.view.set_review(doc.review)
        self._shown_review = doc.review
        self.measurements.set_track(doc.editable_track, doc.fs)

    # ------------------------------------------------------------------ editing
    def push_step(self, perform: object, text: str) -> bool:
        """Make one session step (``perform()`` records it) as one undo step; ``False`` if refused."""
        session = self.session
        if session is None or self.document is None:
            return False
        revision = session.revision
        self.undo_stack.push(SessionCommand(session, perform, text, on_error=self._on_edit_failed))
        return session.revision != revision

    def push_edit(self, edit: Edit, text: str | None = None) -> bool:
        """Apply ``edit`` to the editable track of its wave's lead as one undo step; ``False`` if refused."""
        session = self.session
        if session is None:
            return False
        return self.push_step(lambda: session.apply(edit, text=text), text or edit.text)

    def _on_edit_failed(self, message: str) -> None:
        fs = self.document.fs if self.document is not None else 0.0
        self.status.showMessage(f"Not possible: {clinical_message(message, fs)}", 6000)

    def set_review(self, spans: ReviewSpans, text: str = "Mark reviewed") -> None:
        """Replace the reviewed spans as one undo step."""
        session = self.session
        if session is not None:
            self.push_step(lambda: session.set_review(spans, text), text)

    def mark_reviewed(self, start: int, stop: int, text: str = "Mark reviewed") -> bool:
        """Mark samples ``[start, stop)`` reviewed by this user now, as one undo step."""
        session = self.session
        if session is None:
            return False
        return self.push_step(lambda: session.mark_reviewed(start, stop, text=text), text)

    def _on_session_change(self, change: SessionChange) -> None:
        doc = self.document
        if doc is None or self.session is None or self.session.document is not doc:
            return
        if change.tracks_replaced:
            self.show_tracks()
        elif doc.review is not self._shown_review:
            self.view.set_review(doc.review)
            self._shown_review = doc.review
        self._update_title()
        self.sigDirtyChanged.emit(self.is_dirty)

    # ------------------------------------------------------------------ saving (gui.saving)
    def save(self) -> bool:
        """Save the editable track and review state; ``False`` (after telling the user) on failure."""
        return self.saving.save()

    def save_as(self) -> bool:
        """Ask for a folder and extension, then save there."""
        return self.saving.save_as()

    def maybe_save(self) -> bool:
        """Ask Save/Discard/Cancel when there are unsaved changes; ``True`` = go ahead."""
        return self.saving.maybe_save()

    def autosave_now(self, wait: bool = False) -> Path | None:
        """Write the recovery file (in the background) if there are unsaved changes."""
        return self.saving.autosave_now(wait)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self.maybe_save():
            event.ignore()  # the window stays, and so does the record being opened
            return
        if self.document is not None and not self.is_read_only:
            self.saving.discard_recovery(self.document)
        self._release_lock()
        self.options.save()
        self.stop_background_work()
        event.accept()

    def stop_background_work(self, wait_ms: int = 2000) -> bool:
        """Cancel what runs in worker threads for this window and wait for it (the window is closing).

        Opening, folder listing, measuring, pre-annotation and the autosave
        writer are stopped; results that still arrive are dropped, so a window
        closed while a record loads is never touched by that record.

        Parameters
        ----------
        wait_ms : int
            Longest wait for the workers (milliseconds); a worker still busy
            afterwards (a long read that cannot be interrupted) finishes on its
            own and its outcome is ignored.

        Returns
        -------
        bool
            ``True`` if no worker of this window is running any more.
        """
        self._closed = True
        self._opener.cancel()
        self.workflow.stop()
        self.annotating.cancel()
        self.measurements.cancel()
        if self.browser is not None:
            self.browser.cancel()
        self.saving.close()
        ok = self._opener.wait(wait_ms)
        ok = self.measurements.wait(wait_ms) and ok
        if self.browser is not None:
            ok = self.browser.wait(wait_ms) and ok
        if self.annotating.is_running():
            ok = self.annotating.wait(wait_ms) and ok
        return ok

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if dropped_target(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        target = dropped_target(event.mimeData())
        if target is None:
            event.ignore()
            return
        event.acceptProposedAction()
        if target.is_dir():
            self.open_folder(target)
        else:
            self.open_record(target)

    def _on_saved(self, _path: str) -> None:
        self._update_title()
        if self.browser is not None:
            self.browser.refresh()  # review progress changed

    def _on_cursor_moved(self, time_s: float, lead: int, amplitude_mv: float) -> None:
        doc = self.document
        if doc is None:
            return
        names = doc.record.lead_names
        name = display_name(names[lead]) if 0 <= lead < len(names) else f"lead {lead + 1}"
        self.status.set_cursor(time_s, name, amplitude_mv)

    def _on_beat_activated(self, sample: int) -> None:
        """A beat chosen in the measurements table: select it, centre it, keyboard back to the plot."""
        self.workflow.beat_activated(sample)
