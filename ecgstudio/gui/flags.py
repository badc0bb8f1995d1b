"""Flags of a main window: the legend and counts, the uncertain-waves list, U and D.

:class:`FlagsController` keeps, for the open document,

* a legend (placed by ``actions`` at the right end of the toolbar, where there is room;
  the status bar is full): red "N disagreements" and orange "N uncertain (5 %)" (no count
  for a track without model confidence, e.g. read from a file), the reference, the
  tolerances and the meaning of both marks in its tooltip;
* the *Uncertain waves* dock: time, wave and confidence of the worst share of the
  editable track in focus, least confident first; a click selects the wave and gives
  the keyboard back to the plot;
* ``U`` / ``Shift+U`` (next less / more confident uncertain wave) and ``D`` / ``Shift+D``
  (next / previous disagreement), and the share (View → Uncertain share, remembered);
  what a walk found is shown in full in a :class:`~ecgstudio.gui.toast.Toast` over the
  plot (and in the status bar, where it may be cut).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PyQt5.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, QTimer
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QActionGroup,
    QDockWidget,
    QHeaderView,
    QLabel,
    QMenu,
    QTableView,
)

from ecgstudio.core.disagreement import CSE_NAME, CSE_TOLERANCES_MS
from ecgstudio.gui.colors import get_palette
from ecgstudio.gui.flag_state import UncertainWaves
from ecgstudio.gui.messages import format_seconds
from ecgstudio.gui.toast import Toast

if TYPE_CHECKING:
    from ecgstudio.gui.main_window import MainWindow

#: Shares offered in View → Uncertain share.
SHARES = (0.01, 0.02, 0.05, 0.10, 0.20)
_SHARE_KEY = "flags/worst_share"


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{c:02x}" for c in rgb)


def tolerance_text() -> str:
    """The tolerances, one line (for tooltips and Help)."""
    return ", ".join(f"{fid.value} {ms:g} ms" for fid, ms in CSE_TOLERANCES_MS.items())


class UncertainModel(QAbstractTableModel):
    """Rows of an :class:`UncertainWaves`: time, wave, confidence."""

    HEADERS = ("Time", "Wave", "Confidence")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.waves: UncertainWaves | None = None
        self.fs = 1.0

    def set_waves(self, waves: UncertainWaves | None, fs: float) -> None:
        """Show ``waves`` (``None``: empty)."""
        self.beginResetModel()
        self.waves, self.fs = waves, float(fs)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if self.waves is None or parent.isValid() else len(self.waves)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 3

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole) -> object:  # noqa: N802
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> object:
        if self.waves is None or role not in (Qt.DisplayRole, Qt.TextAlignmentRole):
            return None
        if role == Qt.TextAlignmentRole:
            return int(Qt.AlignRight | Qt.AlignVCenter) if index.column() != 1 else None
        i = index.row()
        if index.column() == 0:
            return format_seconds(float(self.waves.starts[i]) / self.fs)
        if index.column() == 1:
            return self.waves.kind(i).value
        return f"{float(self.waves.confidence[i]):.2f}"


class FlagsController(QObject):
    """Legend, counts, list and walking of the plot's flags (module docstring)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.legend = QLabel("")
        self.legend.setTextFormat(Qt.RichText)
        self.legend.setContentsMargins(6, 0, 6, 0)
        self.toast = Toast(window.view, above=window.view.ruler)
        self.model = UncertainModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.table.clicked.connect(self._on_row_clicked)
        self.table.activated.connect(self._on_row_clicked)
        self.dock = QDockWidget("Uncertain waves", window)
        self.dock.setObjectName("uncertain_waves_dock")
        self.dock.setWidget(self.table)
        window.addDockWidget(Qt.RightDockWidgetArea, self.dock)
        window.tabifyDockWidget(window.measurements_dock, self.dock)
        window.measurements_dock.raise_()
        self._timer = QTimer(self)  # edits come in bursts (drags): refresh once they settle
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.refresh)
        self.share_actions: dict[float, object] = {}
        saved = window.settings.value(_SHARE_KEY)
        try:
            share = float(saved) if saved is not None else 0.05
        except (TypeError, ValueError):
            share = 0.05
        window.view.set_worst_share(share if share in SHARES else 0.05)
        window.sigDocumentChanged.connect(lambda _doc: self.refresh())
        window.undo_stack.indexChanged.connect(lambda _i: self._timer.start())

    # ------------------------------------------------------------------ menu
    def build_share_menu(self, menu: QMenu) -> None:
        """Fill View → Uncertain share with one checkable entry per share."""
        group = QActionGroup(menu)
        for share in SHARES:
            action = menu.addAction(f"Worst {share * 100:g} %")
            action.setCheckable(True)
            action.setChecked(abs(share - self._window.view.flags.share) < 1e-9)
            action.setStatusTip("Mark and walk (U) this share of the waves, least confident first")
            action.triggered.connect(lambda _checked=False, s=share: self.set_share(s))
            group.addAction(action)
            self.share_actions[share] = action

    def set_share(self, share: float) -> None:
        """Call the worst ``share`` of the waves uncertain (remembered)."""
        self._window.view.set_worst_share(share)
        self._window.settings.setValue(_SHARE_KEY, share)
        action = self.share_actions.get(share)
        if action is not None and not action.isChecked():
            action.setChecked(True)
        self.refresh()

    # ------------------------------------------------------------------ walking
    def goto_uncertain(self, step: int = 1) -> None:
        """``U`` (``+1``): the next wave of the list (less confident first); ``Shift+U`` (``-1``) the previous."""
        view = self._window.view
        if self._window.document is None:
            return
        if not view.goto_uncertain(step):
            found = view.uncertain_waves()
            if found is not None and not found.scored:
                self._message("No uncertain waves: the editable track carries no model confidence")
                return
            share = f"{view.flags.share * 100:g} %"
            self._message(f"No further uncertain wave (worst {share}; View → Uncertain share)" if step > 0
                          else "This is the least confident wave")
            return
        wave = view.selected_wave()
        found = view.uncertain_waves()
        i = found.position_of(wave) if found is not None else None
        if wave is not None and i is not None and found is not None:
            self._message(f"Uncertain {wave.kind.value} wave {i + 1} of {len(found)}: confidence "
                          f"{float(found.confidence[i]):.2f}")
            self.table.selectRow(i)

    def goto_disagreement(self, step: int = 1) -> None:
        """``D`` / ``Shift+D``: the next / previous disagreement with the reference."""
        if self._window.document is None:
            return
        text = self._window.view.goto_disagreement(step)
        self._message(text or ("No further disagreement" if step > 0 else "No earlier disagreement"))

    def _message(self, text: str) -> None:
        self._window.status.showMessage(text, 6000)
        self.toast.show_text(text, 6000)

    def _on_row_clicked(self, index: QModelIndex) -> None:
        view = self._window.view
        track = view.editable_track()
        found = self.model.waves
        if track is not None and found is not None and 0 <= index.row() < len(found):
            wave = found.wave(track, index.row())
            if wave is not None:
                view.show_flagged_wave(wave)
        view.setFocus(Qt.OtherFocusReason)

    # ------------------------------------------------------------------ legend and list
    def refresh(self) -> None:
        """Recount, relabel the legend and refill the list."""
        view = self._window.view
        doc = self._window.document
        palette = get_palette(view.palette_name())
        found = view.uncertain_waves() if doc is not None else None
        self.model.set_waves(found, doc.fs if doc is not None else 1.0)
        parts = []
        pairs = view.disagreement_pairs() if doc is not None else []
        names = sorted({p.reference.name for p in pairs})
        if pairs:
            count = sum(len(p.found) for p in pairs)
            parts.append(f"<span style='color:{_hex(palette.disagreement)}'>▮</span> {count} "
                         f"disagreement{'s' if count != 1 else ''}")
        if found is not None and found.scored:  # no count for a track without confidences (read from a file)
            parts.append(f"<span style='color:{_hex(palette.low_confidence)}'>▮</span> {len(found)} uncertain "
                         f"({view.flags.share * 100:g} %)")
        unscored = ("\nThe editable track carries no model confidence (read from a file or drawn by hand): "
                    "no uncertain waves to mark." if found is not None and not found.scored else "")
        self.legend.setText(" &nbsp; ".join(parts))
        self.legend.setToolTip(
            f"Red ticks: a fiducial of the editable track further from the reference ({', '.join(names) or 'none'}) "
            "than its tolerance, or without a counterpart, inside the beats the reference annotated "
            "(D / Shift+D walk them).\n"
            f"{CSE_NAME}: {tolerance_text()}.\n"
            "Orange marks: the least confident waves (sharpness of the weaker boundary in the model's "
            f"probabilities): the worst {view.flags.share * 100:g} % of the waves; U walks them worst first, "
            "the Uncertain waves panel lists them." + unscored)
