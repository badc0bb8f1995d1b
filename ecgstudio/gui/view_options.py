"""View options of a window kept in QSettings: grid, palette, lead visibility, layout, recent records."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PyQt5.QtCore import QByteArray, QObject
from PyQt5.QtWidgets import QAction

from ecgstudio.core.leads import display_name
from ecgstudio.gui.screen_fit import place_first_window
from ecgstudio.gui.settings import clear_recent_records, recent_records

if TYPE_CHECKING:
    from ecgstudio.gui.main_window import MainWindow

_GRID_KEY = "view/grid"
_PALETTE_KEY = "view/palette"
_GEOMETRY_KEY = "window/geometry"
_STATE_KEY = "window/state"


def _as_bool(value: object, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


class ViewOptions(QObject):
    """Applies and remembers the window's view options."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.palette = "classic"
        self.grid_visible = True

    # ------------------------------------------------------------------ options
    def set_grid_visible(self, visible: bool) -> None:
        """Show or hide the ECG grid (G)."""
        self.grid_visible = bool(visible)
        self._window.view.set_grid_visible(self.grid_visible)
        action = self._window.action_set.grid
        if action.isChecked() != self.grid_visible:
            action.setChecked(self.grid_visible)
        self._window.settings.setValue(_GRID_KEY, self.grid_visible)

    def set_palette(self, name: str) -> None:
        """Use the ``"classic"`` or ``"colorblind"`` segment colours."""
        palettes = self._window.action_set.palettes
        if name not in palettes:
            name = "classic"
        self.palette = name
        self._window.view.set_palette(name)
        palettes[name].setChecked(True)
        self._window.settings.setValue(_PALETTE_KEY, name)

    def set_lead_visible(self, index: int, visible: bool) -> None:
        """Show or hide lead ``index`` of the record."""
        self._window.view.set_lead_visible(index, bool(visible))

    # ------------------------------------------------------------------ menus
    def rebuild_leads_menu(self) -> None:
        """One checkable entry per lead of the open record."""
        menu = self._window.action_set.leads_menu
        if menu is None:
            return
        menu.clear()
        doc = self._window.document
        if doc is None:
            menu.setEnabled(False)
            return
        menu.setEnabled(True)
        for i, name in enumerate(doc.record.lead_names):
            action = QAction(display_name(name), menu)
            action.setCheckable(True)
            action.setChecked(True)
            action.toggled.connect(lambda checked, i=i: self.set_lead_visible(i, checked))
            menu.addAction(action)

    def rebuild_recent_menu(self) -> None:
        """File → Open recent from the settings."""
        menu = self._window.action_set.recent_menu
        if menu is None:
            return
        menu.clear()
        items = recent_records(self._window.settings)
        for path in items:
            action = QAction(Path(path).name, menu)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self._window.open_record(p))
            menu.addAction(action)
        menu.addSeparator()
        clear = menu.addAction("Clear list")
        clear.triggered.connect(self._clear_recent)
        clear.setEnabled(bool(items))
        menu.setEnabled(bool(items))

    def _clear_recent(self) -> None:
        clear_recent_records(self._window.settings)
        self.rebuild_recent_menu()

    # ------------------------------------------------------------------ persistence
    def restore(self) -> None:
        """Apply the saved palette, grid and window layout."""
        settings = self._window.settings
        self.set_palette(str(settings.value(_PALETTE_KEY, "classic")))
        self.set_grid_visible(_as_bool(settings.value(_GRID_KEY), True))
        geometry = settings.value(_GEOMETRY_KEY)
        if isinstance(geometry, QByteArray):
            self._window.restoreGeometry(geometry)
        else:  # the first start: 80 % of the screen, at least 1200 x 760
            place_first_window(self._window)
        state = settings.value(_STATE_KEY)
        if isinstance(state, QByteArray):
            self._window.restoreState(state)

    def save(self) -> None:
        """Remember the window layout."""
        settings = self._window.settings
        settings.setValue(_GEOMETRY_KEY, self._window.saveGeometry())
        settings.setValue(_STATE_KEY, self._window.saveState())
        settings.sync()
