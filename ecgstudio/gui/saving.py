"""Save, Save As, the unsaved-changes question, autosave and crash recovery of a window.

Saving never replaces a reference annotation file (``q1c``, ``atr``, ``pu0``...)
without the user's explicit confirmation; every failure is one line in a
message box and leaves the edits in place.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt5.QtCore import QEventLoop, QObject, Qt, QTimer
from PyQt5.QtWidgets import QProgressDialog

from ecgstudio.app import autosave, session
from ecgstudio.app.document import Document
from ecgstudio.gui import dialogs
from ecgstudio.gui.workers import TaskFn, TaskRunner

if TYPE_CHECKING:
    from ecgstudio.gui.main_window import MainWindow


class SaveController(QObject):
    """Writes a window's document and keeps its recovery file.

    Parameters
    ----------
    window : MainWindow
        The window whose ``document`` and ``undo_stack`` are saved.
    autosave_interval_ms : int
        Period of the recovery-file writer while there are unsaved changes.
    """

    def __init__(self, window: MainWindow, autosave_interval_ms: int) -> None:
        super().__init__(window)
        self._window = window
        self._writer = autosave.AutosaveWriter()
        self._closed = False
        self._saving = False
        self._runner = TaskRunner(self)
        self._timer = QTimer(self)
        self._timer.setInterval(int(autosave_interval_ms))
        self._timer.timeout.connect(self.autosave_now)
        self._timer.start()

    # ------------------------------------------------------------------ saving
    def is_saving(self) -> bool:
        """Whether a Save or Save As is under way (asking, or writing in the worker)."""
        return self._saving

    def _already_saving(self) -> bool:
        """Refuse a second save while one runs: its progress box is modal only after 400 ms, so until then
        Ctrl+S still reaches the window, and a second save would start a second task on the busy runner."""
        if self._saving:
            self._window.status.showMessage("Still saving the annotations…", 3000)
        return self._saving

    def save(self) -> bool:
        """Save to the document's annotation file; ``False`` (after telling the user) on failure or while
        another save runs."""
        return self._exclusive(self._save)

    def _save(self, doc: Document) -> bool:
        overwrite = session.would_overwrite_reference(doc)
        if overwrite and not dialogs.confirm_overwrite_reference(self._window, doc.annotation_path()):
            return False
        confirmed = self._confirm_conflict()
        if confirmed is False:
            return False
        return self._write(doc, overwrite_reference=overwrite, confirmed=bool(confirmed))

    def save_as(self) -> bool:
        """Ask for a folder and an extension, then save there (later saves go there too); ``False`` while
        another save runs."""
        return self._exclusive(self._save_as)

    def _exclusive(self, action: Callable[[Document], bool]) -> bool:
        """Run one save action on the open document unless another save runs (then say so)."""
        doc = self._window.document
        if doc is None or self._already_saving():
            return False
        self._saving = True
        try:
            return action(doc)
        finally:
            self._saving = False

    def _save_as(self, doc: Document) -> bool:
        folder = doc.annotation_dir or doc.record_path.parent
        chosen = dialogs.choose_save_target(self._window, folder, doc.annotation_ext, doc.name)
        if chosen is None:
            return False
        out_dir, ext = chosen
        overwrite = session.would_overwrite_reference(doc, ext=ext, out_dir=out_dir)
        if overwrite and not dialogs.confirm_overwrite_reference(self._window,
                                                                 doc.annotation_path(ext, out_dir)):
            return False
        confirmed = self._confirm_conflict(ext, out_dir)
        if confirmed is False:
            return False
        return self._write(doc, ext=ext, out_dir=out_dir, overwrite_reference=overwrite, confirmed=bool(confirmed))

    def _confirm_conflict(self, ext: str | None = None, out_dir: Path | None = None) -> bool | None:
        """Ask when the target holds unopenable annotations or changed on disk.

        ``None``: nothing to ask; ``True``: the user agreed to replace it; ``False``: declined.
        """
        session = self._window.session
        conflict = None if session is None else session.save_conflict(ext, out_dir)
        if conflict is None:
            return None
        return dialogs.confirm_replace(self._window, conflict)

    def _write(self, doc: Document, *, ext: str | None = None, out_dir: Path | None = None,
               overwrite_reference: bool = False, confirmed: bool = False) -> bool:
        """Write a snapshot of ``doc`` in a worker thread, waiting for it behind a modal progress box.

        The GUI keeps painting while a 24-hour track is written (seconds);
        edits made during the write keep the document dirty.
        """
        window = self._window
        session = window.session
        if session is None or session.document is not doc or not doc.editable_tracks:
            dialogs.show_error(window, "Cannot save annotations", f"{doc.name}: there is no editable track")
            return False
        old_key = (doc.record_path, doc.annotation_ext)
        job = session.prepare_save(ext=ext, out_dir=out_dir, overwrite_reference=overwrite_reference,
                                   confirmed=confirmed)
        index = window.undo_stack.index()
        outcome = self._run_blocking(lambda _progress, _cancel: job.run(), f"Saving the annotations of {doc.name}…")
        if isinstance(outcome, str):
            dialogs.show_error(window, "Cannot save annotations", outcome)
            return False
        self._writer.discard(*old_key)
        session.finish_save(job)
        self._writer.discard(doc.record_path, doc.annotation_ext)
        if window.undo_stack.index() == index:
            window.undo_stack.setClean()
        window.status.showMessage(f"Saved {outcome}", 5000)
        window.sigSaved.emit(str(outcome))
        return True

    def _run_blocking(self, fn: TaskFn, label: str) -> object:
        """Run ``fn`` in the worker; the task's result, or its one-line error message (a ``str``)."""
        outcome: dict[str, object] = {}
        loop = QEventLoop(self)
        self._runner.sigFinished.connect(lambda result: outcome.setdefault("ok", result))
        self._runner.sigFailed.connect(lambda message: outcome.setdefault("error", message))
        self._runner.sigFinished.connect(loop.quit)
        self._runner.sigFailed.connect(loop.quit)
        progress = QProgressDialog(label, "", 0, 0, self._window)
        progress.setCancelButton(None)
        progress.setWindowModality(Qt.WindowModal)
        progress.setMinimumDuration(400)
        progress.setWindowTitle("Saving")
        self._window.setCursor(Qt.BusyCursor)
        try:
            self._runner.start(fn)
            loop.exec_()  # results are queued to this thread, so they cannot arrive before exec_
        finally:
            self._runner.sigFinished.disconnect()
            self._runner.sigFailed.disconnect()
            progress.close()
            progress.deleteLater()
            self._window.unsetCursor()
        return outcome["ok"] if "ok" in outcome else str(outcome.get("error", "saving failed"))

    def maybe_save(self) -> bool:
        """Ask Save/Discard/Cancel when there are unsaved changes; ``True`` = go ahead."""
        window = self._window
        doc = window.document
        if doc is None or not window.is_dirty:
            return True
        answer = dialogs.ask_save_changes(window, doc.name)
        if answer == dialogs.SAVE:
            return self.save()
        if answer == dialogs.DISCARD:
            self.discard_recovery(doc)
            return True
        return False

    # ------------------------------------------------------------------ autosave
    def autosave_now(self, wait: bool = False) -> Path | None:
        """Write the recovery file in the background if there are unsaved changes.

        Only a snapshot of the track is taken on the GUI thread; a background
        thread writes the file (``wait=True`` blocks until it is on disk).

        Returns
        -------
        Path | None
            The recovery file, or ``None`` when there is nothing to save.
        """
        window = self._window
        doc, session = window.document, window.session
        if self._closed or doc is None or session is None or not window.is_dirty:
            return None
        if self._writer.last_error:
            window.status.showMessage(f"Autosave failed: {self._writer.last_error}", 6000)
        snapshot = session.recovery_snapshot()
        if snapshot is None:
            return None
        self._writer.submit(doc.record_path, doc.annotation_ext, snapshot)
        if wait:
            self._writer.wait()
        return autosave.recovery_path(doc.record_path, doc.annotation_ext)

    def discard_recovery(self, doc: Document) -> None:
        """Delete this window's recovery file of ``doc`` and the ones it restored (saved, discarded, closed cleanly).

        Another editor's recovery file is never deleted (:func:`ecgstudio.app.autosave.discard_recovery`).
        """
        self._writer.discard(doc.record_path, doc.annotation_ext)

    def offer_recovery(self, doc: Document, pending: autosave.PendingRecovery | None = None) -> None:
        """After opening ``doc``: offer its newest usable recovery file; restoring is one undo step.

        ``pending`` is the recovery already read by the opening worker; when
        ``None`` it is looked up here. Recovery files not offered (in use by
        another editor, unusable and moved aside) are told in the status bar;
        a warning (the record or its annotation file changed) goes into the
        question. Declining deletes only the file offered; restoring makes it
        this window's (deleted at the next save or clean close).
        """
        window = self._window
        session = window.session
        pending = pending or autosave.pending_recovery(doc)
        notes = autosave.recovery_notes(doc)
        if notes:
            more = f" (+{len(notes) - 1} more in the log)" if len(notes) > 1 else ""
            window.status.showMessage(notes[0] + more, 15000)
        if pending is None or session is None or session.document is not doc:
            return
        saved_at = pending.recovery.saved_at
        if pending.warning:
            wanted = dialogs.ask_restore(window, doc.name, saved_at, warning=pending.warning)
        else:
            wanted = dialogs.ask_restore(window, doc.name, saved_at)
        if not wanted:
            autosave.decline(pending)
            return
        if not window.push_step(lambda: session.restore(pending), "Restore autosaved edits"):
            kept = autosave.set_aside(pending.recovery.path, pending.recovery.file_id)
            where = kept.name if kept else pending.recovery.path.name
            window.status.showMessage(f"Autosaved edits could not be restored; kept as {where}", 15000)
            return
        autosave.adopt(pending)
        note = f" ({len(pending.dropped)} invalid waves left out)" if pending.dropped else ""
        window.status.showMessage(f"Restored autosaved edits{note}", 6000)

    def close(self) -> None:
        """Stop autosaving (the window is closing): queued recovery writes finish, the writer thread ends."""
        self._timer.stop()
        if not self._closed:
            self._closed = True
            self._writer.close()
