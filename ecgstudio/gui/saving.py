"""Save, Save As, the unsaved-changes question, autosave and crash recovery of a window.

Saving never replaces a reference annotation file (``q1c``, ``atr``, ``pu0``...)
without the user's explicit confirmation; every failure is one line in a
message box and leaves the edits in place.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PyQt5.QtCore import QObject, QTimer

from ecgstudio.app import autosave, session
from ecgstudio.app.document import Document
from ecgstudio.core.edits import ReplaceRange
from ecgstudio.core.errors import EcgStudioError
from ecgstudio.core.review import ReviewSpans
from ecgstudio.gui import dialogs

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
        self._timer = QTimer(self)
        self._timer.setInterval(int(autosave_interval_ms))
        self._timer.timeout.connect(self.autosave_now)
        self._timer.start()

    # ------------------------------------------------------------------ saving
    def save(self) -> bool:
        """Save to the document's annotation file; ``False`` (after telling the user) on failure."""
        doc = self._window.document
        if doc is None:
            return False
        overwrite = session.would_overwrite_reference(doc)
        if overwrite and not dialogs.confirm_overwrite_reference(self._window, doc.annotation_path()):
            return False
        return self._write(doc, overwrite_reference=overwrite)

    def save_as(self) -> bool:
        """Ask for a folder and an extension, then save there (later saves go there too)."""
        doc = self._window.document
        if doc is None:
            return False
        folder = doc.annotation_dir or doc.record_path.parent
        chosen = dialogs.choose_save_target(self._window, folder, doc.annotation_ext, doc.name)
        if chosen is None:
            return False
        out_dir, ext = chosen
        overwrite = session.would_overwrite_reference(doc, ext=ext, out_dir=out_dir)
        if overwrite and not dialogs.confirm_overwrite_reference(self._window,
                                                                 doc.annotation_path(ext, out_dir)):
            return False
        return self._write(doc, ext=ext, out_dir=out_dir, overwrite_reference=overwrite)

    def _write(self, doc: Document, *, ext: str | None = None, out_dir: Path | None = None,
               overwrite_reference: bool = False) -> bool:
        window = self._window
        old_key = (doc.record_path, doc.annotation_ext)
        try:
            path = session.save_document(doc, ext=ext, out_dir=out_dir,
                                         overwrite_reference=overwrite_reference)
        except EcgStudioError as exc:
            dialogs.show_error(window, "Cannot save annotations", str(exc))
            return False
        except OSError as exc:
            dialogs.show_error(window, "Cannot save annotations", f"{exc.filename}: {exc.strerror}")
            return False
        self._writer.discard(*old_key)
        self._writer.discard(doc.record_path, doc.annotation_ext)
        window.undo_stack.setClean()
        window.status.showMessage(f"Saved {path}", 5000)
        window.sigSaved.emit(str(path))
        return True

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
        doc = window.document
        if doc is None or doc.editable_track is None or not window.is_dirty:
            return None
        if self._writer.last_error:
            window.status.showMessage(f"Autosave failed: {self._writer.last_error}", 6000)
        snapshot = autosave.Snapshot.of(doc.editable_track, doc.review.spans)
        self._writer.submit(doc.record_path, doc.annotation_ext, snapshot)
        if wait:
            self._writer.wait()
        return autosave.recovery_path(doc.record_path, doc.annotation_ext)

    def discard_recovery(self, doc: Document) -> None:
        """Delete ``doc``'s recovery file (saved, discarded or closed cleanly)."""
        self._writer.discard(doc.record_path, doc.annotation_ext)

    def offer_recovery(self, doc: Document, pending: autosave.PendingRecovery | None = None) -> None:
        """After opening ``doc``: offer its newer recovery file; restoring is one undo step.

        ``pending`` is the recovery already read by the opening worker; when
        ``None`` it is looked up here.
        """
        window = self._window
        pending = pending or autosave.pending_recovery(doc)
        if pending is None or doc.editable_track is None:
            return
        if not dialogs.ask_restore(window, doc.name, pending.recovery.saved_at):
            self.discard_recovery(doc)
            return
        track = doc.editable_track
        window.undo_stack.beginMacro("Restore autosaved edits")
        window.push_edit(ReplaceRange(0, track.n_samples - 1, pending.track.waves), "Restore autosaved edits")
        window.set_review(ReviewSpans(pending.recovery.reviewed), "Restore review marks")
        window.undo_stack.endMacro()
        note = f" ({len(pending.dropped)} invalid waves left out)" if pending.dropped else ""
        window.status.showMessage(f"Restored autosaved edits{note}", 6000)

    def close(self) -> None:
        """Stop autosaving (the window is closing)."""
        self._timer.stop()
        self._writer.close()
