"""The fine-tune dialog's table of held-out scores before and after fine-tuning: :class:`ScoreTable`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QColor
from PyQt5.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from ecgstudio.app.models import score_rows

#: At most this many score rows are shown at once; more rows scroll.
MAX_SHOWN_ROWS = 7
#: "After" scores that got better (1) or worse (-1) than "before" are drawn in these colours.
CHANGE_COLOURS = {1: (27, 127, 59), -1: (176, 0, 32)}


class ScoreTable(QTableWidget):
    """Read-only table "Held-out score | Before | After" (rows from :func:`ecgstudio.app.models.score_rows`).

    Parameters
    ----------
    parent : QWidget | None
        Parent widget.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 3, parent)
        self._header_px = 0
        self.setHorizontalHeaderLabels(["Held-out score", "Before", "After"])
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeToContents)

    def show_scores(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        """Fill the table, fit its height to at most :data:`MAX_SHOWN_ROWS` rows, and show it.

        Parameters
        ----------
        before, after : mapping
            Held-out scores of the base and of the fine-tuned model (as ``score_rows`` takes them).
        """
        rows = score_rows(before, after)
        self.setRowCount(len(rows))
        colours = {change: QColor(*rgb) for change, rgb in CHANGE_COLOURS.items()}
        for r, row in enumerate(rows):
            for c, text in enumerate((row.label, row.before, row.after)):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(int(Qt.AlignRight | Qt.AlignVCenter))
                if c == 2 and row.change:
                    item.setForeground(colours[row.change])
                    item.setToolTip("better than before" if row.change > 0 else "worse than before")
                self.setItem(r, c, item)
        self._header_px = self.horizontalHeader().sizeHint().height()
        shown = min(len(rows), MAX_SHOWN_ROWS)  # more rows scroll
        self.setFixedHeight(self._header_px + sum(self.rowHeight(r) for r in range(shown)) + 4)
        self.show()

    def shrink_by(self, px: int) -> None:
        """Take ``px`` pixels off the height, keeping the header and at least two rows.

        Parameters
        ----------
        px : int
            Pixels to give up (the parent window's overflow beyond the screen).
        """
        self.setFixedHeight(max(self._header_px + 2 * self.rowHeight(0), self.height() - px))
