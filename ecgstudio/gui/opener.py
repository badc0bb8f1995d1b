"""Opening a record in two background steps: the signal first, then its annotation files.

A 24-hour record's signal reads in a few seconds but its annotation tracks
(hundreds of thousands of waves) take longer to parse; showing the signal as
soon as it is read keeps the time to first paint short.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PyQt5.QtCore import QObject, pyqtSignal

from ecgstudio.app import autosave, session
from ecgstudio.app.document import DEFAULT_EXT, Document
from ecgstudio.core.record import Record
from ecgstudio.gui.workers import TaskRunner


def _read_annotations(record: Record, record_path: Path, ext: str, model: str | None,
                      cancel: Callable[[], bool] | None = None) -> tuple[Document, autosave.PendingRecovery | None]:
    """The worker's second step: annotation files, review sidecar and any newer recovery file (cancellable)."""
    doc = session.document_for(record, record_path, ext=ext, model_stem=model, cancel=cancel)
    return doc, autosave.pending_recovery(doc)


class RecordOpener(QObject):
    """Reads a record, then its annotations, each in a worker thread.

    Signals
    -------
    sigRecordRead(object, object)
        ``(record_path: Path, record: Record)``: the signal can be shown.
    sigOpened(object, object)
        The complete :class:`~ecgstudio.app.document.Document`, and its
        :class:`~ecgstudio.app.autosave.PendingRecovery` (or ``None``): a
        newer recovery file, already parsed, for the window to offer.
    sigFailed(str)
        One-line reason (either step).
    sigCancelled()
        :meth:`cancel` stopped the opening; nothing more is reported for it.
    """

    sigRecordRead = pyqtSignal(object, object)
    sigOpened = pyqtSignal(object, object)
    sigFailed = pyqtSignal(str)
    sigCancelled = pyqtSignal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._signal_reader = TaskRunner(self)
        self._signal_reader.sigFinished.connect(self._on_record_read)
        self._signal_reader.sigFailed.connect(self._on_failed)
        self._signal_reader.sigCancelled.connect(self._on_cancelled)
        self._annotation_reader = TaskRunner(self)
        self._annotation_reader.sigFinished.connect(self._on_annotations_read)
        self._annotation_reader.sigFailed.connect(self._on_failed)
        self._annotation_reader.sigCancelled.connect(self._on_cancelled)
        self._cancelled = False
        self._ext = DEFAULT_EXT
        self._model_stem: str | None = None
        self.target: str | None = None

    def start(self, path: str | os.PathLike[str], *, ext: str = DEFAULT_EXT,
              model_stem: str | None = None) -> bool:
        """Start opening ``path``; ``False`` if another record is still being opened."""
        if self.is_running():
            return False
        self.target = os.fspath(path)
        self._cancelled = False
        self._ext, self._model_stem = ext, model_stem
        target = self.target
        self._signal_reader.start(lambda _progress, _cancel: session.read_document_record(target))
        return True

    def _on_record_read(self, result: tuple[Path, Record]) -> None:
        if self._cancelled:  # read before the cancel reached the worker: drop it, start no second step
            self.sigCancelled.emit()
            return
        record_path, record = result
        ext, model = self._ext, self._model_stem
        # receivers show (and paint) the signal first: parsing annotations holds the GIL for
        # seconds on long records and would slow that first paint down
        self.sigRecordRead.emit(record_path, record)
        self._annotation_reader.start(
            lambda _progress, cancel: _read_annotations(record, record_path, ext, model, cancel))

    def _on_annotations_read(self, result: tuple[Document, autosave.PendingRecovery | None]) -> None:
        if self._cancelled:
            self.sigCancelled.emit()
            return
        self.sigOpened.emit(*result)

    def _on_failed(self, message: str) -> None:
        if self._cancelled:
            self.sigCancelled.emit()
            return
        self.sigFailed.emit(message)

    def _on_cancelled(self) -> None:
        self.sigCancelled.emit()

    def is_running(self) -> bool:
        """Whether a record is being opened."""
        return self._signal_reader.is_running() or self._annotation_reader.is_running()

    def cancel(self) -> None:
        """Drop the record being opened: ``sigCancelled`` (only) follows once its worker ended."""
        if not self.is_running():
            return
        self._cancelled = True
        self._signal_reader.cancel()
        self._annotation_reader.cancel()

    def wait(self, ms: int = 10_000) -> bool:
        """Block until both steps ended and were reported (tests, benchmarks)."""
        return self._signal_reader.wait(ms) and self._annotation_reader.wait(ms)
