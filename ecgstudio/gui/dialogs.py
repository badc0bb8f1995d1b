"""Every question the shell asks the user, as small module-level functions.

The main window calls these through the module (``dialogs.show_error(...)``), so
tests replace them with ``monkeypatch.setattr`` and never block on a modal box.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from PyQt5.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

#: File-dialog filter for WFDB records.
RECORD_FILTER = "WFDB records (*.hea);;All files (*)"

_EXT_RE = re.compile(r"^[A-Za-z0-9_]{1,16}$")

SAVE, DISCARD, CANCEL = "save", "discard", "cancel"


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    """Tell the user something failed (``message`` is one line)."""
    QMessageBox.critical(parent, title, message)


def ask_save_changes(parent: QWidget | None, name: str) -> str:
    """Ask what to do with unsaved changes to ``name``.

    Returns
    -------
    str
        :data:`SAVE`, :data:`DISCARD` or :data:`CANCEL`.
    """
    answer = QMessageBox.question(
        parent,
        "Unsaved changes",
        f"{name} has unsaved changes. Save them?",
        QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel,
        QMessageBox.Save,
    )
    if answer == QMessageBox.Save:
        return SAVE
    if answer == QMessageBox.Discard:
        return DISCARD
    return CANCEL


def confirm_replace(parent: QWidget | None, message: str) -> bool:
    """Ask before replacing an annotation file that Save would otherwise refuse (``message`` says why)."""
    answer = QMessageBox.warning(parent, "Replace the annotation file?",
                                 f"{message}.\n\nReplace it with the annotations shown here?",
                                 QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel)
    return answer == QMessageBox.Yes


def ask_take_over(parent: QWidget | None, message: str) -> bool:
    """Another editor holds the record: ``True`` = take over knowingly, ``False`` = open read-only."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Warning)
    box.setWindowTitle("Record in use")
    box.setText(f"{message}.")
    box.setInformativeText("Open it read-only, or take over (their next Save will ask before replacing yours)?")
    read_only = box.addButton("Open read-only", QMessageBox.AcceptRole)
    take_over = box.addButton("Take over", QMessageBox.DestructiveRole)
    box.setDefaultButton(read_only)
    box.exec_()
    return box.clickedButton() is take_over


KEEP_REVIEWED, REPLACE_ALL = "keep", "replace"


def ask_reannotate(parent: QWidget | None, name: str, reviewed_s: float) -> str:
    """Ask how to pre-annotate a record that holds reviewed work.

    Returns
    -------
    str
        :data:`KEEP_REVIEWED` (the default: only unreviewed spans change),
        :data:`REPLACE_ALL` (reviewed corrections are replaced and their marks
        cleared; Ctrl+Z undoes) or :data:`CANCEL`.
    """
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Question)
    box.setWindowTitle("Pre-annotate")
    box.setText(f"{name} has {reviewed_s:.0f} s of reviewed annotations." if reviewed_s > 0 else
                f"{name} has unsaved edits that are not marked reviewed.")
    box.setInformativeText("Pre-annotation keeps reviewed waves exactly and re-annotates only the rest "
                           "(unreviewed edits are replaced; Ctrl+Z undoes). Replace everything instead "
                           "(the review marks are cleared)?")
    keep = box.addButton("Keep reviewed", QMessageBox.AcceptRole)
    replace_all = box.addButton("Replace everything", QMessageBox.DestructiveRole)
    box.addButton(QMessageBox.Cancel)
    box.setDefaultButton(keep)
    box.exec_()
    clicked = box.clickedButton()
    if clicked is keep:
        return KEEP_REVIEWED
    if clicked is replace_all:
        return REPLACE_ALL
    return CANCEL


def choose_reference(parent: QWidget | None, groups: list[str]) -> str | None:
    """Pick the reference annotations to start the editable track from (``None``: cancelled)."""
    from PyQt5.QtWidgets import QInputDialog

    if not groups:
        return None
    chosen, ok = QInputDialog.getItem(parent, "Edit a copy of the reference annotations",
                                      "Copy into the editable track (the reference stays unchanged):",
                                      groups, 0, False)
    return str(chosen) if ok and chosen else None


