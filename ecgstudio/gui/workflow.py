"""The review workflow of a main window: clinical display, keyboard flow that keeps the beat, help.

:class:`WorkflowController` holds what a cardiologist working through records
needs beyond editing: the paper speed and gain (remembered), the Record dock
(header data: age, sex, diagnoses), Go to time, Home/End, a Measurements row
click that selects the beat and gives the keyboard back to the plot,
calipers (readout in the status bar), the model loaded in the background once
the record is on screen, the 12-lead sheet (3 x 4 + rhythm strip) and the
Help menu's dialogs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PyQt5.QtCore import QObject, Qt, QTimer
from PyQt5.QtWidgets import QDockWidget, QLabel

from ecgstudio import __version__
from ecgstudio.core.record import Record
from ecgstudio.core.waves import WaveKind
from ecgstudio.gui import dialogs
from ecgstudio.gui.colors import get_palette
from ecgstudio.gui.help_dialogs import ShortcutsDialog, show_about
from ecgstudio.gui.messages import format_seconds, parse_time
from ecgstudio.gui.model_preload import ModelPreloader
from ecgstudio.gui.paper import GAINS, PAPER_SPEEDS_MM_S, PaperScale
from ecgstudio.gui.record_info import RecordInfoPanel
from ecgstudio.gui.sheet_12lead import TwelveLeadSheet, standard_leads
from ecgstudio.paths import model_files

if TYPE_CHECKING:
    from ecgstudio.gui.calipers import CaliperReading
    from ecgstudio.gui.main_window import MainWindow

_SPEED_KEY = "view/paper_speed_mm_s"
_GAIN_KEY = "view/gain"
#: Paper speed a record opens at when the user never chose one (mm/s; 0 = free zoom).
DEFAULT_SPEED_MM_S = 25.0


def _number(value: object, default: float, allowed: tuple[float, ...]) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if number in allowed else default


class WorkflowController(QObject):
    """Clinical display settings, keyboard flow, calipers, model preload and help of ``window``.

    Parameters
    ----------
    window : MainWindow
        The window; its plot, status bar and settings are used.
    preload_model : bool
        Load the pre-annotation model in a worker thread once a record is shown
        (the editor does; tests and benchmarks opt in).
    """

    def __init__(self, window: MainWindow, preload_model: bool = False) -> None:
        super().__init__(window)
        self._window = window
        self.preload_enabled = bool(preload_model)
        view = window.view
        self.preloader = ModelPreloader(self)
        self.preloader.sigStateChanged.connect(self._on_model_state)
        self.scale_label = QLabel("")
        self.scale_label.setToolTip("Paper speed and amplitude scale (physical millimetres on this screen)")
        window.status.addPermanentWidget(self.scale_label)
        self.info = RecordInfoPanel(window)
        self.info_dock = QDockWidget("Record info", window)
        self.info_dock.setObjectName("record_info_dock")
        self.info_dock.setWidget(self.info)
        window.addDockWidget(Qt.RightDockWidgetArea, self.info_dock)
        window.splitDockWidget(self.info_dock, window.measurements_dock, Qt.Vertical)
        window.resizeDocks([self.info_dock], [150], Qt.Vertical)
        settings = window.settings
        self.speed_mm_s = _number(settings.value(_SPEED_KEY), DEFAULT_SPEED_MM_S, (0.0, *PAPER_SPEEDS_MM_S))
        view.paper.set_gain(_number(settings.value(_GAIN_KEY), 1.0, GAINS))
        view.paper.sigChanged.connect(self._on_scale_changed)
        view.calipers.sigChanged.connect(self._on_caliper)
        view.calipers.sigModeChanged.connect(self._on_caliper_mode)
        self.sheet: TwelveLeadSheet | None = None
        view.sigViewRangeChanged.connect(lambda *_: self._refresh_sheet())
        view.paper.sigChanged.connect(lambda *_: self._refresh_sheet())
        self._shown_record: Record | None = None
        window.sigRecordShown.connect(self._apply_record)
        window.sigDocumentChanged.connect(self._on_document)
        self._on_scale_changed(view.paper.scale)

    @property
    def _view(self):  # noqa: ANN202 - LeadsView
        return self._window.view

    def _message(self, text: str, ms: int = 5000) -> None:
        self._window.status.showMessage(text, ms)

    # ------------------------------------------------------------------ clinical display
    def set_paper_speed(self, speed_mm_s: float | None) -> None:
        """25 or 50 mm/s (``None``: free zoom); remembered for the next records."""
        self.speed_mm_s = float(speed_mm_s or 0.0)
        self._window.settings.setValue(_SPEED_KEY, self.speed_mm_s)
        self._view.paper.set_speed(speed_mm_s)

    def set_gain(self, gain: float) -> None:
        """×0.5, ×1 or ×2 of 10 mm/mV, the same for every lead; remembered."""
        self._window.settings.setValue(_GAIN_KEY, float(gain))
        self._view.paper.set_gain(gain)

    def fit_gain(self) -> None:
        """The gain at which every shown lead fits the window."""
        self._view.paper.fit_gain()

    def _on_scale_changed(self, scale: PaperScale) -> None:
        self.scale_label.setText(scale.describe())
        actions = getattr(self._window, "action_set", None)
        if actions is None:
            return
        for speed, action in actions.paper_speeds.items():
            action.setChecked(scale.speed_mm_s == speed)
        for gain, action in actions.gains.items():
            action.setChecked(abs(scale.gain - gain) < 1e-9)

    def _apply_record(self, record: Record | None) -> None:
        """A record is on screen: its header data in the Record dock, the remembered paper speed."""
        if record is self._shown_record:
            return
        self._shown_record = record
        self.info.set_record(record)
        self._view.calipers.set_enabled(False)
        if record is not None and self.speed_mm_s:
            self._view.paper.set_speed(self.speed_mm_s)
        if self._view.sheet_widget is not None:
            self.set_sheet_layout(True)  # the new record's leads, or back to the rows

    # ------------------------------------------------------------------ 12-lead sheet
    def set_sheet_layout(self, on: bool) -> bool:
        """Ctrl+L: the 3 x 4 + rhythm strip sheet instead of the stacked rows; ``False`` if not possible."""
        view = self._view
        record = view.record
        leads = standard_leads(record.lead_names) if on and record is not None else None
        if on and leads is None:
            self._message("The 3×4 layout needs the 12 standard leads (I, II, III, aVR, aVL, aVF, V1–V6)")
        on = leads is not None
        if on:
            if self.sheet is None:
                self.sheet = TwelveLeadSheet(get_palette(view.palette_name()), view)
                self.sheet.sigTimeActivated.connect(self._sheet_activated)
                self.sheet.vb.sigResized.connect(self._refresh_sheet)
            self.sheet.set_record(record, leads)
        view.show_sheet(self.sheet if on else None)
        actions = getattr(self._window, "action_set", None)
        if actions is not None and actions.sheet.isChecked() != on:
            actions.sheet.setChecked(on)
        self._refresh_sheet()
        return on

    def _refresh_sheet(self) -> None:
        view, sheet = self._view, self.sheet
        if sheet is not None and view.sheet_widget is sheet:
            first, last = view.window()
            sheet.show_at((first + last) / 2, view.paper.scale)

    def _sheet_activated(self, sample: float, lead: int) -> None:
        """Double click on the sheet: the stacked rows at that time, the lead clicked in sight, its beat selected."""
        record = self._view.record
        self.set_sheet_layout(False)
        if record is not None:
            self._view.goto_time(min(max(sample, 0.0), record.n_samples - 1) / record.fs, lead if lead >= 0 else None)
        self._view.setFocus()

    # ------------------------------------------------------------------ keyboard flow
    def goto_time(self) -> None:
        """Ctrl+G: ask for a time (``1:23.5``, ``83.5 s``) and show it, selecting the beat there."""
        doc = self._window.document
        if doc is None:
            return
        first, last = self._view.window()
        current = format_seconds((first + last) / 2 / doc.fs)
        text = dialogs.ask_time(self._window, current, format_seconds(doc.record.duration_s))
        self._view.setFocus()
        if text is None:
            return
        try:
            seconds = parse_time(text)
        except ValueError as exc:
            self._message(str(exc))
            return
        if not self._view.goto_time(seconds):
            self._message(f"{format_seconds(seconds)} is outside the record "
                          f"(0 to {format_seconds(doc.record.duration_s)})")

    def goto_start(self) -> None:
        """Home: the start of the record."""
        if self._window.document is not None:
            self._view.goto_start()

    def goto_end(self) -> None:
        """End: the end of the record."""
        if self._window.document is not None:
            self._view.goto_end()

    def beat_activated(self, sample: int) -> None:
        """A Measurements row was clicked: select that beat's QRS, centre it, keyboard back to the plot."""
        view = self._view
        track = view.editable_track()
        qrs = track.wave_at(int(sample)) if track is not None else None
        if qrs is not None and qrs.kind is WaveKind.QRS:
            view.centre_on(qrs.peak if qrs.peak is not None else (qrs.start + qrs.offset) / 2)
            view.select_wave(qrs)
        else:
            view.centre_on(int(sample))
        view.setFocus(Qt.OtherFocusReason)

    # ------------------------------------------------------------------ calipers
    def set_calipers(self, enabled: bool) -> None:
        """C: caliper mode (a drag measures instead of panning)."""
        self._view.calipers.set_enabled(enabled)

    def _on_caliper_mode(self, enabled: bool) -> None:
        actions = getattr(self._window, "action_set", None)
        if actions is not None and actions.calipers.isChecked() != enabled:
            actions.calipers.setChecked(enabled)
        self._message("Calipers: drag on a lead to measure an interval (C or Escape ends)" if enabled
                      else "Calipers off", 4000)

    def _on_caliper(self, reading: CaliperReading | None) -> None:
        if reading is None:
            return
        start = format_seconds(reading.start / reading.fs)
        self._message(f"Calipers: {reading.text()} (from {start} s)", 0)

    # ------------------------------------------------------------------ model preload
    def start_model_preload(self) -> bool:
        """Load the model in use in a worker thread (no-op when loaded, loading or switched off)."""
        if not self.preload_enabled:
            return False
        stem = self._window.model_stem
        if not stem or not model_files(stem).keras.is_file():
            return False
        return self.preloader.preload(stem)

    def _on_document(self, doc: object) -> None:
        self._apply_record(getattr(doc, "record", None))
        if self.preload_enabled:
            QTimer.singleShot(0, self.start_model_preload)  # after the tracks are painted

    def _on_model_state(self, stem: str, state: str) -> None:
        label = self._window.status.model_label
        name = Path(stem).name
        shown = {"loading": "loading…", "ready": "ready"}.get(state, "not loaded")
        label.setText(f"model: {name} ({shown})")
        label.setToolTip(f"{stem}\n{state}")

    def stop(self) -> None:
        """The window closes: drop a preload's outcome."""
        self.preloader.cancel()

    # ------------------------------------------------------------------ help
    def show_shortcuts(self) -> ShortcutsDialog:
        """Help → Keyboard shortcuts (non-modal)."""
        dialog = ShortcutsDialog(self._window, self._window.menuBar())
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.show()
        self.shortcuts_dialog = dialog
        return dialog

    def show_about(self) -> None:
        """Help → About: version and the model in use."""
        show_about(self._window, __version__, self._window.model_stem)
