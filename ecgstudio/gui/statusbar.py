"""The main window's status bar: record, cursor, model and unsaved marker."""

from __future__ import annotations

from pathlib import Path

from PyQt5.QtWidgets import QFrame, QLabel, QStatusBar, QWidget

from ecgstudio.paths import model_files


def format_duration(seconds: float) -> str:
    """``"12.5 s"``, ``"4 min 03 s"`` or ``"24 h 00 min"``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        minutes, secs = divmod(int(round(seconds)), 60)
        return f"{minutes} min {secs:02d} s"
    hours, rest = divmod(int(round(seconds)), 3600)
    return f"{hours} h {rest // 60:02d} min"


def format_time(seconds: float) -> str:
    """Cursor time as ``h:mm:ss.mmm`` (hours only when needed)."""
    sign = "-" if seconds < 0 else ""
    total_ms = int(round(abs(seconds) * 1000))
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}.{ms:03d}"
    return f"{sign}{minutes}:{secs:02d}.{ms:03d}"


class StatusBar(QStatusBar):
    """Permanent fields: record (name, fs, duration), cursor, model, unsaved marker."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record_label = QLabel("no record")
        self.cursor_label = QLabel("")
        self.cursor_label.setMinimumWidth(
            self.fontMetrics().horizontalAdvance("0:00:00.000 · MLII −0.000 mV") + 16)
        self.model_label = QLabel("model: none")
        self.dirty_label = QLabel("")
        self.dirty_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("● unsaved") + 16)
        for label in (self.record_label, self.cursor_label, self.model_label, self.dirty_label):
            # a line before every field, the record's too: a temporary message cut short ends at a line
            separator = QFrame()
            separator.setFrameShape(QFrame.VLine)
            separator.setFrameShadow(QFrame.Sunken)
            self.addPermanentWidget(separator)
            label.setContentsMargins(6, 0, 6, 0)
            self.addPermanentWidget(label)

    def set_record(self, name: str | None, fs: float = 0.0, duration_s: float = 0.0) -> None:
        """Show the open record (``None`` clears the field)."""
        if name is None:
            self.record_label.setText("no record")
        else:
            self.record_label.setText(f"{name} · {fs:g} Hz · {format_duration(duration_s)}")
        self.cursor_label.setText("")

    def set_cursor(self, time_s: float, lead_name: str, amplitude_mv: float) -> None:
        """Show the cursor position (time in s, amplitude in mV on ``lead_name``)."""
        self.cursor_label.setText(f"{format_time(time_s)} · {lead_name} {amplitude_mv:+.3f} mV")

    def set_model(self, model_stem: str | None) -> None:
        """Show the model pre-annotation uses."""
        name = Path(model_stem).name if model_stem else "none"
        missing = bool(model_stem) and not model_files(model_stem).keras.is_file()
        self.model_label.setText(f"model: {name}{' (missing)' if missing else ''}")
        self.model_label.setToolTip(model_stem or "")

    def set_dirty(self, dirty: bool) -> None:
        """Show or clear the unsaved-changes marker."""
        self.dirty_label.setText("● unsaved" if dirty else "saved")
