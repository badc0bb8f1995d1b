"""The measurements panel: per-beat RR/HR/PR/QRS/QT/QTc table, summary, CSV export."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
from PyQt5.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer, pyqtSignal, pyqtSlot
from PyQt5.QtGui import QBrush, QColor
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ecgstudio.app.measurements_csv import write_measurements_csv
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import EcgStudioError
from ecgstudio.core.measurements import MEASURES, BeatTable, measure_beats, summarize
from ecgstudio.gui.workers import TaskRunner

#: Delay (ms) between an edit of the track and the recomputation of the table.
RECOMPUTE_DELAY_MS = 300

#: Tracks with more waves than this (about an hour of ECG) are measured in a worker thread.
SYNC_LIMIT_WAVES = 15_000

_MISSING = "–"
_MISSING_BRUSH = QBrush(QColor(150, 150, 150))


def _format_time(seconds: float) -> str:
    """``m:ss.s`` below an hour, ``h:mm:ss`` above."""
    if seconds >= 3600:
        h, rest = divmod(int(seconds), 3600)
        m, s = divmod(rest, 60)
        return f"{h}:{m:02d}:{s:02d}"
    m, s = divmod(seconds, 60.0)
    return f"{int(m)}:{s:04.1f}"


def _format_value(value: float) -> str:
    return _MISSING if not math.isfinite(value) else f"{value:.0f}"


class BeatTableModel(QAbstractTableModel):
    """Read-only Qt model over a :class:`BeatTable` (cheap for 100,000 beats)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._table: BeatTable | None = None
        self._headers = ["Beat", "Time"] + [f"{m.short}\n{m.unit}" for m in MEASURES]
        self._tips = ["Beat number", "Time of the R peak (m:ss.s)"] + [f"{m.label} ({m.unit})" for m in MEASURES]
        self._columns: list[np.ndarray] = []

    def set_table(self, table: BeatTable | None) -> None:
        """Show ``table`` (``None`` = empty)."""
        self.beginResetModel()
        self._table = table
        self._columns = [] if table is None else [
            np.arange(1, len(table) + 1, dtype=np.float64), table.beat_time_s,
            *(table.column(m.key) for m in MEASURES),
        ]
        self.endResetModel()

    def table(self) -> BeatTable | None:
        """The table shown."""
        return self._table

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt signature
        return 0 if parent.isValid() or self._table is None else len(self._table)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt signature
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole) -> Any:  # noqa: N802
        if orientation != Qt.Horizontal or not 0 <= section < len(self._headers):
            return None
        if role == Qt.DisplayRole:
            return self._headers[section]
        if role == Qt.ToolTipRole:
            return self._tips[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid() or self._table is None:
            return None
        value = float(self._columns[index.column()][index.row()])
        if role == Qt.DisplayRole:
            if index.column() == 1:
                return _format_time(value)
            return _format_value(value)
        if role == Qt.TextAlignmentRole:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.ForegroundRole and not math.isfinite(value):
            return _MISSING_BRUSH
        if role == Qt.ToolTipRole and index.column() < 2:
            return f"sample {int(self._table.beat_sample[index.row()])}"
        return None


class MeasurementsPanel(QWidget):
    """Per-beat interval table with a summary and CSV export.

    Signals
    -------
    sigBeatActivated(int)
        The user clicked (or pressed Enter on) a beat: its fiducial sample
        (R peak, else QRS start), for the owner to centre the view on it.

    Notes
    -----
    The panel listens to the track it shows and recomputes
    :data:`RECOMPUTE_DELAY_MS` after the last edit.
    """

    sigBeatActivated = pyqtSignal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._track: Delineation | None = None
        self._fs = 0.0
        self._job: TaskRunner | None = None

        self._title = QLabel("No track")
        n_cols = 2 + len(MEASURES)
        self._summary = QTableWidget(3, n_cols)
        self._summary.setHorizontalHeaderLabels(["", ""] + [f"{m.short}\n{m.unit}" for m in MEASURES])
        for col, m in enumerate(MEASURES, start=2):
            self._summary.horizontalHeaderItem(col).setToolTip(f"{m.label} ({m.unit})")
        for row, label in enumerate(("median", "IQR", "n")):
            self._summary.setSpan(row, 0, 1, 2)
            item = QTableWidgetItem(label)
            item.setTextAlignment(int(Qt.AlignLeft | Qt.AlignVCenter))
            self._summary.setItem(row, 0, item)
        self._summary.verticalHeader().hide()
        self._summary.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self._summary.setSelectionMode(QAbstractItemView.NoSelection)
        self._summary.setFocusPolicy(Qt.NoFocus)
        self._summary.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self._summary.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self._summary.setToolTip("Median, interquartile range (Q3 − Q1) and number of beats where the "
                                 "measure exists")

        self._model = BeatTableModel(self)
        self._view = QTableView()
        self._view.setModel(self._model)
        self._view.setSelectionBehavior(QAbstractItemView.SelectRows)
        self._view.setSelectionMode(QAbstractItemView.SingleSelection)
        self._view.setAlternatingRowColors(True)
        self._view.verticalHeader().hide()
        self._view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 4)
        self._view.verticalHeader().setSectionResizeMode(QHeaderView.Fixed)
        self._view.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOn)
        self._view.clicked.connect(self._on_row_activated)
        self._view.activated.connect(self._on_row_activated)
        # narrow docks scroll horizontally: the summary follows the beat table
        self._view.horizontalScrollBar().valueChanged.connect(self._summary.horizontalScrollBar().setValue)

        self._export = QPushButton("Export CSV…")
        self._export.setToolTip("Write one row per beat (intervals in ms) to a CSV file")
        self._export.clicked.connect(self._on_export_clicked)

        # keep the summary's columns aligned with the beat table's (which has a scroll bar)
        summary_row = QHBoxLayout()
        summary_row.setSpacing(0)
        summary_row.addWidget(self._summary, 1)
        summary_row.addSpacing(self._view.verticalScrollBar().sizeHint().width())
        bottom = QHBoxLayout()
        bottom.addWidget(self._title, 1)
        bottom.addWidget(self._export)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(summary_row)
        layout.addWidget(self._view, 1)
        layout.addLayout(bottom)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RECOMPUTE_DELAY_MS)
        self._timer.timeout.connect(self.recompute)
        self._set_column_widths()
        self._fit_summary_height()
        self.recompute()

    # ------------------------------------------------------------------ public API
    def set_track(self, track: Delineation | None, fs: float) -> None:
        """Measure ``track`` (``None`` clears the panel); recomputed after each edit of it."""
        if self._track is not None:
            self._track.remove_listener(self._on_track_changed)
        self._track = track
        self._fs = float(fs)
        if track is not None:
            track.add_listener(self._on_track_changed)
        self._timer.stop()
        self.recompute()

    def table(self) -> BeatTable | None:
        """The measurements shown (``None`` without a track)."""
        return self._model.table()

    def export_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the shown beats to ``path`` (see :func:`write_measurements_csv`).

        Pending recomputations are finished first, so the file matches the track.

        Raises
        ------
        SaveError
            If the file cannot be written.
        """
        if self._timer.isActive():
            self._timer.stop()
            self.recompute()
        self.wait(60_000)
        table = self._model.table()
        if table is None:
            table = measure_beats([], self._fs if self._fs > 0 else 1.0)
        return write_measurements_csv(path, table)

    def cancel(self) -> None:
        """Stop measuring (the window is closing): no recomputation is scheduled or delivered any more."""
        self._timer.stop()
        if self._track is not None:
            self._track.remove_listener(self._on_track_changed)
            self._track = None
        if self._job is not None:
            self._job.cancel()  # its outcome is dropped: _on_measured only takes sigFinished

    def wait(self, ms: int = 10_000) -> bool:
        """Wait for a background measurement (long tracks; tests); ``True`` when none is running."""
        return self._job is None or self._job.wait(ms)

    @pyqtSlot()
    def recompute(self) -> None:
        """Measure the track again now (normally called after edits, debounced).

        Long tracks (more than :data:`SYNC_LIMIT_WAVES` waves) are measured in a
        worker thread on a snapshot of the waves; the table updates when done.
        """
        if self._job is not None:
            self._job.cancel()  # its result is ignored: the new job replaces it
            self._job.deleteLater()
            self._job = None
        track = self._track
        if track is None or self._fs <= 0:
            self._show(None)
            return
        if len(track) <= SYNC_LIMIT_WAVES:
            self._show(measure_beats(track, self._fs))
            return
        snapshot, fs = track.waves, self._fs
        job = TaskRunner(self)
        job.sigFinished.connect(self._on_measured)
        self._job = job
        self._title.setText(f"{track.name or 'track'}: measuring…")
        job.start(lambda _progress, _cancel: measure_beats(snapshot, fs))

    # ------------------------------------------------------------------ internals
    @pyqtSlot(object)
    def _on_measured(self, table: object) -> None:
        if self.sender() is not self._job:
            return
        self._job = None
        self._show(table)

    def _show(self, table: BeatTable | None) -> None:
        self._model.set_table(table)
        self._set_column_widths(table)
        self._fill_summary(table)
        self._export.setEnabled(table is not None and len(table) > 0)
        if self._track is None:
            self._title.setText("No track")
        else:
            n = len(table) if table is not None else 0
            self._title.setText(f"{self._track.name or 'track'}: {n} beat{'s' if n != 1 else ''}")

    def _fill_summary(self, table: BeatTable | None) -> None:
        stats = summarize(table) if table is not None else {}
        for col, measure in enumerate(MEASURES, start=2):
            s = stats.get(measure.key)
            if s is None or s.n == 0:
                cells, tip = [_MISSING, _MISSING, "0"], ""
            else:
                cells = [f"{s.median:.0f}", f"{s.iqr:.0f}", _count(s.n)]
                tip = f"{measure.label}: median {s.median:.1f}, Q1 {s.q1:.1f}, Q3 {s.q3:.1f} {measure.unit}, n = {s.n}"
            for row, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(int(Qt.AlignRight | Qt.AlignVCenter))
                if tip:
                    item.setToolTip(tip)
                self._summary.setItem(row, col, item)

    def _set_column_widths(self, table: BeatTable | None = None) -> None:
        """Beat and time columns sized for their widest text; measures share the rest (never truncated)."""
        fm = self.fontMetrics()
        pad = 12
        n = 0 if table is None else len(table)
        last_time = _format_time(float(table.beat_time_s[-1])) if n else "0:00.0"
        fixed = {0: max(fm.horizontalAdvance(str(max(n, 999))), fm.horizontalAdvance("Beat")) + pad,
                 1: max(fm.horizontalAdvance(last_time), fm.horizontalAdvance("Time")) + pad}
        minimum = max(fm.horizontalAdvance("0000"), fm.horizontalAdvance("QTcF")) + pad
        for view in (self._summary, self._view):
            header = view.horizontalHeader()
            header.setMinimumSectionSize(minimum)
            header.setSectionResizeMode(QHeaderView.Stretch)
            for col, width in fixed.items():
                header.setSectionResizeMode(col, QHeaderView.Fixed)
                header.resizeSection(col, width)

    def _fit_summary_height(self) -> None:
        self._summary.resizeRowsToContents()
        header = self._summary.horizontalHeader()
        height = header.sizeHint().height() + 2 * self._summary.frameWidth()
        height += sum(self._summary.rowHeight(r) for r in range(self._summary.rowCount()))
        self._summary.setFixedHeight(height)

    def _on_track_changed(self, first: int, last: int) -> None:
        try:
            self._timer.start()
        except RuntimeError:  # the panel was deleted while still listening
            if self._track is not None:
                self._track.remove_listener(self._on_track_changed)

    @pyqtSlot(QModelIndex)
    def _on_row_activated(self, index: QModelIndex) -> None:
        table = self._model.table()
        if table is not None and index.isValid():
            self.sigBeatActivated.emit(int(table.beat_sample[index.row()]))

    @pyqtSlot()
    def _on_export_clicked(self) -> None:
        name = (self._track.name if self._track is not None else "") or "measurements"
        path, _ = QFileDialog.getSaveFileName(self, "Export measurements", f"{name}_measurements.csv",
                                              "CSV files (*.csv);;All files (*)")
        if not path:
            return
        try:
            self.export_csv(path)
        except EcgStudioError as exc:
            QMessageBox.warning(self, "Export measurements", str(exc))


def _count(n: int) -> str:
    """A count short enough for a narrow column: ``987``, ``9876``, ``109k`` (the tooltip has the exact figure)."""
    return str(n) if n < 10_000 else f"{n / 1000:.0f}k"
