"""The main window's QActions, menus and toolbar, with their shortcuts.

:func:`create_actions` builds every action and connects it to the window's
(or its controllers') handler; :func:`build_menus` lays them out. The
keyboard map (docs/ARCHITECTURE.md §4, keyboard first); the plot keys below work while
the plot has the keyboard focus (click it), so the docks' tables and fields
keep their own keys. Ctrl+O/S/Shift+S/Z/Shift+Z/Q work everywhere:

======================  =========================================
Left / Right            previous / next beat
U / Shift+U             next / previous uncertain wave (least confident first)
D / Shift+D             next / previous disagreement with the reference
A, Space                accept beat (mark reviewed, go to next)
R                       mark selected range (or the view) reviewed
Delete, Backspace       delete the selected wave
, / .                   nudge the selected boundary by -1 / +1 sample
Shift+Left / Right      pan half a screen
+ / -                   zoom in / out (centred on the selected beat)
1 / 2 / 3 / 0           10 s / 30 s / 1 min / whole record (centred on the selected beat)
Home / End              start / end of the record
Ctrl+G                  go to time (1:23.5 or 83.5 s)
Ctrl+2 / Ctrl+5         paper speed 25 / 50 mm/s
Alt+1 / Alt+2 / Alt+3   gain 5 / 10 / 20 mm/mV (all leads)
C                       calipers on/off (drag to measure ms and bpm)
Ctrl+L                  12-lead sheet (3 x 4 + rhythm strip) / stacked leads
G                       grid on/off
Shift+P / Q / T         relabel the selected wave
Alt+P / Q / T           add a wave over the selected range
Ctrl+Shift+N/V/A/L/R/F  beat label of the selected QRS (:data:`BEAT_LABELS`;
Ctrl+Shift+P / Q        P: paced ``/``, Q: unclassifiable ``Q``)
Ctrl+R                  pre-annotate with the model
Ctrl+PgDown             next record to review (asks to save first)
F1                      keyboard shortcuts
======================  =========================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QAction, QActionGroup, QMenu, QSizePolicy, QStyle, QWidget

from ecgstudio.core.waves import WaveKind
from ecgstudio.gui.paper import GAINS, MM_PER_MV, PAPER_SPEEDS_MM_S
from ecgstudio.gui.worklist import NEXT_RECORD_KEY

if TYPE_CHECKING:
    from ecgstudio.gui.main_window import MainWindow

#: Zoom presets: (label, seconds or None for the whole record, key).
ZOOM_PRESETS: tuple[tuple[str, float | None, str], ...] = (
    ("10 s", 10.0, "1"),
    ("30 s", 30.0, "2"),
    ("1 min", 60.0, "3"),
    ("Whole record", None, "0"),
)

PALETTES: tuple[tuple[str, str], ...] = (("classic", "Classic"), ("colorblind", "Colour-blind safe"))

#: Keys of the paper speeds (mm/s) and gains (x 10 mm/mV).
SPEED_KEYS = {25.0: "Ctrl+2", 50.0: "Ctrl+5"}
GAIN_KEYS = {0.5: "Alt+1", 1.0: "Alt+2", 2.0: "Alt+3"}

_KIND_KEYS = {WaveKind.P: "P", WaveKind.QRS: "Q", WaveKind.T: "T"}

#: Beat labels offered for the selected QRS (Edit → Beat label): (WFDB symbol, menu text, key).
BEAT_LABELS: tuple[tuple[str, str, str], ...] = (
    ("N", "&N  normal", "Ctrl+Shift+N"),
    ("V", "&V  premature ventricular (PVC)", "Ctrl+Shift+V"),
    ("A", "&A  atrial premature (APC)", "Ctrl+Shift+A"),
    ("L", "&L  left bundle branch block", "Ctrl+Shift+L"),
    ("R", "&R  right bundle branch block", "Ctrl+Shift+R"),
    ("F", "&F  fusion of ventricular and normal", "Ctrl+Shift+F"),
    ("/", "/  &paced", "Ctrl+Shift+P"),
    ("Q", "&Q  unclassifiable", "Ctrl+Shift+Q"),
)


@dataclass
class Actions:
    """Every action of the main window, by purpose."""

    open: QAction
    open_folder: QAction
    save: QAction
    save_as: QAction
    quit: QAction
    undo: QAction
    redo: QAction
    delete_wave: QAction
    accept_beat: QAction
    mark_range: QAction
    next_beat: QAction
    prev_beat: QAction
    next_uncertain: QAction
    nudge_left: QAction
    nudge_right: QAction
    pan_left: QAction
    pan_right: QAction
    zoom_in: QAction
    zoom_out: QAction
    grid: QAction
    preannotate: QAction
    copy_reference: QAction
    choose_model: QAction
    finetune: QAction
    relabel: dict[WaveKind, QAction] = field(default_factory=dict)
    add_wave: dict[WaveKind, QAction] = field(default_factory=dict)
    beat_label: dict[str, QAction] = field(default_factory=dict)
    zoom_presets: list[QAction] = field(default_factory=list)
    palettes: dict[str, QAction] = field(default_factory=dict)
    recent_menu: QMenu | None = None
    leads_menu: QMenu | None = None
    panels_menu: QMenu | None = None
    prev_uncertain: QAction | None = None
    next_disagreement: QAction | None = None
    prev_disagreement: QAction | None = None
    share_menu: QMenu | None = None
    goto_start: QAction | None = None
    goto_end: QAction | None = None
    goto_time: QAction | None = None
    calipers: QAction | None = None
    sheet: QAction | None = None
    fit_gain: QAction | None = None
    shortcuts: QAction | None = None
    about: QAction | None = None
    paper_speeds: dict[float, QAction] = field(default_factory=dict)
    gains: dict[float, QAction] = field(default_factory=dict)
    next_record: QAction | None = None
    export_worklist: QAction | None = None
    export_measurements: QAction | None = None

    def document_actions(self) -> list[QAction]:
        """Actions that need an open record."""
        return [
            self.save, self.save_as, self.delete_wave, self.accept_beat, self.mark_range, self.next_beat,
            self.prev_beat, self.next_uncertain, self.nudge_left, self.nudge_right, self.pan_left,
            self.pan_right, self.zoom_in, self.zoom_out, self.preannotate, self.copy_reference,
            *self.relabel.values(),
            *self.add_wave.values(), *self.beat_label.values(), *self.zoom_presets,
            self.goto_start, self.goto_end, self.goto_time, self.calipers, self.sheet,
            self.prev_uncertain, self.next_disagreement, self.prev_disagreement,
        ]


def _action(window: MainWindow, text: str, slot: Callable[[], object],
            keys: QKeySequence.StandardKey | str | list[str] | None = None, tip: str = "",
            plot: bool = False) -> QAction:
    """An action with shortcuts; ``plot=True`` limits them to when the plot has the focus.

    Plot keys (arrows, letters, digits) must not steal keys from the docks'
    tables and fields, so they are registered on the plot with
    ``Qt.WidgetWithChildrenShortcut``; file and undo keys work window-wide.
    """
    action = QAction(text, window)
    if isinstance(keys, list):
        action.setShortcuts([QKeySequence(k) for k in keys])
    elif keys is not None:
        action.setShortcut(QKeySequence(keys))
    if tip:
        action.setStatusTip(tip)
    action.triggered.connect(lambda _checked=False: slot())
    if plot:
        action.setShortcutContext(Qt.WidgetWithChildrenShortcut)
        window.view.addAction(action)
    else:
        window.addAction(action)  # shortcuts work even for actions in no visible menu
    return action


def create_actions(window: MainWindow) -> Actions:
    """Build every action of ``window`` and connect it to its handler."""
    ed = window.editing
    style = window.style()
    a = Actions(
        open=_action(window, "&Open record…", window.choose_and_open, QKeySequence.Open,
                     "Open a WFDB record (.hea)"),
        open_folder=_action(window, "Open &folder…", window.choose_and_open_folder, "Ctrl+Shift+O",
                            "Browse the records of a folder"),
        save=_action(window, "&Save", window.save, QKeySequence.Save, "Save the editable track"),
        # explicit keys: Qt's standard SaveAs and Quit keys are empty on several Linux desktops
        save_as=_action(window, "Save &as…", window.save_as, "Ctrl+Shift+S",
                        "Save the editable track to another folder or extension"),
        quit=_action(window, "&Quit", window.close, "Ctrl+Q"),
        undo=window.undo_stack.createUndoAction(window, "&Undo"),
        redo=window.undo_stack.createRedoAction(window, "&Redo"),
        delete_wave=_action(window, "&Delete wave", ed.delete_selected, ["Delete", "Backspace"], plot=True),
        accept_beat=_action(window, "&Accept beat", ed.accept_beat, ["A", "Space"],
                            "Mark the current beat reviewed and go to the next one", plot=True),
        mark_range=_action(window, "Mark range &reviewed", ed.mark_range_reviewed, "R",
                           "Mark the selected range (or the visible range) reviewed", plot=True),
        next_beat=_action(window, "&Next beat", lambda: ed.goto_beat(+1), "Right", plot=True),
        prev_beat=_action(window, "&Previous beat", lambda: ed.goto_beat(-1), "Left", plot=True),
        next_uncertain=_action(window, "Next &uncertain wave", lambda: window.flags.goto_uncertain(+1), "U",
                               "The least confident waves first (the worst share, View → Uncertain share)",
                               plot=True),
        nudge_left=_action(window, "Nudge boundary −1 sample", lambda: ed.nudge(-1), ",", plot=True),
        nudge_right=_action(window, "Nudge boundary +1 sample", lambda: ed.nudge(+1), ".", plot=True),
        pan_left=_action(window, "Pan left", lambda: ed.pan(-0.5), "Shift+Left", plot=True),
        pan_right=_action(window, "Pan right", lambda: ed.pan(+0.5), "Shift+Right", plot=True),
        zoom_in=_action(window, "Zoom &in", lambda: ed.zoom(0.5), ["+", "=", QKeySequence.ZoomIn], plot=True),
        zoom_out=_action(window, "Zoom &out", lambda: ed.zoom(2.0), ["-", QKeySequence.ZoomOut], plot=True),
        grid=_action(window, "&Grid", lambda: window.options.set_grid_visible(a.grid.isChecked()), "G", plot=True),
        preannotate=_action(window, "&Pre-annotate", window.annotating.preannotate, "Ctrl+R",
                            "Delineate the record with the model (reviewed waves are kept)"),
        copy_reference=_action(window, "&Edit a copy of the reference annotations…",
                               window.annotating.copy_reference,
                               tip="Start the editable track from a reference file (e.g. LUDB's lead files, "
                                   "q1c); the reference files are never changed"),
        choose_model=_action(window, "Choose &model…", window.annotating.choose_model),
        finetune=_action(window, "&Fine-tune on reviewed records…", window.annotating.finetune),
    )
    a.undo.setShortcuts(QKeySequence.Undo)
    a.redo.setShortcuts(QKeySequence.Redo)
    window.addAction(a.undo)
    window.addAction(a.redo)
    a.open.setIcon(style.standardIcon(QStyle.SP_DialogOpenButton))
    a.save.setIcon(style.standardIcon(QStyle.SP_DialogSaveButton))
    a.preannotate.setIcon(style.standardIcon(QStyle.SP_MediaPlay))
    a.undo.setIcon(style.standardIcon(QStyle.SP_ArrowBack))
    a.redo.setIcon(style.standardIcon(QStyle.SP_ArrowForward))
    a.grid.setCheckable(True)
    a.grid.setChecked(True)
    for kind, key in _KIND_KEYS.items():
        a.relabel[kind] = _action(window, f"Relabel as {kind.value}",
                                  lambda k=kind: ed.relabel(k), f"Shift+{key}", plot=True)
        a.add_wave[kind] = _action(window, f"Add {kind.value} wave over range",
                                   lambda k=kind: ed.add_wave(k), f"Alt+{key}",
                                   "Add a wave over the range selected with Shift+drag", plot=True)
    for symbol, text, key in BEAT_LABELS:
        a.beat_label[symbol] = _action(window, text, lambda s=symbol: ed.set_beat_label(s), key,
                                       f"Label the selected QRS complex as beat '{symbol}'", plot=True)
    for label, seconds, key in ZOOM_PRESETS:
        a.zoom_presets.append(_action(window, label, lambda s=seconds: ed.zoom_seconds(s), key, plot=True))
    _review_actions(window, a)
    _worklist_actions(window, a)
    group = QActionGroup(window)
    for name, label in PALETTES:
        action = _action(window, label, lambda n=name: window.options.set_palette(n))
        action.setCheckable(True)
        group.addAction(action)
        a.palettes[name] = action
    return a


def _review_actions(window: MainWindow, a: Actions) -> None:
    """Clinical display, navigation, calipers and help actions (handlers in ``window.workflow``)."""
    flow = window.workflow
    a.goto_start = _action(window, "Record &start", flow.goto_start, "Home", plot=True)
    a.goto_end = _action(window, "Record &end", flow.goto_end, "End", plot=True)
    a.goto_time = _action(window, "&Go to time…", flow.goto_time, "Ctrl+G",
                          "Show a time of the record (1:23.5 or 83.5 s) and select the beat there")
    a.calipers = _action(window, "&Calipers", lambda: flow.set_calipers(a.calipers.isChecked()), "C",
                         "Drag on a lead to measure an interval in ms and bpm", plot=True)
    a.calipers.setCheckable(True)
    a.sheet = _action(window, "12-lead &sheet (3×4 + rhythm)", lambda: flow.set_sheet_layout(a.sheet.isChecked()),
                      "Ctrl+L", "The standard 3×4 layout with a lead II rhythm strip (double click: back to the rows)")
    a.sheet.setCheckable(True)
    speeds = QActionGroup(window)
    speeds.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
    for speed in PAPER_SPEEDS_MM_S:
        action = _action(window, f"{speed:g} mm/s", lambda s=speed: flow.set_paper_speed(s), SPEED_KEYS.get(speed),
                         f"Calibrated paper at {speed:g} mm/s (zooming switches to free zoom)")
        action.setCheckable(True)
        speeds.addAction(action)
        a.paper_speeds[speed] = action
    gains = QActionGroup(window)
    gains.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
    for gain in GAINS:
        action = _action(window, f"×{gain:g}  ({gain * MM_PER_MV:g} mm/mV)", lambda g=gain: flow.set_gain(g),
                         GAIN_KEYS.get(gain), "The same amplitude scale for every lead")
        action.setCheckable(True)
        gains.addAction(action)
        a.gains[gain] = action
    a.fit_gain = _action(window, "&Fit leads to the window", flow.fit_gain,
                         tip="The gain at which every lead fits the window without scrolling")
    a.prev_uncertain = _action(window, "Previous uncertain wave", lambda: window.flags.goto_uncertain(-1), "Shift+U",
                               "Back to the previous, less uncertain wave of the list", plot=True)
    a.next_disagreement = _action(window, "Next &disagreement", lambda: window.flags.goto_disagreement(+1), "D",
                                  "The next fiducial beyond its CSE tolerance from the reference", plot=True)
    a.prev_disagreement = _action(window, "Previous disagreement", lambda: window.flags.goto_disagreement(-1),
                                  "Shift+D", "The previous disagreement with the reference", plot=True)
    a.shortcuts = _action(window, "&Keyboard shortcuts", flow.show_shortcuts, "F1")
    a.about = _action(window, "&About ECG Studio", flow.show_about)


def _worklist_actions(window: MainWindow, a: Actions) -> None:
    """Next record to review and the folder's worklist CSV (handlers in ``window.worklist``)."""
    a.next_record = _action(window, "&Next record to review", window.worklist.next_record, NEXT_RECORD_KEY,
                            "Open the next record of the folder that is not reviewed (asks to save first)")
    a.export_worklist = _action(window, "&Export worklist (CSV)…", window.worklist.export_csv,
                                tip="Review state, reviewed share, reviewer and last change of every record "
                                    "of the browsed folder")
    a.export_measurements = _action(window, "Export folder &measurements…", window.worklist.export_measurements,
                                    tip="Every beat of every saved record of the browsed folder as one CSV "
                                        "(record, lead and the columns of the measurements export)")


