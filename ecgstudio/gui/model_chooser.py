"""Dialog to choose the pre-annotation model (shipped or fine-tuned) with its test metrics."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path

from PyQt5.QtCore import Qt, pyqtSlot
from PyQt5.QtGui import QBrush, QColor, QFont
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ecgstudio.app.models import ModelInfo, fiducial_table, list_models, read_model_info
from ecgstudio.paths import model_files

_COLUMNS = ("Model", "Source", "Created", "Parent", "Test metrics")


def _same_stem(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return Path(a).expanduser().absolute() == Path(b).expanduser().absolute()


def _metrics_tooltip(info: ModelInfo) -> str:
    """Rich-text table of all test fiducial scores (or the one-line summary), and a fine-tuned pair's verdict."""
    tip = _test_tooltip(info)
    if info.finetune_verdict:
        tip += (f"<p><b>Fine-tuned from {html.escape(info.parent or 'another model')}</b>: "
                f"{html.escape(info.finetune_verdict)}</p>")
    return tip


def _test_tooltip(info: ModelInfo) -> str:
    test = info.metrics.get("test")
    text_table = test.get("table") if isinstance(test, dict) else None
    if isinstance(text_table, str) and text_table.strip():  # ecgstudio evaluate's own table (model vs peers)
        return f"<b>{html.escape(info.name)}</b> — test records<pre>{html.escape(text_table)}</pre>"
    table = fiducial_table(test)
    if not table:
        return f"{info.stem}\n{info.metrics_summary}"

    def fmt(v: float, pct: bool) -> str:
        if not math.isfinite(v):
            return "–"
        return f"{100 * v:.1f}" if pct else f"{v:.1f}"

    rows = "".join(
        f"<tr><td>{fid}</td><td align=right>{fmt(s.get('sensitivity', math.nan), True)}</td>"
        f"<td align=right>{fmt(s.get('ppv', math.nan), True)}</td>"
        f"<td align=right>{fmt(s.get('mean_error_ms', math.nan), False)}</td>"
        f"<td align=right>{fmt(s.get('sd_error_ms', math.nan), False)}</td></tr>"
        for fid, s in table.items()
    )
    return (f"<b>{info.name}</b> — test records<br><table cellspacing=4><tr><th></th><th>Se %</th>"
            f"<th>PPV %</th><th>mean ms</th><th>SD ms</th></tr>{rows}</table>")


class ModelChooserDialog(QDialog):
    """List the available models with their metrics; the user picks one.

    Parameters
    ----------
    parent : QWidget | None
        Parent window.
    current_stem : str | None
        Stem of the model in use (pre-selected and shown in bold).
    models : sequence of ModelInfo | None
        Models to list; default :func:`ecgstudio.app.models.list_models`.

    Notes
    -----
    After ``exec_()`` returns ``QDialog.Accepted``, :meth:`chosen_stem` is the
    chosen model's stem. "Other model file…" accepts any ``.keras`` file.
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        current_stem: str | None = None,
        models: Sequence[ModelInfo] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Choose pre-annotation model")
        self._models = list(list_models() if models is None else models)
        self._chosen: str | None = None

        intro = QLabel("Pre-annotation model. Metrics: sensitivity (Se), positive predictivity (PPV) and "
                       "error SD on the model's held-out test records.")
        intro.setWordWrap(True)
        self._table = QTableWidget(len(self._models), len(_COLUMNS))
        self._table.setHorizontalHeaderLabels(list(_COLUMNS))
        self._table.verticalHeader().hide()
        self._table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self._table.setSelectionMode(QAbstractItemView.SingleSelection)
        self._table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        header = self._table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setStretchLastSection(True)
        self._table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self._fill(current_stem)
        self._table.itemSelectionChanged.connect(self._update_buttons)
        self._table.itemDoubleClicked.connect(lambda _item: self._accept_selected())

        self._buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self._buttons.button(QDialogButtonBox.Ok).setText("Use model")
        other = QPushButton("Other model file…")
        other.setToolTip("Use a .keras model (with its .json) from anywhere on disk")
        self._buttons.addButton(other, QDialogButtonBox.ActionRole)
        other.clicked.connect(self._choose_file)
        self._buttons.accepted.connect(self._accept_selected)
        self._buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self._table, 1)
        if not self._models:
            layout.addWidget(QLabel("No models found in the models folders."))
        layout.addWidget(self._buttons)
        self.resize(820, 380)
        self._update_buttons()

    # ------------------------------------------------------------------ public API
    def chosen_stem(self) -> str | None:
        """Stem of the accepted model, ``None`` before acceptance or after Cancel."""
        return self._chosen

    def select_stem(self, stem: str) -> bool:
        """Select the row of ``stem``; ``False`` if it is not listed or not usable."""
        for row, info in enumerate(self._models):
            if info.usable and _same_stem(info.stem, stem):
                self._table.selectRow(row)
                return True
        return False

    @classmethod
    def choose(cls, parent: QWidget | None = None, current_stem: str | None = None) -> str | None:
        """Show the dialog modally; the chosen stem, or ``None`` if cancelled."""
        dialog = cls(parent, current_stem)
        try:
            return dialog.chosen_stem() if dialog.exec_() == QDialog.Accepted else None
        finally:
            dialog.deleteLater()

    # ------------------------------------------------------------------ internals
    def _fill(self, current_stem: str | None) -> None:
        grey = QBrush(QColor(140, 140, 140))
        for row, info in enumerate(self._models):
            created = (info.created or "")[:16].replace("T", " ")
            cells = (info.name, info.source, created, info.parent or "—", info.metrics_summary.replace(" · ", "\n"))
            current = _same_stem(info.stem, current_stem)
            tip = _metrics_tooltip(info) if info.usable else f"{info.stem}: {info.problem}"
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text + (" (in use)" if current and col == 0 else ""))
                item.setToolTip(tip)
                if not info.usable:
                    item.setFlags(item.flags() & ~(Qt.ItemIsSelectable | Qt.ItemIsEnabled))
                    item.setForeground(grey)
                if current:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                if col < len(cells) - 1:
                    item.setTextAlignment(int(Qt.AlignLeft | Qt.AlignTop))
                self._table.setItem(row, col, item)
        if not (current_stem and self.select_stem(current_stem)):
            for row, info in enumerate(self._models):
                if info.usable:
                    self._table.selectRow(row)
                    break

    def _selected_info(self) -> ModelInfo | None:
        rows = {index.row() for index in self._table.selectionModel().selectedRows()}
        if len(rows) != 1:
            return None
        info = self._models[rows.pop()]
        return info if info.usable else None

    @pyqtSlot()
    def _update_buttons(self) -> None:
        self._buttons.button(QDialogButtonBox.Ok).setEnabled(self._selected_info() is not None)

    @pyqtSlot()
    def _accept_selected(self) -> None:
        info = self._selected_info()
        if info is not None:
            self._chosen = info.stem
            self.accept()

    @pyqtSlot()
    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a model", "", "Keras models (*.keras)")
        if not path:
            return
        info = read_model_info(model_files(path).json, source="file")
        if not info.usable:
            QMessageBox.warning(self, "Choose a model", f"{Path(path).name}: not a usable model pair "
                                f"({info.problem}); a model needs its .keras and .json files side by side.")
            return
        self._chosen = info.stem
        self.accept()
