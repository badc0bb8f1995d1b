"""Help menu: the keyboard shortcuts (a table made from the window's menus) and About (version, model)."""

from __future__ import annotations

import platform
from pathlib import Path

from PyQt5.QtCore import PYQT_VERSION_STR, QT_VERSION_STR, Qt
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMenu,
    QMenuBar,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ecgstudio.gui.screen_fit import fit_to_screen
from ecgstudio.paths import model_files

#: Mouse gestures of the plot (no action carries them).
MOUSE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("Plot", "Move an onset, peak or offset", "drag its line"),
    ("Plot", "Select a time range", "Shift+drag"),
    ("Plot", "Measure an interval (caliper mode, C)", "drag"),
    ("Plot", "Zoom time around the cursor", "wheel"),
    ("Plot", "Amplitude of all leads", "Ctrl+wheel"),
    ("Plot", "Pan", "drag"),
    ("Plot", "Cancel a drag / remove the calipers", "Escape"),
)


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").replace("…", "").strip()


def shortcut_rows(menu_bar: QMenuBar) -> list[tuple[str, str, str]]:
    """``(menu, action, keys)`` for every menu action that has a shortcut, in menu order.

    Parameters
    ----------
    menu_bar : QMenuBar
        The window's menu bar; submenus are walked (``"View › Zoom"``).
    """
    rows: list[tuple[str, str, str]] = []

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), f"{path} › {_plain(action.text())}")
            elif not action.isSeparator():
                keys = ", ".join(k.toString(QKeySequence.NativeText) for k in action.shortcuts() if not k.isEmpty())
                if keys:
                    rows.append((path, _plain(action.text()), keys))

    for action in menu_bar.actions():
        if action.menu() is not None:
            walk(action.menu(), _plain(action.text()))
    return rows


class ShortcutsDialog(QDialog):
    """Help → Keyboard shortcuts: every menu shortcut and the plot's mouse gestures."""

    def __init__(self, parent: QWidget | None, menu_bar: QMenuBar) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(menu_bar) + list(MOUSE_ROWS)
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setHorizontalHeaderLabels(["Menu", "Action", "Keys"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeToContents)  # keys are never cut
        buttons = QDialogButtonBox(QDialogButtonBox.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(860, 640)
        fit_to_screen(self)

    def rows(self) -> list[tuple[str, str, str]]:
        """The table's rows (tests)."""
        return [tuple(self.table.item(r, c).text() for c in range(3)) for r in range(self.table.rowCount())]


def about_text(version: str, model_stem: str) -> str:
    """About box text: version, the model in use (name, origin, test scores) and the libraries."""
    from ecgstudio.app.models import read_model_info

    model_name = Path(model_stem).name if model_stem else "none"
    lines = [f"<h3>ECG Studio {version}</h3>",
             "<p>Review and correct ECG waveform annotations (P, QRS, T: onsets, peaks, offsets) "
             "on calibrated ECG paper, with a BiLSTM pre-annotation model.</p>",
             f"<p><b>Model in use:</b> {model_name}<br><small>{model_stem or '—'}</small>"]
    json_path = model_files(model_stem).json if model_stem else None
    if json_path is not None and json_path.is_file():
        try:
            info = read_model_info(json_path)
        except Exception as exc:  # the About box must open whatever the file holds
            lines.append(f"<br>metadata unreadable: {exc}")
        else:
            if info.parent:
                lines.append(f"<br>fine-tuned from {info.parent}")
            if info.created:
                lines.append(f"<br>created {info.created}")
            lines.append(f"<br>{info.metrics_summary}")
    lines.append("</p>")
    lines.append(f"<p><small>Python {platform.python_version()} · Qt {QT_VERSION_STR} · "
                 f"PyQt {PYQT_VERSION_STR}</small></p>")
    return "".join(lines)


def show_about(parent: QWidget | None, version: str, model_stem: str) -> None:
    """Help → About."""
    box = QMessageBox(parent)
    box.setWindowTitle("About ECG Studio")
    box.setTextFormat(Qt.RichText)
    box.setText(about_text(version, model_stem))
    box.setStandardButtons(QMessageBox.Ok)
    box.exec_()
