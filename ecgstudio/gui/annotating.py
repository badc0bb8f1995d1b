"""Annotate menu: pre-annotation with the current model, model choice and fine-tuning.

The model work itself runs in engineer C's :class:`PreannotateController` (a
worker thread with a progress dialog); this controller only decides what
happens with its result: the predicted waves replace the editable track's
content in ONE undoable step (``ReplaceRange`` over the whole record), or
become a new editable track when the document has none.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PyQt5.QtCore import QObject

from ecgstudio.core.delineation import Delineation
from ecgstudio.gui import dialogs
from ecgstudio.gui.bulk_edit import replace_all_waves

if TYPE_CHECKING:
    from ecgstudio.gui.main_window import MainWindow


class AnnotateController(QObject):
    """Owns the model in use and the pre-annotation / fine-tuning workflows of a window."""

    def __init__(self, window: MainWindow, model_stem: str) -> None:
        super().__init__(window)
        self._window = window
        self.model_stem = model_stem
        self._runner = None
        self.finetune_dialog = None
        #: ``fn(record, model_stem, per_lead=, progress=, cancel=) -> list[Delineation]`` used
        #: instead of the real model service when set (tests, benchmarks).
        self.preannotate_fn = None
        self._target = None  # the document the running pre-annotation is for

    # ------------------------------------------------------------------ model
    def set_model(self, model_stem: str) -> None:
        """Use ``model_stem`` (path without extension) for the next pre-annotation."""
        self.model_stem = str(model_stem)
        if self._window.document is not None:
            self._window.document.model_stem = self.model_stem
        self._window.status.set_model(self.model_stem)
        self._window.settings.setValue("model/stem", self.model_stem)

    def choose_model(self) -> None:
        """Let the user pick a shipped or fine-tuned model."""
        from ecgstudio.gui.model_chooser import ModelChooserDialog

        chosen = ModelChooserDialog.choose(self._window, self.model_stem)
        if chosen:
            self.set_model(str(chosen))

    # ------------------------------------------------------------------ pre-annotation
    def _controller(self):  # noqa: ANN202 - PreannotateController
        if self._runner is None:
            from ecgstudio.gui.preannotate import PreannotateController

            self._runner = PreannotateController(self._window, self.preannotate_fn)
            self._runner.sigTracksReady.connect(self.apply_prediction)
            self._runner.sigFailed.connect(self._on_failed)
            self._runner.sigCancelled.connect(
                lambda: self._window.status.showMessage("Pre-annotation cancelled", 4000))
        return self._runner

    def preannotate(self) -> None:
        """Delineate the open record with the current model (in a worker thread)."""
        doc = self._window.document
        if doc is None:
            return
        self._window.status.showMessage(f"Pre-annotating {doc.name} with {Path(self.model_stem).name}…")
        if not self._controller().start(doc.record, self.model_stem, per_lead=False):
            self._window.status.showMessage("A pre-annotation is already running", 4000)
            return
        self._target = doc

    def wait(self, ms: int = 120_000) -> bool:
        """Block until a running pre-annotation ended and was applied (tests, benchmarks)."""
        return self._runner is None or bool(self._runner.wait(ms))

    def is_running(self) -> bool:
        """Whether a pre-annotation is in progress."""
        runner = self._runner
        return runner is not None and bool(getattr(runner, "is_running", lambda: False)())

    def cancel(self) -> None:
        """Stop a running pre-annotation (window closing)."""
        if self._runner is not None and hasattr(self._runner, "cancel"):
            self._runner.cancel()

    def _on_failed(self, message: str) -> None:
        self._window.status.clearMessage()
        dialogs.show_error(self._window, "Pre-annotation failed", message)

    def apply_prediction(self, tracks: list[Delineation]) -> None:
        """Put the model's waves into the editable track as one undo step."""
        window = self._window
        doc = window.document
        window.status.clearMessage()
        target, self._target = self._target, None
        if doc is None or not tracks or (target is not None and doc is not target):
            return  # another record was opened meanwhile: the prediction is not for it
        predicted = next((t for t in tracks if t.lead is None), tracks[0])
        name = Path(self.model_stem).name
        track = doc.editable_track
        if track is None:
            new = predicted.copy(doc.unique_track_name(doc.annotation_ext))
            doc.tracks.append(new)
            doc.editable_index = len(doc.tracks) - 1
            window.show_tracks()
            window.undo_stack.resetClean()
            window.status.showMessage(f"{len(new)} waves from {name}", 5000)
            return
        if replace_all_waves(window, predicted, f"Pre-annotate with {name}"):
            window.status.showMessage(f"{len(doc.editable_track)} waves from {name} (Ctrl+Z undoes)", 5000)

    # ------------------------------------------------------------------ fine-tuning
    def finetune(self) -> None:
        """Open the fine-tuning dialog on the browsed folder (or the record's folder)."""
        from ecgstudio.gui.finetune_dialog import FineTuneDialog

        window = self._window
        if window.is_dirty and window.document is not None:
            # fine-tuning reads the reviewed beats from disk: offer to save the edits first
            answer = dialogs.ask_save_changes(window, window.document.name)
            if answer == dialogs.CANCEL or (answer == dialogs.SAVE and not window.save()):
                return
        folder = window.browser_folder()
        if folder is None and window.document is not None:
            folder = window.document.record_path.parent
        if folder is None:
            chosen = dialogs.choose_folder(window, "", "Folder of reviewed records")
            if not chosen:
                return
            folder = Path(chosen)
        dialog = FineTuneDialog(window, folder, self.model_stem)
        dialog.sigModelCreated.connect(self.set_model)
        self.finetune_dialog = dialog
        dialog.show()
