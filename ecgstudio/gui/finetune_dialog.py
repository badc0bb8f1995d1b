"""Fine-tune the model on the reviewed beats of some records, then offer the new model.

Counting reviewed beats and fine-tuning both run in :class:`TaskRunner`
threads; the services (:func:`ecgstudio.app.finetune.finetune` and
``count_reviewed_beats``) are imported inside those threads, so TensorFlow is
never imported on the GUI thread. Tests inject fakes through the constructor.

The record list lives in :mod:`ecgstudio.gui.finetune_records`, the before/after
score table in :mod:`ecgstudio.gui.finetune_score_table`, the default services,
counting task and log bridge in :mod:`ecgstudio.gui.finetune_tasks`; the names
this module held before the split are re-exported here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from PyQt5.QtCore import Qt, pyqtSignal, pyqtSlot
from PyQt5.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ecgstudio.app.finetune import DEFAULT_FINETUNE_EPOCHS  # the maximum `ecgstudio finetune` uses by default
from ecgstudio.core.errors import EcgStudioError
from ecgstudio.gui.finetune_records import RecordTable
from ecgstudio.gui.finetune_score_table import ScoreTable
from ecgstudio.gui.finetune_tasks import LogBridge as _LogBridge
from ecgstudio.gui.finetune_tasks import accepts as _accepts
from ecgstudio.gui.finetune_tasks import count_task
from ecgstudio.gui.finetune_tasks import default_count as _default_count
from ecgstudio.gui.finetune_tasks import default_finetune as _default_finetune
from ecgstudio.gui.screen_fit import fit_to_screen, overflow_px
from ecgstudio.gui.workers import TaskRunner
from ecgstudio.io.records import list_records
from ecgstudio.paths import model_files, user_models_dir

# the dialog, and the helpers this module defined before the split (looked up here: patching them here works)
__all__ = ["FineTuneDialog", "_LogBridge", "_NAME_RE", "_accepts", "_default_count", "_default_finetune"]

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


class FineTuneDialog(QDialog):
    """Choose records, fine-tune the base model on their reviewed beats, compare, switch.

    Parameters
    ----------
    parent : QWidget | None
        Parent window.
    folder : path | None
        Folder whose records are listed (and selected when they have reviewed beats).
    base_model_stem : str
        Stem of the model to start from.
    finetune_fn : callable | None
        ``fn(records, base_stem, out_stem, *, ann_ext, epochs, progress, cancel[, log])``
        returning an object with ``.stem``, ``.before``, ``.after``, ``.accepted``, ``.verdict``; default
        :func:`ecgstudio.app.finetune.finetune`.
    count_fn : callable | None
        ``fn(record_path) -> int`` reviewed beats; default ``count_reviewed_beats``.
    out_dir : path | None
        Where the new model pair goes; default :func:`ecgstudio.paths.user_models_dir`.

    Signals
    -------
    sigModelCreated(str)
        Stem of the new model, when the user chooses to switch to it (offered
        only when the acceptance gate accepted it: ``result.accepted``;
        otherwise the dialog shows ``result.verdict``).
    """

    sigModelCreated = pyqtSignal(str)

    def __init__(
        self,
        parent: QWidget | None,
        folder: str | os.PathLike[str] | None,
        base_model_stem: str,
        *,
        finetune_fn: Callable[..., Any] | None = None,
        count_fn: Callable[[str], int] | None = None,
        out_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Fine-tune the model")
        self._base = str(base_model_stem)
        self._finetune_fn = finetune_fn or _default_finetune
        self._count_fn = count_fn or _default_count
        self._out_dir = Path(os.fspath(out_dir)) if out_dir is not None else user_models_dir()
        self._counts: dict[str, int | None] = {}
        self._result: Any = None
        self._count_runner: TaskRunner | None = None
        self._train_runner = TaskRunner(self)
        self._train_runner.sigProgress.connect(self._on_train_progress)
        self._train_runner.sigFinished.connect(self._on_trained)
        self._train_runner.sigFailed.connect(self._on_train_failed)
        self._train_runner.sigCancelled.connect(self._on_train_cancelled)
        self._log_bridge = _LogBridge(self)
        self._build_ui()
        self._log_bridge.sigLine.connect(self._log.appendPlainText)
        if folder is not None:
            self._add_folder(Path(os.fspath(folder)))
        self._update_state()

    # ------------------------------------------------------------------ layout
    def _build_ui(self) -> None:
        base_name = Path(self._base).name
        intro = QLabel(f"Fine-tune <b>{base_name}</b> on the beats you reviewed and corrected. The base "
                       "model is kept; the result is saved as a new model.")
        intro.setWordWrap(True)
        self._records = RecordTable()
        self._records.setMinimumHeight(self.fontMetrics().height() * 8)
        self._records.itemChanged.connect(lambda _item: self._update_state())
        add = self._add = QPushButton("Add records…")
        add.clicked.connect(self._choose_records)
        self._selection_label = QLabel("")
        row = QHBoxLayout()
        row.addWidget(self._selection_label, 1)
        row.addWidget(add)

        self._name = QLineEdit(f"{base_name}-ft-{datetime.now():%Y%m%d-%H%M}")
        self._name.textChanged.connect(lambda _text: self._update_state())
        self._epochs = QSpinBox()
        self._epochs.setRange(1, 500)
        self._epochs.setValue(DEFAULT_FINETUNE_EPOCHS)  # early stopping usually ends sooner
        self._epochs.setToolTip("Maximum epochs; training stops early when the held-out beats stop improving")
        form = QFormLayout()
        form.addRow("New model name:", self._name)
        form.addRow("Maximum epochs:", self._epochs)

        self._progress = QProgressBar()
        self._progress.setRange(0, 1000)
        self._progress.setTextVisible(True)
        self._progress.hide()
        self._log = QPlainTextEdit()
        self._log.setReadOnly(True)
        self._log.setMaximumBlockCount(500)
        self._log.setFixedHeight(self.fontMetrics().height() * 5)
        self._log.hide()
        self._message = QLabel("")
        self._message.setWordWrap(True)
        self._message.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self._metrics = ScoreTable()
        self._metrics.hide()

        self._start = QPushButton("Start fine-tuning")
        self._start.setDefault(True)
        self._start.clicked.connect(self.start)
        self._use = QPushButton("Use new model")
        self._use.clicked.connect(self._use_new_model)
        self._use.hide()
        self._close = QPushButton("Close")
        self._close.clicked.connect(self._on_close_clicked)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self._start)
        buttons.addWidget(self._use)
        buttons.addWidget(self._close)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self._records, 1)
        layout.addLayout(row)
        layout.addLayout(form)
        layout.addWidget(self._progress)
        layout.addWidget(self._log)
        layout.addWidget(self._message)
        layout.addWidget(self._metrics)
        layout.addLayout(buttons)
        self.resize(520, 520)

    # ------------------------------------------------------------------ public API
    def selected_records(self) -> list[str]:
        """Record paths (no extension) ticked for fine-tuning."""
        return self._records.checked_keys()

    def add_records(self, paths: Sequence[str | os.PathLike[str]]) -> None:
        """List more records (counted in the background; ticked when they have reviewed beats)."""
        new = []
        for p in paths:
            path = Path(os.fspath(p))
            if path.suffix == ".hea":
                path = path.with_suffix("")
            key = str(path.absolute())
            if key in self._counts:
                continue
            self._counts[key] = None
            new.append(key)
            self._records.append_record(path.name, key)
        if new:
            self._count(new)
        self._update_state()

    def wait(self, ms: int = 10000) -> bool:
        """Wait for background work (tests); ``True`` when none is running."""
        ok = self._count_runner is None or self._count_runner.wait(ms)
        return self._train_runner.wait(ms) and ok

    def result_value(self) -> Any:
        """The fine-tuning result (``.stem``, ``.before``, ``.after``), ``None`` before one exists."""
        return self._result

    @pyqtSlot()
    def start(self) -> None:
        """Start fine-tuning the ticked records (reports problems in the dialog)."""
        if self._train_runner.is_running():
            return
        problem = self._start_problem()
        if problem:
            self._show_message(problem, error=True)
            return
        records = self.selected_records()
        out_stem = str(self._out_dir / self._name.text().strip())
        fn, base, epochs = self._finetune_fn, self._base, self._epochs.value()
        kwargs: dict[str, Any] = {"ann_ext": None, "epochs": epochs}
        if _accepts(fn, "log"):
            kwargs["log"] = self._log_bridge.sigLine.emit

        def task(progress: Callable[[float], None], cancel: Callable[[], bool]) -> Any:
            return fn(records, base, out_stem, progress=progress, cancel=cancel, **kwargs)

        self._result = None
        self._metrics.hide()
        self._use.hide()
        self._log.clear()
        self._log.setVisible(_accepts(fn, "log"))
        self._progress.setValue(0)
        self._progress.show()
        self._show_message(f"Fine-tuning on {self._selected_beats()} reviewed beats…")
        self._train_runner.start(task)
        self._update_state()

    # ------------------------------------------------------------------ counting
    def _add_folder(self, folder: Path) -> None:
        try:
            paths = list_records(folder)
        except EcgStudioError as exc:
            self._show_message(str(exc), error=True)
            return
        self.add_records(paths)

    def _count(self, keys: list[str]) -> None:
        if self._count_runner is not None and self._count_runner.is_running():
            pending = [k for k, v in self._counts.items() if v is None]
            self._count_runner.cancel()
            self._count_runner.deleteLater()
            keys = pending
        runner = TaskRunner(self)
        runner.sigFinished.connect(self._on_counted)
        self._count_runner = runner
        runner.start(count_task(self._count_fn, keys))

    @pyqtSlot(object)
    def _on_counted(self, counts: object) -> None:
        if self.sender() is not self._count_runner:
            return
        self._count_runner = None
        self._counts.update(self._records.apply_counts(counts))
        self._update_state()

    # ------------------------------------------------------------------ training outcome
    @pyqtSlot(float)
    def _on_train_progress(self, fraction: float) -> None:
        self._progress.setValue(int(round(fraction * 1000)))

    @pyqtSlot(object)
    def _on_trained(self, result: object) -> None:
        self._result = result
        self._progress.setValue(1000)
        before = dict(getattr(result, "before", {}) or {})
        after = dict(getattr(result, "after", {}) or {})
        self._metrics.show_scores(before, after)
        stem = Path(str(getattr(result, "stem", "")))
        facts = []
        if getattr(result, "n_beats", None):
            facts.append(f"{result.n_beats} reviewed beats")
        if getattr(result, "epochs_run", None):
            facts.append(f"{result.epochs_run} epochs")
        if getattr(result, "wall_s", None):
            facts.append(f"{result.wall_s:.0f} s")
        detail = f" ({', '.join(facts)})" if facts else ""
        # the acceptance gate (app.finetune.gate): switching is offered only when the new model is better on the
        # held-out reviewed beats and worse on none of the boundaries it checks
        accepted = bool(getattr(result, "accepted", False))
        verdict = str(getattr(result, "verdict", "") or "")
        if accepted:
            self._show_message(f"Saved the new model “{stem.name}”{detail} to {stem}.keras. It is {verdict}. "
                               "Scores are on the held-out reviewed beats, before and after fine-tuning.")
            self._use.show()
            self._use.setDefault(True)
        else:
            self._show_message(f"{verdict or 'NOT BETTER than the base on the held-out reviewed beats'}. Keep "
                               f"using {Path(self._base).name}; the new model “{stem.name}”{detail} was saved to "
                               f"{stem}.keras for inspection only.", error=True)
            self._use.hide()
        self._update_state()
        # the scores must not push the buttons off the screen: shorter lists, then fewer score rows
        self._progress.hide()
        self._records.setMinimumHeight(self.fontMetrics().height() * 4)
        too_tall = overflow_px(self)
        if too_tall:
            self._metrics.shrink_by(too_tall)
        fit_to_screen(self, self.width(), max(self.height(), self.sizeHint().height()))

    @pyqtSlot(str)
    def _on_train_failed(self, message: str) -> None:
        self._progress.hide()
        self._show_message(f"Fine-tuning failed: {message}", error=True)
        self._update_state()

    @pyqtSlot()
    def _on_train_cancelled(self) -> None:
        self._progress.hide()
        self._show_message("Fine-tuning cancelled; no model was written.")
        self._update_state()

    @pyqtSlot()
    def _use_new_model(self) -> None:
        if self._result is not None:
            self.sigModelCreated.emit(str(self._result.stem))
            self.accept()

    @pyqtSlot()
    def _on_close_clicked(self) -> None:
        if self._train_runner.is_running():
            self._train_runner.cancel()
            self._show_message("Cancelling…")
            self._close.setEnabled(False)
            return
        self.reject()

    def reject(self) -> None:  # Qt override: Esc / window close must not leave training running
        if self._train_runner.is_running():
            self._on_close_clicked()
            return
        super().reject()

    # ------------------------------------------------------------------ helpers
    @pyqtSlot()
    def _choose_records(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add records", "", "WFDB headers (*.hea)")
        if files:
            self.add_records(files)

    def _selected_beats(self) -> int:
        return sum(self._counts.get(k) or 0 for k in self.selected_records())

    def _start_problem(self) -> str | None:
        name = self._name.text().strip()
        if not self.selected_records():
            return "Tick at least one record with reviewed beats."
        if not _NAME_RE.match(name):
            return "The model name may contain letters, digits, '-', '_' and '.' only."
        if model_files(self._out_dir / name).existing():
            return f"A model named “{name}” already exists; choose another name."
        return None

    def _show_message(self, text: str, *, error: bool = False) -> None:
        self._message.setStyleSheet("color: #b00020;" if error else "")
        self._message.setText(text)

    def _update_state(self) -> None:
        running = self._train_runner.is_running()
        n = len(self.selected_records())
        self._selection_label.setText(f"{n} record{'s' if n != 1 else ''} selected, "
                                      f"{self._selected_beats()} reviewed beats")
        self._start.setEnabled(not running and n > 0)
        self._records.setEnabled(not running)
        self._add.setEnabled(not running)
        self._name.setEnabled(not running)
        self._epochs.setEnabled(not running)
        self._close.setText("Cancel" if running else "Close")
        self._close.setEnabled(True)

