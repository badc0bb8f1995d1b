"""The Record info dock: what the header says about the recording and the patient (age, sex, diagnoses)."""

from __future__ import annotations

from html import escape

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from ecgstudio.core.header_notes import HeaderNotes, header_notes
from ecgstudio.core.leads import display_name
from ecgstudio.core.record import Record
from ecgstudio.gui.statusbar import format_duration


def record_summary(record: Record) -> list[tuple[str, str]]:
    """``(label, text)`` rows describing ``record``: recording first, then the patient."""
    notes = header_notes(record.comments)
    rows = [
        ("Record", record.name),
        ("Duration", format_duration(record.duration_s)),
        ("Sampling", f"{record.fs:g} Hz"),
        ("Leads", f"{record.n_leads}: {', '.join(display_name(n) for n in record.lead_names)}"),
    ]
    if notes.age:
        rows.append(("Age", notes.age))
    if notes.sex:
        rows.append(("Sex", notes.sex))
    rows += [("Diagnosis" if i == 0 else "", d) for i, d in enumerate(notes.diagnoses)]
    rows += [("Notes" if i == 0 else "", line) for i, line in enumerate(notes.other)]
    return rows


class RecordInfoPanel(QWidget):
    """Shows :func:`record_summary` of the open record (read-only, selectable text)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setTextFormat(Qt.RichText)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.label.setContentsMargins(6, 6, 6, 6)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self._notes = HeaderNotes()
        self.set_record(None)

    def set_record(self, record: Record | None) -> None:
        """Show ``record``'s header data (``None``: no record)."""
        if record is None:
            self._notes = HeaderNotes()
            self.label.setText("<i>No record open</i>")
            return
        self._notes = header_notes(record.comments)
        cells = "".join(
            f"<tr><td style='color:#555; padding-right:8px' valign='top'>{escape(label)}</td>"
            f"<td>{escape(text)}</td></tr>" for label, text in record_summary(record))
        empty = "" if not self._notes.is_empty() else "<p><i>The header holds no patient data.</i></p>"
        self.label.setText(f"<table cellspacing='2'>{cells}</table>{empty}")

    def notes(self) -> HeaderNotes:
        """The patient data shown."""
        return self._notes

    def text(self) -> str:
        """The panel's text without markup (tests)."""
        from PyQt5.QtGui import QTextDocument

        doc = QTextDocument()
        doc.setHtml(self.label.text())
        return doc.toPlainText()
