"""The fine-tune dialog's list of records with their reviewed beats: :class:`RecordTable`."""

from __future__ import annotations

from collections.abc import Mapping

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget


class RecordTable(QTableWidget):
    """Table "Record | Reviewed beats", one tickable row per record.

    Column 0 holds the record name, with its full path (no extension) as
    ``Qt.UserRole`` data and tooltip; column 1 the count ("counting…" until
    :meth:`apply_counts` sets it, "error" with the message as tooltip when
    counting failed). Ticking a row emits ``itemChanged``; filling rows in does not.

    Parameters
    ----------
    parent : QWidget | None
        Parent widget.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels(["Record", "Reviewed beats"])
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.NoSelection)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeToContents)

    def checked_keys(self) -> list[str]:
        """Record paths (no extension) of the ticked rows, in table order."""
        out = []
        for row in range(self.rowCount()):
            item = self.item(row, 0)
            if item is not None and item.checkState() == Qt.Checked:
                out.append(item.data(Qt.UserRole))
        return out

    def append_record(self, name: str, key: str) -> None:
        """Add an unticked row whose count is still being worked out.

        Parameters
        ----------
        name : str
            Shown record name.
        key : str
            Record path (no extension), absolute.
        """
        self.blockSignals(True)
        row = self.rowCount()
        self.insertRow(row)
        item = QTableWidgetItem(name)
        item.setData(Qt.UserRole, key)
        item.setToolTip(key)
        item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsUserCheckable)
        item.setCheckState(Qt.Unchecked)
        self.setItem(row, 0, item)
        count = QTableWidgetItem("counting…")
        count.setTextAlignment(int(Qt.AlignRight | Qt.AlignVCenter))
        self.setItem(row, 1, count)
        self.blockSignals(False)

    def apply_counts(self, counts: Mapping[str, int | str]) -> dict[str, int]:
        """Show counted records; tick those with reviewed beats, untick the others.

        Parameters
        ----------
        counts : mapping
            Record path -> reviewed beats, or -> error message when counting failed.

        Returns
        -------
        dict
            Record path -> reviewed beats (0 after an error), for the rows that were updated.
        """
        out: dict[str, int] = {}
        self.blockSignals(True)
        for row in range(self.rowCount()):
            item = self.item(row, 0)
            key = item.data(Qt.UserRole)
            if key not in counts:
                continue
            value = counts[key]
            cell = self.item(row, 1)
            if isinstance(value, int):
                out[key] = value
                cell.setText(str(value))
                cell.setToolTip("")
                item.setCheckState(Qt.Checked if value > 0 else Qt.Unchecked)
            else:
                out[key] = 0
                cell.setText("error")
                cell.setToolTip(value)
                item.setCheckState(Qt.Unchecked)
        self.blockSignals(False)
        return out