def build_menus(window: MainWindow, a: Actions) -> None:
    """Lay out the menus and the toolbar."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addActions([a.open, a.open_folder])
    a.recent_menu = file_menu.addMenu("Open &recent")
    file_menu.addActions([a.next_record, a.export_worklist, a.export_measurements])
    file_menu.addSeparator()
    file_menu.addActions([a.save, a.save_as])
    file_menu.addSeparator()
    file_menu.addAction(a.quit)

    edit_menu = bar.addMenu("&Edit")
    edit_menu.addActions([a.undo, a.redo])
    edit_menu.addSeparator()
    edit_menu.addAction(a.delete_wave)
    relabel_menu = edit_menu.addMenu("Re&label")
    relabel_menu.addActions(list(a.relabel.values()))
    beat_menu = edit_menu.addMenu("&Beat label")
    beat_menu.addActions(list(a.beat_label.values()))
    add_menu = edit_menu.addMenu("Add &wave")
    add_menu.addActions(list(a.add_wave.values()))
    edit_menu.addActions([a.nudge_left, a.nudge_right])
    edit_menu.addSeparator()
    edit_menu.addActions([a.accept_beat, a.mark_range])

    view_menu = bar.addMenu("&View")
    zoom_menu = view_menu.addMenu("&Zoom")
    zoom_menu.addActions(a.zoom_presets)
    zoom_menu.addSeparator()
    zoom_menu.addActions([a.zoom_in, a.zoom_out])
    view_menu.addActions([a.prev_beat, a.next_beat, a.next_uncertain, a.prev_uncertain, a.next_disagreement,
                          a.prev_disagreement, a.pan_left, a.pan_right,
                          a.goto_start, a.goto_end, a.goto_time])
    view_menu.addSeparator()
    speed_menu = view_menu.addMenu("Paper &speed")
    speed_menu.addActions(list(a.paper_speeds.values()))
    gain_menu = view_menu.addMenu("Ampli&tude")
    gain_menu.addActions(list(a.gains.values()))
    gain_menu.addSeparator()
    gain_menu.addAction(a.fit_gain)
    view_menu.addActions([a.sheet, a.calipers, a.grid])
    a.leads_menu = view_menu.addMenu("&Leads")
    a.share_menu = view_menu.addMenu("Uncertain s&hare")
    window.flags.build_share_menu(a.share_menu)
    palette_menu = view_menu.addMenu("&Palette")
    palette_menu.addActions(list(a.palettes.values()))
    a.panels_menu = view_menu.addMenu("P&anels")

    annotate_menu = bar.addMenu("&Annotate")
    annotate_menu.addActions([a.preannotate, a.copy_reference, a.choose_model, a.finetune])

    help_menu = bar.addMenu("&Help")
    help_menu.addActions([a.shortcuts, a.about])

    toolbar = window.addToolBar("Main")
    toolbar.setObjectName("main_toolbar")
    toolbar.addActions([a.open, a.save])
    toolbar.addSeparator()
    toolbar.addActions([a.undo, a.redo])
    toolbar.addSeparator()
    toolbar.addAction(a.preannotate)
    toolbar.widgetForAction(a.preannotate).setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
    toolbar.addSeparator()
    toolbar.addActions(a.zoom_presets)
    spacer = QWidget(toolbar)  # the flag legend sits at the toolbar's right end, clear of the status bar
    spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
    toolbar.addWidget(spacer)
    toolbar.addWidget(window.flags.legend)
