"""Selection on the plot: the selected wave, its selected boundary and the Shift+drag range.

:class:`ViewSelection` is a mixin of :class:`~ecgstudio.gui.leads_view.LeadsView`
(it uses the view's tracks, redraw and signals). After an edit, an undo or new
tracks the selection is moved to the wave that replaced the selected one, or
cleared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecgstudio.core.errors import EditError
from ecgstudio.core.waves import Wave
from ecgstudio.gui.navigation import successor

if TYPE_CHECKING:
    from ecgstudio.core.delineation import Delineation


class ViewSelection:
    """Selection state of a :class:`LeadsView` (mixin)."""

    tracks: list[Delineation]
    _wave: Wave | None
    _boundary: tuple[Wave, str] | None
    _selected_range: tuple[int, int] | None

    def select_wave(self, wave: Wave | None) -> None:
        """Select ``wave`` (``None`` clears); the boundary selection is cleared."""
        self._set_selection(wave, None)

    def select_boundary(self, wave: Wave, field: str) -> None:
        """Select ``field`` of ``wave`` (for nudging); the wave is selected too."""
        self._set_selection(wave, (wave, field))

    def selected_wave(self) -> Wave | None:
        """The selected wave, or ``None``."""
        return self._wave

    def selected_boundary(self) -> tuple[Wave, str] | None:
        """``(wave, field)`` of the selected boundary, or ``None``."""
        return self._boundary

    def selected_range(self) -> tuple[int, int] | None:
        """``(start, stop)`` samples chosen with Shift+drag, or ``None``."""
        return self._selected_range

    def set_selected_range(self, selected: tuple[int, int] | None) -> None:
        """Set (or clear) the Shift+drag range."""
        if selected is not None:
            a, b = sorted(int(round(v)) for v in selected)
            n = self._n_samples()
            selected = (min(max(a, 0), n - 1), min(max(b, 0), n - 1))
        if selected != self._selected_range:
            self._selected_range = selected
            self._redraw()
            self.sigSelectedRangeChanged.emit(selected)

    def _set_selection(self, wave: Wave | None, boundary: tuple[Wave, str] | None) -> None:
        changed = wave != self._wave
        self._wave, self._boundary = wave, boundary
        self._redraw()
        if changed:
            self.sigSelectionChanged.emit(wave)

    def _revalidate_selection(self) -> None:
        """Keep the selection pointing at a wave that exists (after edits, undo, new tracks)."""
        old = self._wave
        if old is None:
            return
        holders = [t for t in self.tracks if t.lead == old.lead]
        for track in holders:
            try:
                track.index_of(old)
                return
            except EditError:
                pass
        editable = self.editable_track()
        new = successor(editable, old) if editable is not None else None
        field = self._boundary[1] if self._boundary is not None else None
        self._wave = new
        self._boundary = (new, field) if new is not None and field else None
        self.sigSelectionChanged.emit(new)
