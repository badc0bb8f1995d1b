"""Run the pre-annotation model on a record in the background, with a progress dialog.

TensorFlow is imported by :func:`ecgstudio.app.preannotate.preannotate`
inside the worker thread, never on the GUI thread, so the main window opens
and stays responsive while the model loads (docs/ARCHITECTURE.md §4).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PyQt5.QtCore import QObject, Qt, pyqtSignal, pyqtSlot
from PyQt5.QtWidgets import QProgressDialog, QWidget

from ecgstudio.core.record import Record
from ecgstudio.gui.workers import TaskRunner

#: Resolution of the progress dialog's bar (steps).
_STEPS = 1000

PreannotateFn = Callable[..., list[Any]]


def _default_preannotate(*args: Any, **kwargs: Any) -> list[Any]:
    """The real service, imported on first use (in the worker thread)."""
    from ecgstudio.app.preannotate import preannotate

    return preannotate(*args, **kwargs)


class PreannotateController(QObject):
    """Pre-annotates a record with a model in a :class:`TaskRunner`.

    Parameters
    ----------
    parent_widget : QWidget | None
        Parent of the progress dialog (normally the main window).
    preannotate_fn : callable | None
        ``fn(record, model_stem, per_lead=..., progress=..., cancel=...) ->
        list[Delineation]``; default
        :func:`ecgstudio.app.preannotate.preannotate` (tests inject a fake).

    Signals
    -------
    sigTracksReady(list)
        The model tracks (``list[Delineation]``).
    sigFailed(str)
        One-line reason.
    sigCancelled()
        The user cancelled; nothing was produced.
    """

    sigTracksReady = pyqtSignal(list)
    sigFailed = pyqtSignal(str)
    sigCancelled = pyqtSignal()

    def __init__(self, parent_widget: QWidget | None = None,
                 preannotate_fn: PreannotateFn | None = None) -> None:
        super().__init__(parent_widget)
        self._parent_widget = parent_widget
        self._fn: PreannotateFn = preannotate_fn or _default_preannotate
        self._runner = TaskRunner(self)
        self._runner.sigProgress.connect(self._on_progress)
        self._runner.sigFinished.connect(self._on_finished)
        self._runner.sigFailed.connect(self._on_failed)
        self._runner.sigCancelled.connect(self._on_cancelled)
        self._dialog: QProgressDialog | None = None
        self._dialog_text = ""

    # ------------------------------------------------------------------ public API
    def start(self, record: Record, model_stem: str | os.PathLike[str] | None, per_lead: bool = False) -> bool:
        """Start pre-annotating ``record`` with the model pair ``model_stem``.

        Parameters
        ----------
        record : Record
            The signal to annotate (wave positions are relative to its first sample).
        model_stem : path | None
            Model pair stem; ``None`` = the shipped default model.
        per_lead : bool
            One track per lead instead of one global track.

        Returns
        -------
        bool
            ``False`` (and nothing started) if a pre-annotation is already running.
        """
        if self._runner.is_running():
            return False
        fn = self._fn
        stem = None if model_stem is None else str(model_stem)

        def task(progress: Callable[[float], None], cancel: Callable[[], bool]) -> list[Any]:
            return list(fn(record, stem, per_lead=per_lead, progress=progress, cancel=cancel))

        model_name = "the default model" if stem is None else f"model “{Path(stem).name}”"
        self._show_dialog(f"Pre-annotating {record.name} with {model_name}…\nLoading the model…")
        self._runner.start(task)
        return True

    def is_running(self) -> bool:
        """Whether a pre-annotation is in progress."""
        return self._runner.is_running()

    def cancel(self) -> None:
        """Ask the running pre-annotation to stop (``sigCancelled`` follows)."""
        self._runner.cancel()

    def wait(self, ms: int = 30000) -> bool:
        """Block until the run ends and its signal is emitted (tests); ``True`` if it ended."""
        return self._runner.wait(ms)

    def progress_dialog(self) -> QProgressDialog | None:
        """The progress dialog while a run is in progress (tests, screenshots)."""
        return self._dialog

    # ------------------------------------------------------------------ internals
    def _show_dialog(self, text: str) -> None:
        self._close_dialog()
        dialog = QProgressDialog(text, "Cancel", 0, 0, self._parent_widget)
        dialog.setWindowTitle("Pre-annotation")
        dialog.setWindowModality(Qt.WindowModal)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumDuration(0)
        dialog.setMinimumWidth(380)
        dialog.canceled.connect(self._on_cancel_clicked)
        self._dialog_text = text.split("\n", 1)[0]
        self._dialog = dialog
        dialog.show()

    def _close_dialog(self) -> None:
        dialog, self._dialog = self._dialog, None
        if dialog is not None:
            dialog.canceled.disconnect(self._on_cancel_clicked)
            dialog.close()
            dialog.deleteLater()

    @pyqtSlot()
    def _on_cancel_clicked(self) -> None:
        self._runner.cancel()
        if self._dialog is not None:  # QProgressDialog hides itself on Cancel; keep the user informed
            self._dialog.setLabelText(f"{self._dialog_text}\nCancelling…")
            self._dialog.setCancelButton(None)
            self._dialog.show()

    @pyqtSlot(float)
    def _on_progress(self, fraction: float) -> None:
        dialog = self._dialog
        if dialog is None or self._runner.is_cancel_requested():
            return
        if dialog.maximum() == 0:
            dialog.setRange(0, _STEPS)
            dialog.setLabelText(self._dialog_text)
        dialog.setValue(int(round(fraction * _STEPS)))

    @pyqtSlot(object)
    def _on_finished(self, tracks: object) -> None:
        self._close_dialog()
        self.sigTracksReady.emit(list(tracks))

    @pyqtSlot(str)
    def _on_failed(self, message: str) -> None:
        self._close_dialog()
        self.sigFailed.emit(message)

    @pyqtSlot()
    def _on_cancelled(self) -> None:
        self._close_dialog()
        self.sigCancelled.emit()
