"""The record browser: records of a folder with duration, fs, leads and review progress."""

from __future__ import annotations

import math
import os
from pathlib import Path

from PyQt5.QtCore import Qt, pyqtSignal, pyqtSlot
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

from ecgstudio.app.folder_status import DEFAULT_EXT, RecordStatus, folder_status
from ecgstudio.gui.workers import TaskRunner

_COLUMNS = ("Record", "Length", "Reviewed", "Hz", "Leads")
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
    """

    sigRecordActivated = pyqtSignal(str)
    sigListed = pyqtSignal(int)

    def __init__(self, parent: QWidget | None = None, ext: str = DEFAULT_EXT) -> None:
        super().__init__(parent)
        self._ext = ext
        self._folder: Path | None = None
        self._current: Path | None = None
        self._rows: list[RecordStatus] = []
        self._runner: TaskRunner | None = None

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
        self._table.horizontalHeaderItem(1).setToolTip("Duration (h:mm:ss)")
        self._table.horizontalHeaderItem(3).setToolTip("Sampling frequency (Hz)")
        self._table.horizontalHeaderItem(2).setToolTip(
            "Share of the record marked reviewed in its .ecgs annotations")
        self._table.itemActivated.connect(self._on_activated)

        self._status = QLabel("")
        top = QHBoxLayout()
        top.addWidget(self._folder_label, 1)
        top.addWidget(choose)
        top.addWidget(self._refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self._table, 1)
        layout.addWidget(self._status)

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
        runner.start(lambda progress, cancel: folder_status(folder, ext, progress=progress, cancel=cancel))

    def set_current_record(self, record_path: str | os.PathLike[str] | None) -> None:
        """Mark the record open in the editor (bold) and select it."""
        self._current = None if record_path is None else Path(os.fspath(record_path)).absolute()
        self._mark_current()

    def records(self) -> list[RecordStatus]:
        """The rows shown, in listing order."""
        return list(self._rows)

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
        total_s = sum(r.duration_s for r in self._rows)
        self._status.setText(f"{n} record{'s' if n != 1 else ''}, {format_duration(total_s)} in all"
                             if n else "No WFDB records (.hea) in this folder")
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
            fraction = rec.reviewed_fraction
            if rec.error and rec.n_samples == 0:
                reviewed, key = "error", -2.0
            elif fraction is None:
                reviewed, key = "–", -1.0
            else:
                reviewed, key = f"{100 * fraction:.0f} %", fraction
            cells = [
                _Item(rec.name, row),
                _Item(format_duration(rec.duration_s), rec.duration_s),
                _Item(reviewed, key),
                _Item("–" if not math.isfinite(rec.fs) else f"{rec.fs:g}", rec.fs if math.isfinite(rec.fs) else 0.0),
                _Item(str(rec.n_leads) if rec.n_leads else "–", rec.n_leads),
            ]
            tip = rec.error or (f"{rec.path}\nleads: {', '.join(rec.lead_names)}\n"
                                f"{rec.n_samples} samples at {rec.fs:g} Hz\n"
                                + ("no .ecgs annotations yet" if fraction is None
                                   else f"{100 * fraction:.1f} % reviewed"))
            for col, item in enumerate(cells):
                item.setData(_PATH_ROLE, str(rec.path))
                item.setToolTip(tip)
                if col:
                    item.setTextAlignment(int(Qt.AlignRight | Qt.AlignVCenter))
                if rec.error:
                    item.setForeground(grey)
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
