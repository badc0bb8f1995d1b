"""Fine-tune the model on the reviewed beats of some records, then offer the new model.

Counting reviewed beats and fine-tuning both run in :class:`TaskRunner`
threads; the services (:func:`ecgstudio.app.finetune.finetune` and
``count_reviewed_beats``) are imported inside those threads, so TensorFlow is
never imported on the GUI thread. Tests inject fakes through the constructor.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from PyQt5.QtCore import QObject, Qt, pyqtSignal, pyqtSlot
from PyQt5.QtGui import QColor
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ecgstudio.app.finetune import DEFAULT_FINETUNE_EPOCHS  # the maximum `ecgstudio finetune` uses by default
from ecgstudio.app.models import score_rows
from ecgstudio.core.errors import EcgStudioError
from ecgstudio.gui.screen_fit import fit_to_screen, overflow_px
from ecgstudio.gui.workers import TaskRunner
from ecgstudio.io.records import list_records
from ecgstudio.paths import model_files, user_models_dir

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


def _default_finetune(*args: Any, **kwargs: Any) -> Any:
    from ecgstudio.app.finetune import finetune

    return finetune(*args, **kwargs)


def _default_count(record_path: str | os.PathLike[str]) -> int:
    from ecgstudio.app.finetune import count_reviewed_beats

    return int(count_reviewed_beats(record_path))


class _LogBridge(QObject):
    """Carries log lines from the worker thread to the GUI thread."""

    sigLine = pyqtSignal(str)


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
        self._records = QTableWidget(0, 2)
        self._records.setHorizontalHeaderLabels(["Record", "Reviewed beats"])
        self._records.verticalHeader().hide()
        self._records.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self._records.setSelectionMode(QAbstractItemView.NoSelection)
        self._records.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self._records.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeToContents)
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
        self._metrics = QTableWidget(0, 3)
        self._metrics.setHorizontalHeaderLabels(["Held-out score", "Before", "After"])
        self._metrics.verticalHeader().hide()
        self._metrics.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self._metrics.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self._metrics.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeToContents)
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
        out = []
        for row in range(self._records.rowCount()):
            item = self._records.item(row, 0)
            if item is not None and item.checkState() == Qt.Checked:
                out.append(item.data(Qt.UserRole))
        return out

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
            self._records.blockSignals(True)
            row = self._records.rowCount()
            self._records.insertRow(row)
            item = QTableWidgetItem(path.name)
            item.setData(Qt.UserRole, key)
            item.setToolTip(key)
            item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Unchecked)
            self._records.setItem(row, 0, item)
            count = QTableWidgetItem("counting…")
            count.setTextAlignment(int(Qt.AlignRight | Qt.AlignVCenter))
            self._records.setItem(row, 1, count)
            self._records.blockSignals(False)
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
        count_fn = self._count_fn

        def task(progress: Callable[[float], None], cancel: Callable[[], bool]) -> dict[str, int | str]:
            out: dict[str, int | str] = {}
            for i, key in enumerate(keys):
                if cancel():
                    break
                try:
                    out[key] = int(count_fn(key))
                except Exception as exc:  # one bad record must not hide the others
                    out[key] = " ".join(str(exc).split()) or type(exc).__name__
                progress((i + 1) / len(keys))
            return out

        runner = TaskRunner(self)
        runner.sigFinished.connect(self._on_counted)
        self._count_runner = runner
        runner.start(task)

    @pyqtSlot(object)
    def _on_counted(self, counts: object) -> None:
        if self.sender() is not self._count_runner:
            return
        self._count_runner = None
        self._records.blockSignals(True)
        for row in range(self._records.rowCount()):
            item = self._records.item(row, 0)
            key = item.data(Qt.UserRole)
            if key not in counts:
                continue
            value = counts[key]
            cell = self._records.item(row, 1)
            if isinstance(value, int):
                self._counts[key] = value
                cell.setText(str(value))
                cell.setToolTip("")
                item.setCheckState(Qt.Checked if value > 0 else Qt.Unchecked)
            else:
                self._counts[key] = 0
                cell.setText("error")
                cell.setToolTip(value)
                item.setCheckState(Qt.Unchecked)
        self._records.blockSignals(False)
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
        rows = score_rows(before, after)
        self._metrics.setRowCount(len(rows))
        colours = {1: QColor(27, 127, 59), -1: QColor(176, 0, 32)}
        for r, row in enumerate(rows):
            for c, text in enumerate((row.label, row.before, row.after)):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(int(Qt.AlignRight | Qt.AlignVCenter))
                if c == 2 and row.change:
                    item.setForeground(colours[row.change])
                    item.setToolTip("better than before" if row.change > 0 else "worse than before")
                self._metrics.setItem(r, c, item)
        header = self._metrics.horizontalHeader().sizeHint().height()
        shown = min(len(rows), 7)  # more rows scroll
        self._metrics.setFixedHeight(header + sum(self._metrics.rowHeight(r) for r in range(shown)) + 4)
        self._metrics.show()
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
            self._metrics.setFixedHeight(max(header + 2 * self._metrics.rowHeight(0), self._metrics.height() - too_tall))
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


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    """Whether ``fn`` takes a keyword argument ``name`` (or ``**kwargs``)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    if name in params:
        return True
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
