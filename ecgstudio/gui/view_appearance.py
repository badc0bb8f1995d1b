"""What the plot looks like: review shading, worst-share flags, grid, lead visibility, palette, gain, 12-lead sheet.

:class:`ViewAppearance` is a mixin of :class:`~ecgstudio.gui.leads_view.LeadsView`
(it uses the view's rows, flags, paper layout, overview, ruler and redraw). It
changes only how the record and its tracks are shown, never a track.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PyQt5 import QtWidgets

from ecgstudio.gui.colors import Palette, get_palette

if TYPE_CHECKING:
    from ecgstudio.gui.flag_state import FlagState
    from ecgstudio.gui.lead_row import LeadRow
    from ecgstudio.gui.overview import Overview
    from ecgstudio.gui.paper_layout import PaperLayout
    from ecgstudio.gui.time_ruler import TimeRuler


class ViewAppearance:
    """Display settings of a :class:`LeadsView` (mixin)."""

    rows: list[LeadRow]
    flags: FlagState
    paper: PaperLayout
    overview: Overview
    ruler: TimeRuler
    sheet_widget: QtWidgets.QWidget | None
    _review: np.ndarray
    _grid_visible: bool
    _lead_shown: list[bool]
    _palette: Palette
    _scroll: QtWidgets.QScrollArea

    # LeadsView provides _redraw and (as a QWidget) layout

    def set_review(self, spans: object) -> None:
        """Show reviewed spans (a ``ReviewSpans`` or any iterable of ``(start, stop)``)."""
        pairs = list(getattr(spans, "spans", spans) or ())
        self._review = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        for row in self.rows:
            row.tracks.set_review(self._review)
        self._redraw()

    def set_worst_share(self, share: float) -> None:
        """Mark (and walk with ``U``) the worst ``share`` (0..1) of each editable track's waves by confidence."""
        self.flags.set_share(share)
        self._redraw()

    def set_grid_visible(self, visible: bool) -> None:
        """Show or hide the ECG paper grid."""
        self._grid_visible = bool(visible)
        for row in self.rows:
            row.grid.setVisible(self._grid_visible)

    def grid_visible(self) -> bool:
        """Whether the ECG paper grid is shown."""
        return self._grid_visible

    def set_lead_visible(self, lead: int, visible: bool) -> None:
        """Show or hide the row of ``lead``."""
        self._lead_shown[lead] = bool(visible)
        self.rows[lead].widget.setVisible(bool(visible))
        self.paper.size_rows()
        shown = [row for row in self.rows if self._lead_shown[row.lead]]
        self.overview.set_signal((shown[0] if shown else self.rows[0]).pyramid)  # first lead shown
        self._redraw()

    def lead_visible(self, lead: int) -> bool:
        """Whether the row of ``lead`` is shown."""
        return self._lead_shown[lead]

    def set_palette(self, name: str) -> None:
        """Use palette ``name`` (``"classic"`` or ``"colorblind"``)."""
        self._palette = get_palette(name)
        for row in self.rows:
            row.set_palette(self._palette)
        self._redraw()

    def palette_name(self) -> str:
        """Name of the palette in use."""
        return self._palette.name

    def scale_amplitude(self, lead: int, factor: float, centre_mv: float | None = None) -> None:
        """Scale the amplitude of every lead by ``factor`` (< 1 magnifies; Ctrl+wheel on ``lead``'s row).

        All leads share one scale (the same mV per pixel), so the gain changes for all of them.
        """
        self.paper.set_gain(self.paper.scale.gain / factor)

    def fit_amplitude(self) -> None:
        """The gain at which every shown lead fits the window (``reset_amplitude`` undoes)."""
        self.paper.fit_gain()

    def reset_amplitude(self) -> None:
        """Back to the standard 10 mm/mV."""
        self.paper.set_gain(1.0)

    def show_sheet(self, sheet: QtWidgets.QWidget | None) -> None:
        """Show ``sheet`` (another layout of the record: the 12-lead sheet) instead of the rows; ``None``: rows."""
        if sheet is not None and self.layout().indexOf(sheet) < 0:
            self.layout().insertWidget(0, sheet, 1)
        if self.sheet_widget is not None and self.sheet_widget is not sheet:
            self.sheet_widget.hide()
        for widget in (self._scroll, self.ruler):
            widget.setVisible(sheet is None)
        if sheet is not None:
            sheet.show()
        self.sheet_widget = sheet
