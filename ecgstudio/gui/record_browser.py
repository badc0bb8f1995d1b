"""The record browser: the worklist of a folder (review state, reviewed share, reviewer, duration, fs, leads, beats).

The review states and the choice of the next record to review are
:mod:`ecgstudio.app.worklist`'s (no Qt); this widget lists them, sorts them,
and says which record the user sees next.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from pathlib import Path

from PyQt5.QtCore import QSize, Qt, pyqtSignal, pyqtSlot
from PyQt5.QtGui import QBrush, QColor, QFont
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ecgstudio.app.folder_beats import BeatCounter, with_beats
from ecgstudio.app.folder_status import DEFAULT_EXT, RecordStatus, folder_status
from ecgstudio.app.worklist import FolderProgress, ReviewState, review_state
from ecgstudio.gui.workers import TaskRunner

_COLUMNS = ("Record", "Status", "Reviewed", "Length", "Reviewer", "Changed", "Hz", "Leads", "Beats")
_TIPS = (
    "",
    "untouched: no .ecgs file saved · pre-annotated: model output, nothing reviewed · in progress: partly "
    "reviewed · reviewed: no unreviewed stretch of 2 s or more",
    "Share of the record marked reviewed in its .ecgs annotations",
    "Duration (h:mm:ss)",
    "Who made the latest review mark",
    "When the .ecgs annotations or their review marks were last saved",
    "Sampling frequency (Hz)",
    "Number of leads",
    "QRS complexes in the saved .ecgs annotations (blank without a readable file)",
)
#: Text colour of each review state (readable on light and alternating rows).
_STATE_COLOURS = {
    ReviewState.UNREADABLE: QColor(150, 150, 150),
    ReviewState.UNTOUCHED: None,
    ReviewState.PRE_ANNOTATED: QColor(30, 90, 180),
    ReviewState.IN_PROGRESS: QColor(190, 100, 0),
    ReviewState.REVIEWED: QColor(20, 130, 40),
}
_STATE_ORDER = {state: i for i, state in enumerate(ReviewState)}
_SORT_ROLE = Qt.UserRole + 1
_PATH_ROLE = Qt.UserRole + 2


def format_duration(seconds: float) -> str:
    """``m:ss`` below an hour, ``h:mm:ss`` above; ``"–"`` when unknown."""
    if not math.isfinite(seconds) or seconds <= 0:
        return "–"
    total = int(round(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def format_changed(epoch_s: float | None, now_s: float | None = None) -> str:
    """Local ``HH:MM`` for today, ``YYYY-MM-DD`` before; ``""`` for ``None``."""
    if epoch_s is None:
        return ""
    when = time.localtime(epoch_s)
    today = time.localtime(time.time() if now_s is None else now_s)
    if when[:3] == today[:3]:
        return time.strftime("%H:%M", when)
    return time.strftime("%Y-%m-%d", when)


class _Item(QTableWidgetItem):
    """Table item that sorts by the value stored under ``_SORT_ROLE``."""

    def __init__(self, text: str, sort_key: object) -> None:
        super().__init__(text)
        self.setData(_SORT_ROLE, sort_key)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(_SORT_ROLE), other.data(_SORT_ROLE)
        try:
            return bool(mine < theirs)
        except TypeError:
            return super().__lt__(other)


class RecordBrowser(QWidget):
    """Lists the records of a folder; double-click (or Enter) opens one.

    Headers are read in a worker thread (:class:`TaskRunner`), so a slow or
    large folder never freezes the window.

    Signals
    -------
    sigRecordActivated(str)
        Record path (no extension) the user chose to open.
    sigListed(int)
        The listing of the current folder finished with this many records.
    sigExportRequested()
        The user asked for the worklist as CSV (the window asks where).
    sigMeasurementsRequested()
        The user asked for every beat of the folder as CSV (the window asks where).
    """

    sigRecordActivated = pyqtSignal(str)
    sigListed = pyqtSignal(int)
    sigExportRequested = pyqtSignal()
    sigMeasurementsRequested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None, ext: str = DEFAULT_EXT) -> None:
        super().__init__(parent)
        self._ext = ext
        self._folder: Path | None = None
        self._current: Path | None = None
        self._rows: list[RecordStatus] = []
        self._runner: TaskRunner | None = None
        self._beats = BeatCounter()  # a refresh re-reads only the annotation files that changed

        self._folder_label = QLabel("No folder")
        self._folder_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self._folder_label.setMinimumWidth(40)
        choose = QToolButton()
        choose.setIcon(self.style().standardIcon(QStyle.SP_DirOpenIcon))
        choose.setToolTip("Choose a folder of records")
        choose.clicked.connect(self._choose_folder)
        self._refresh_button = QToolButton()
        self._refresh_button.setIcon(self.style().standardIcon(QStyle.SP_BrowserReload))
        self._refresh_button.setToolTip("Read the folder again")
        self._refresh_button.clicked.connect(self.refresh)
        export = QToolButton()
        export.setIcon(self.style().standardIcon(QStyle.SP_DialogSaveButton))
        export.setToolTip("Export the worklist of this folder as CSV")
        export.clicked.connect(self.sigExportRequested)
        measurements = QToolButton()
        measurements.setIcon(self.style().standardIcon(QStyle.SP_FileDialogDetailedView))
        measurements.setToolTip("Export folder measurements: every beat of every saved record as CSV")
        measurements.clicked.connect(self.sigMeasurementsRequested)

        self._table = QTableWidget(0, len(_COLUMNS))
        self._table.setHorizontalHeaderLabels(list(_COLUMNS))
        self._table.verticalHeader().hide()
        self._table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self._table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self._table.setSelectionMode(QAbstractItemView.SingleSelection)
        self._table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self._table.setAlternatingRowColors(True)
        self._table.setWordWrap(False)
        header = self._table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setStretchLastSection(True)
        header.setMinimumSectionSize(self.fontMetrics().horizontalAdvance("Hz") + 12)
        self._table.setTextElideMode(Qt.ElideMiddle)
        self._table.sortByColumn(0, Qt.AscendingOrder)
        for col, tip in enumerate(_TIPS):
            if tip:
                self._table.horizontalHeaderItem(col).setToolTip(tip)
        self._table.itemActivated.connect(self._on_activated)

        self._status = QLabel("")
        self._status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self._folder_label, 1)
        top.addWidget(choose)
        top.addWidget(self._refresh_button)
        top.addWidget(export)
        top.addWidget(measurements)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self._table, 1)
        layout.addWidget(self._status)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Record, status, reviewed share and length, within 30 % of the window (the dock opens at this width)."""
        char = self.fontMetrics().horizontalAdvance("x")
        window = self.window()
        share = int(0.3 * window.width()) if window is not self else 46 * char
        return QSize(max(30 * char, min(46 * char, share)), super().sizeHint().height())

    # ------------------------------------------------------------------ public API
    def set_folder(self, path: str | os.PathLike[str]) -> None:
        """Show the records of ``path`` (read in the background)."""
        self._folder = Path(os.fspath(path)).expanduser().absolute()
        self._folder_label.setText(self._folder.name or str(self._folder))
        self._folder_label.setToolTip(str(self._folder))
        self.refresh()

    def folder(self) -> Path | None:
        """The folder shown."""
        return self._folder

    def ext(self) -> str:
        """Extension of the edited annotation files whose state is shown."""
        return self._ext

    @pyqtSlot()
    def refresh(self) -> None:
        """Read the folder again (review progress changes as the user works)."""
        if self._folder is None:
            return
        if self._runner is not None:
            self._runner.cancel()  # its outcome is ignored: a new runner reads the folder
            self._runner.deleteLater()
        folder, ext = self._folder, self._ext
        runner = TaskRunner(self)
        runner.sigFinished.connect(self._on_listed)
        runner.sigFailed.connect(self._on_failed)
        runner.sigProgress.connect(self._on_progress)
        self._runner = runner
        self._status.setText("Reading headers…")
        counter = self._beats

        def listing(progress: Callable[[float], None], cancel: Callable[[], bool]) -> list[RecordStatus]:
            rows = folder_status(folder, ext, progress=progress, cancel=cancel)
            return with_beats(rows, ext, counter, cancel)

        runner.start(listing)

    def set_current_record(self, record_path: str | os.PathLike[str] | None) -> None:
        """Mark the record open in the editor (bold) and select it."""
        self._current = None if record_path is None else Path(os.fspath(record_path)).absolute()
        self._mark_current()

    def records(self) -> list[RecordStatus]:
        """The rows shown, in listing order."""
        return list(self._rows)

    def visible_records(self) -> list[RecordStatus]:
        """The rows in the order the table shows them now (after the user's sorting)."""
        by_path = {str(r.path): r for r in self._rows}
        out = []
        for row in range(self._table.rowCount()):
            item = self._table.item(row, 0)
            status = None if item is None else by_path.get(item.data(_PATH_ROLE))
            if status is not None:
                out.append(status)
        return out

    def is_listing(self) -> bool:
        """Whether the folder is being read now."""
        return self._runner is not None

    def cancel(self) -> None:
        """Stop reading the folder (the window is closing); the listing shown stays."""
        if self._runner is not None and self._runner.is_running():
            self._runner.cancel()
            self._status.setText("Reading headers cancelled")

    def wait(self, ms: int = 5000) -> bool:
        """Wait for a running listing (tests); ``True`` when none is running."""
        return self._runner is None or self._runner.wait(ms)

    # ------------------------------------------------------------------ internals
    @pyqtSlot(object)
    def _on_listed(self, rows: object) -> None:
        if self.sender() is not self._runner:
            return
        self._runner = None
        self._rows = list(rows)  # type: ignore[call-overload]
        self._fill()
        n = len(self._rows)
        progress = FolderProgress.of(self._rows)
        self._status.setText(f"{n} record{'s' if n != 1 else ''}, {format_duration(progress.total_s)} in all: "
                             f"{progress.text()}" if n else "No WFDB records (.hea) in this folder")
        self._status.setToolTip(f"{format_duration(progress.reviewed_s)} of {format_duration(progress.total_s)} "
                                "reviewed" if n else "")
        self.sigListed.emit(n)

    @pyqtSlot(float)
    def _on_progress(self, fraction: float) -> None:
        if self.sender() is self._runner:
            self._status.setText(f"Reading headers… {100 * fraction:.0f} %")

    @pyqtSlot(str)
    def _on_failed(self, message: str) -> None:
        if self.sender() is not self._runner:
            return
        self._runner = None
        self._rows = []
        self._table.setRowCount(0)
        self._status.setText(message)
        self.sigListed.emit(0)

    def _fill(self) -> None:
        table = self._table
        table.setSortingEnabled(False)
        table.setRowCount(len(self._rows))
        grey = QBrush(QColor(150, 150, 150))
        for row, rec in enumerate(self._rows):
            state = review_state(rec)
            fraction = rec.reviewed_fraction
            if state is ReviewState.UNREADABLE:
                reviewed, key = "–", -2.0
            elif fraction is None:
                reviewed, key = "–", -1.0
            else:
                reviewed, key = f"{100 * fraction:.0f} %", fraction
            status_text = state.value
            if state is ReviewState.IN_PROGRESS and fraction is not None and rec.error is None:
                status_text += f" {100 * fraction:.0f} %"  # seen even when the dock is too narrow for the column
            if rec.locked_by:
                status_text += ", locked"
            cells = [
                _Item(rec.name, row),
                _Item(status_text, (_STATE_ORDER[state], row)),
                _Item(reviewed, key),
                _Item(format_duration(rec.duration_s), rec.duration_s),
                _Item(rec.last_reviewer, rec.last_reviewer.lower()),
                _Item(format_changed(rec.changed_at), rec.changed_at or 0.0),
                _Item("–" if not math.isfinite(rec.fs) else f"{rec.fs:g}", rec.fs if math.isfinite(rec.fs) else 0.0),
                _Item(str(rec.n_leads) if rec.n_leads else "–", rec.n_leads),
                _Item("" if rec.beats is None else str(rec.beats), -1 if rec.beats is None else rec.beats),
            ]
            tip = _tooltip(rec, state)
            colour = _STATE_COLOURS[state]
            for col, item in enumerate(cells):
                item.setData(_PATH_ROLE, str(rec.path))
                item.setToolTip(tip)
                if col in (2, 3, 6, 7, 8):
                    item.setTextAlignment(int(Qt.AlignRight | Qt.AlignVCenter))
                if state is ReviewState.UNREADABLE:
                    item.setForeground(grey)
                elif col == 1 and colour is not None:
                    item.setForeground(QBrush(colour))
                table.setItem(row, col, item)
        table.setSortingEnabled(True)
        self._mark_current()

    def _mark_current(self) -> None:
        for row in range(self._table.rowCount()):
            item = self._table.item(row, 0)
            if item is None:
                continue
            current = self._current is not None and Path(item.data(_PATH_ROLE)) == self._current
            font = QFont(item.font())
            font.setBold(current)
            item.setFont(font)
            if current:
                self._table.selectRow(row)

    @pyqtSlot(QTableWidgetItem)
    def _on_activated(self, item: QTableWidgetItem) -> None:
        path = item.data(_PATH_ROLE)
        status = next((r for r in self._rows if str(r.path) == path), None)
        if status is not None and status.n_samples > 0:
            self.sigRecordActivated.emit(path)

    @pyqtSlot()
    def _choose_folder(self) -> None:
        start = str(self._folder) if self._folder is not None else ""
        folder = QFileDialog.getExistingDirectory(self, "Folder of records", start)
        if folder:
            self.set_folder(folder)


def _tooltip(rec: RecordStatus, state: ReviewState) -> str:
    """What the row's tooltip says: the path, leads, review facts, a lock or a problem."""
    if state is ReviewState.UNREADABLE:
        return rec.error or f"{rec.path}: no samples"
    lines = [str(rec.path), f"leads: {', '.join(rec.lead_names)}", f"{rec.n_samples} samples at {rec.fs:g} Hz"]
    if rec.reviewed_fraction is None:
        lines.append("no .ecgs annotations yet")
    else:
        lines.append(f"{state.value}: {100 * rec.reviewed_fraction:.1f} % reviewed")
    if rec.source:
        lines.append(f"unreviewed waves from {rec.source}")
    if rec.last_reviewer:
        lines.append(f"last marked reviewed by {rec.last_reviewer} at {rec.last_reviewed_at}")
    if rec.locked_by:
        lines.append(f"locked: being edited by {rec.locked_by}")
    if rec.error:
        lines.append(rec.error)
    return "\n".join(lines)
