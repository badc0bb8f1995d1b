"""Annotate menu: pre-annotation with the current model, model choice and fine-tuning.

The model work itself runs in :class:`PreannotateController` (a worker thread
with a progress dialog); this controller only hands its result to the editing
session (:meth:`ecgstudio.app.editing.EditingSession.apply_prediction`) as ONE
undoable step. Reviewed waves are kept exactly unless the user chose "Replace
everything" when asked (the question comes before the model runs, only when the
record holds reviewed work). Beats are labelled from the record's ``atr``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PyQt5.QtCore import QObject

from ecgstudio.app.editing import PredictionReport
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import EcgStudioError
from ecgstudio.gui import dialogs

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
        self._replace_reviewed = False

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
        window = self._window
        doc, session = window.document, window.session
        if doc is None or session is None:
            return
        self._replace_reviewed = False
        if session.has_reviewed_work() or (window.is_dirty and any(len(t) for t in doc.editable_tracks)):
            # reviewed corrections, or unsaved edits (maybe not marked reviewed yet): ask first
            answer = dialogs.ask_reannotate(window, doc.name, doc.review.total_samples / doc.fs)
            if answer == dialogs.CANCEL:
                return
            self._replace_reviewed = answer == dialogs.REPLACE_ALL
        window.status.showMessage(f"Pre-annotating {doc.name} with {Path(self.model_stem).name}…")
        if not self._controller().start(doc.record, self.model_stem, per_lead=session.prediction_per_lead):
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
        """Put the model's waves into the editable track(s) as one undo step, keeping reviewed work.

        Leads the model could not use are marked on their rows and named in the
        status bar; when no lead is usable nothing is applied.
        """
        from ecgstudio.app.preannotate import label_from_beat_file, prediction_quality
        from ecgstudio.gui.quality_overlay import show_excluded

        window = self._window
        doc, session = window.document, window.session
        window.status.clearMessage()
        target, self._target = self._target, None
        if doc is None or session is None or not tracks or (target is not None and doc is not target):
            return  # another record was opened meanwhile: the prediction is not for it
        quality = prediction_quality(tracks[0])
        excluded = quality.summary(doc.record.lead_names) if quality is not None else ""
        if quality is not None:
            show_excluded(window.view.rows, quality, doc.record.lead_names)
            if quality.nothing_usable:
                window.status.showMessage(f"No usable lead in {doc.name} ({excluded}): nothing annotated", 12000)
                return
        note = f"; leads excluded: {excluded}" if excluded else ""
        try:
            tracks, _ = label_from_beat_file(tracks, doc.record_path, start_sample=doc.record.start_sample)
        except EcgStudioError as exc:
            note += f" (beat labels not read: {exc})"
        name = Path(self.model_stem).name
        replace_reviewed = self._replace_reviewed
        reports: list[PredictionReport] = []

        def perform() -> None:
            reports.append(session.apply_prediction(tracks, model=name, replace_reviewed=replace_reviewed))

        if window.push_step(perform, f"Pre-annotate with {name}") and reports:
            window.status.showMessage(f"{reports[0].summary()[:1].upper()}{reports[0].summary()[1:]} "
                                      f"({name}; Ctrl+Z undoes){note}", 12000 if excluded else 8000)

    def reference_groups(self) -> dict[str, list[str]]:
        """Reference track groups that can be copied: by file (``q1c``), and all per-lead files together."""
        doc = self._window.document
        if doc is None:
            return {}
        refs = doc.reference_tracks
        groups: dict[str, list[str]] = {}
        per_lead = [t.name for t in refs if t.lead is not None and t.name.lower() in
                    {n.lower() for n in doc.record.lead_names}]
        if per_lead:
            groups[f"the {len(per_lead)} per-lead files ({', '.join(per_lead[:3])}…)"] = per_lead
        for track in refs:
            groups.setdefault(track.name, [track.name])
        return groups

    def copy_reference(self, names: list[str] | None = None) -> bool:
        """Annotate → Edit a copy of the reference: the chosen reference tracks become the editable ones.

        One undo step; the reference files are never changed. With per-lead
        references (LUDB's ``N.i`` … ``N.v6``) every lead gets its own
        editable track, saved into one ``.ecgs`` (``chan`` = lead).
        """
        window = self._window
        session = window.session
        if session is None:
            return False
        if names is None:
            groups = self.reference_groups()
            if not groups:
                window.status.showMessage("This record has no reference annotations to copy", 5000)
                return False
            chosen = dialogs.choose_reference(window, list(groups))
            if chosen is None:
                return False
            names = groups[chosen]
        counts: list[int] = []
        if not window.push_step(lambda: counts.append(session.copy_reference(names)), "Edit a copy of the reference"):
            return False
        window.show_tracks()
        window.status.showMessage(f"{counts[0] if counts else 0} waves copied into the editable track "
                                  "(Ctrl+Z undoes)", 6000)
        return True

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