def ask_restore(parent: QWidget | None, name: str, saved_at: float, warning: str | None = None) -> bool:
    """Offer to restore the autosaved edits of ``name`` written at ``saved_at`` (epoch s).

    ``warning`` is one line shown with the question (the record or its
    annotation file changed since the edits were autosaved).
    """
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(saved_at))
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Warning if warning else QMessageBox.Question)
    box.setWindowTitle("Restore unsaved edits?")
    box.setText(f"{name} has unsaved edits from {when} that were never saved. Restore them?")
    if warning:
        box.setInformativeText(f"Warning: {warning}.")
    box.setStandardButtons(QMessageBox.Yes | QMessageBox.No)
    box.setDefaultButton(QMessageBox.Yes)
    return box.exec_() == QMessageBox.Yes


def confirm_overwrite_reference(parent: QWidget | None, path: Path) -> bool:
    """Ask before writing over a reference annotation file (``atr``, ``q1c``, ``pu0``...)."""
    answer = QMessageBox.warning(
        parent,
        "Overwrite reference annotations?",
        f"{path.name} is a reference annotation file. Replace it with your edits?",
        QMessageBox.Yes | QMessageBox.Cancel,
        QMessageBox.Cancel,
    )
    return answer == QMessageBox.Yes


def ask_time(parent: QWidget | None, current: str, duration: str) -> str | None:
    """Go to time (Ctrl+G): what the user typed (``"1:23.5"``, ``"83.5 s"``), ``None`` when cancelled."""
    from PyQt5.QtWidgets import QInputDialog

    text, ok = QInputDialog.getText(parent, "Go to time",
                                    f"Time from the start of the record (0 to {duration}),\n"
                                    "for example 1:23.5 or 83.5 s:", QLineEdit.Normal, current)
    return str(text) if ok else None


def choose_record(parent: QWidget | None, start_dir: str = "") -> str | None:
    """Pick a record's ``.hea`` file; ``None`` when cancelled."""
    path, _ = QFileDialog.getOpenFileName(parent, "Open record", start_dir, RECORD_FILTER)
    return path or None


def choose_folder(parent: QWidget | None, start_dir: str = "", title: str = "Open folder") -> str | None:
    """Pick a folder; ``None`` when cancelled."""
    path = QFileDialog.getExistingDirectory(parent, title, start_dir)
    return path or None


def valid_ext(ext: str) -> bool:
    """Whether ``ext`` can be a WFDB annotation extension (letters, digits, ``_``)."""
    return bool(_EXT_RE.match(ext))


class SaveAsDialog(QDialog):
    """Choose the folder and the annotation extension to save the editable track to."""

    def __init__(self, parent: QWidget | None, folder: Path, ext: str, record_name: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("Save annotations as")
        self._record_name = record_name
        self.folder_edit = QLineEdit(str(folder))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder_edit)
        row.addWidget(browse)
        self.ext_edit = QLineEdit(ext)
        self.ext_edit.setMaxLength(16)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Folder", row)
        form.addRow("Extension", self.ext_edit)
        form.addRow(self.buttons)
        self.ext_edit.textChanged.connect(self._validate)
        self.folder_edit.textChanged.connect(self._validate)
        self._validate()

    def _browse(self) -> None:
        chosen = choose_folder(self, self.folder_edit.text(), "Save annotations in")
        if chosen:
            self.folder_edit.setText(chosen)

    def _validate(self) -> None:
        ok = valid_ext(self.ext_edit.text().strip()) and bool(self.folder_edit.text().strip())
        self.buttons.button(QDialogButtonBox.Save).setEnabled(ok)
        self.ext_edit.setToolTip(
            f"writes {self._record_name}.{self.ext_edit.text().strip() or '?'} in the folder"
        )

    def target(self) -> tuple[Path, str]:
        """The chosen ``(folder, extension)``."""
        return Path(self.folder_edit.text().strip()), self.ext_edit.text().strip()


def choose_save_target(
    parent: QWidget | None, folder: Path, ext: str, record_name: str
) -> tuple[Path, str] | None:
    """Ask for a folder and an extension; ``None`` when cancelled."""
    dialog = SaveAsDialog(parent, folder, ext, record_name)
    if dialog.exec_() != QDialog.Accepted:
        return None
    return dialog.target()
