"""Keyboard and menu editing of the open document: the handlers behind the Edit/View actions.

Each handler reads the selection from the plot (:class:`LeadsView`), turns it
into an edit value (:mod:`ecgstudio.core.edits`) or a review change, and pushes
it on the window's undo stack — one key press, one undo step. The plot never
applies edits itself.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PyQt5.QtCore import QObject

from ecgstudio.core.edits import AddWave, DeleteWaves, MoveBoundary, Relabel
from ecgstudio.core.errors import EditError
from ecgstudio.core.peaks import segment_peak
from ecgstudio.core.waves import DEFAULT_SYMBOL, QRS_SYMBOLS, Wave, WaveKind
from ecgstudio.gui.messages import clinical_message, time_span_text

if TYPE_CHECKING:
    from ecgstudio.core.delineation import Delineation
    from ecgstudio.gui.main_window import MainWindow


class EditingController(QObject):
    """Turns user commands into undoable edits of the editable track."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window

    # ------------------------------------------------------------------ helpers
    @property
    def _view(self):  # noqa: ANN202 - LeadsView
        return self._window.view

    def _track(self) -> Delineation | None:
        """The editable track in focus: that of the selected wave's (or the last clicked row's) lead."""
        doc = self._window.document
        if doc is None:
            return None
        wave = self._view.selected_wave()
        lead = wave.lead if wave is not None else self._view.focus_lead()
        return doc.editable_track_for(lead) or doc.editable_track_for(None) or doc.editable_track

    def _message(self, text: str) -> None:
        self._window.statusBar().showMessage(text, 4000)

    def _editable_selection(self) -> Wave | None:
        """The selected wave if it belongs to the editable track (else explain why not)."""
        track = self._track()
        wave = self._view.selected_wave() if self._window.document is not None else None
        if track is None or wave is None:
            self._message("Select a wave first (click it)")
            return None
        try:
            track.index_of(wave)
        except EditError:
            self._message("The selected wave is on a read-only track; edit the editable track")
            return None
        return wave

    # ------------------------------------------------------------------ wave edits
    def delete_selected(self) -> None:
        """Delete the selected wave (Delete/Backspace)."""
        wave = self._editable_selection()
        if wave is not None and self._window.push_edit(DeleteWaves((wave,))):
            self._view.select_wave(None)

    def relabel(self, kind: WaveKind) -> None:
        """Make the selected wave a ``kind`` wave."""
        wave = self._editable_selection()
        if wave is None or wave.kind is kind:
            return
        symbol = wave.symbol if kind is WaveKind.QRS and wave.kind is WaveKind.QRS else None
        edit = Relabel(wave, kind, symbol)
        if self._window.push_edit(edit):
            self._view.select_wave(Wave(kind, wave.onset, wave.peak, wave.offset, wave.lead, symbol,
                                        wave.confidence))

    def set_beat_label(self, symbol: str) -> None:
        """Give the selected QRS complex the beat label ``symbol`` (``N``, ``V``, ``A`` ...), one undo step.

        ``N`` is stored as no symbol of its own (the default), as a file read back holds it.
        """
        if symbol not in QRS_SYMBOLS:
            raise ValueError(f"{symbol!r} is not a WFDB beat label")
        wave = self._editable_selection()
        if wave is None:
            return
        if wave.kind is not WaveKind.QRS:
            self._message("Beat labels belong to QRS complexes: select a QRS first")
            return
        if wave.peak_symbol == symbol:
            return
        new_symbol = None if symbol == DEFAULT_SYMBOL[WaveKind.QRS] else symbol
        if self._window.push_edit(Relabel(wave, WaveKind.QRS, new_symbol), f"Beat label {symbol}"):
            self._view.select_wave(replace(wave, symbol=new_symbol))
            if wave.peak is None:
                self._message("This QRS has no peak: its beat label is not saved until it gets one")

    def add_wave(self, kind: WaveKind) -> None:
        """Add a ``kind`` wave over the range selected with Shift+drag."""
        doc = self._window.document
        track = self._track()
        selected = self._view.selected_range() if doc is not None else None
        if doc is None or track is None or selected is None:
            self._message("Select a range first (Shift+drag on the plot)")
            return
        start, stop = sorted(int(v) for v in selected)
        start, stop = max(0, start), min(doc.n_samples - 1, stop)
        if stop <= start:
            self._message("The selected range is empty")
            return
        # the decoder's peak rule: one lead for a lead's track, all leads combined for a global one
        signal = doc.record.signal if track.lead is None else doc.record.signal[:, track.lead]
        peak = segment_peak(signal, start, stop)
        wave = Wave(kind, start, peak, stop, track.lead)
        if self._window.push_edit(AddWave(wave)):
            self._view.select_wave(wave)

    def nudge(self, delta: int) -> None:
        """Move the selected boundary by ``delta`` samples (``,``/``.``), one undo step per press."""
        track = self._track()
        chosen = self._view.selected_boundary() if track is not None else None
        if track is None or chosen is None:
            self._message("Select a boundary first (click an onset, peak or offset)")
            return
        wave, field = chosen
        current = getattr(wave, field)
        if current is None:
            self._message(f"The {field} of this wave is not set")
            return
        edit = MoveBoundary(wave, field, int(current) + int(delta), clamp=True)
        try:
            moved = edit.moved_wave(track)
        except EditError as exc:
            self._message(clinical_message(str(exc), track.fs))
            return
        if moved == wave:
            self._message(f"The {field} is at its limit (a neighbour or the minimum width)")
            return
        if self._window.push_edit(edit):
            self._view.select_wave(moved)
            self._reselect_boundary(moved, field)

    def _reselect_boundary(self, wave: Wave, field: str) -> None:
        select = getattr(self._view, "select_boundary", None)
        if callable(select):
            select(wave, field)

    # ------------------------------------------------------------------ review
    def accept_beat(self) -> None:
        """Mark the current beat reviewed and move to the next beat (A / Space)."""
        doc = self._window.document
        if doc is None:
            return
        beat = self._view.current_beat_range()
        if beat is None:
            self._view.goto_beat(+1)
            return
        start, stop = (int(v) for v in beat)
        self._window.mark_reviewed(start, stop + 1, "Accept beat")
        self._view.goto_beat(+1)

    def mark_range_reviewed(self) -> None:
        """Mark the Shift+drag range if it is on screen, else the visible range, reviewed (R).

        A range selected earlier and scrolled out of sight is never used: the
        user marks what they see.
        """
        doc = self._window.document
        if doc is None:
            return
        first, last = self._view.view_range()
        chosen = self._view.selected_range()
        visible = chosen is not None and chosen[1] >= first and chosen[0] <= last
        start, stop = sorted(int(v) for v in (chosen if visible else (first, last)))
        start, stop = max(0, start), min(doc.n_samples, stop + 1)
        if stop > start and self._window.mark_reviewed(start, stop, "Mark range reviewed"):
            what = "the selected range" if visible else "the visible range"
            self._message(f"Marked {time_span_text(start / doc.fs, stop / doc.fs)} reviewed ({what})")

    # ------------------------------------------------------------------ navigation
    def goto_beat(self, step: int) -> None:
        """Select the next (``+1``) or previous (``-1``) beat."""
        if self._window.document is not None:
            self._view.goto_beat(step)

    def pan(self, fraction: float) -> None:
        """Pan by ``fraction`` of the visible width (negative = left)."""
        if self._window.document is not None:
            self._view.pan_by(fraction)

    def zoom(self, factor: float) -> None:
        """Scale the visible width by ``factor`` (< 1 zooms in)."""
        if self._window.document is not None:
            self._view.zoom_by(factor)

    def zoom_seconds(self, seconds: float | None) -> None:
        """Show ``seconds`` of signal (``None`` = the whole record)."""
        if self._window.document is not None:
            self._view.zoom_seconds(seconds)
