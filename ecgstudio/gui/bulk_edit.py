"""Replacing every wave of the editable track in one undo step, fast on 24-hour tracks.

Pre-annotation and crash recovery replace the whole editable track. For
ordinary tracks this is one :class:`~ecgstudio.core.edits.ReplaceRange` over
the whole record pushed as an ``EditCommand``. ``Delineation.replace`` costs
time quadratic in the number of added waves, though (0.17 s for the 3,400
waves of the 15-min sample, about 25 minutes extrapolated for a 24-hour
track's 325,000), so above :data:`BULK_THRESHOLD` waves the window swaps in a
new, already validated track object instead (:class:`SwapTrackCommand`):
still one undo step, and commands before and after it on the stack keep
referring to the track object that was current when they were pushed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PyQt5.QtWidgets import QUndoCommand

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.edits import ReplaceRange
from ecgstudio.core.errors import EditError

if TYPE_CHECKING:
    from ecgstudio.app.document import Document
    from ecgstudio.gui.main_window import MainWindow

#: Above this many waves (old + new) the track object is swapped instead of edited in place.
BULK_THRESHOLD = 4000


class SwapTrackCommand(QUndoCommand):
    """Put ``new`` in place of the document's editable track ``old`` (redo) and back (undo).

    Parameters
    ----------
    window : MainWindow
        Window whose views are told about the swap.
    document : Document
        The document holding the track.
    old, new : Delineation
        The track now editable and the one to put in its place.
    text : str
        Undo-menu text.
    """

    def __init__(self, window: MainWindow, document: Document, old: Delineation, new: Delineation,
                 text: str) -> None:
        super().__init__(text)
        self._window = window
        self._document = document
        self._old = old
        self._new = new

    def _put(self, track: Delineation) -> None:
        doc = self._document
        if doc.editable_index is None:
            return
        doc.tracks[doc.editable_index] = track
        if self._window.document is doc:
            self._window.show_tracks()

    def redo(self) -> None:
        self._put(self._new)

    def undo(self) -> None:
        self._put(self._old)


def replace_all_waves(window: MainWindow, new: Delineation, text: str) -> bool:
    """Make the waves of ``new`` the editable track's content, as one undo step.

    Parameters
    ----------
    window : MainWindow
        The window (its document's editable track is replaced).
    new : Delineation
        A valid track of the same record (e.g. the model's prediction or a
        recovered track); it is copied, never shared.
    text : str
        Undo-menu text.

    Returns
    -------
    bool
        ``False`` if the waves cannot form a valid editable track (reported in
        the status bar).
    """
    doc = window.document
    track = None if doc is None else doc.editable_track
    if doc is None or track is None:
        return False
    if len(track) + len(new) <= BULK_THRESHOLD:
        edit = ReplaceRange(0, track.n_samples - 1, new.waves)
        return window.push_edit(edit, text)
    try:
        if new.lead == track.lead and new.n_samples == track.n_samples and new.fs == track.fs:
            swapped = new.copy(track.name)
        else:
            waves = [w if w.lead == track.lead else replace(w, lead=track.lead) for w in new.waves]
            swapped = Delineation(waves, n_samples=track.n_samples, fs=track.fs, lead=track.lead,
                                  name=track.name)
    except EditError as exc:
        window.status.showMessage(f"Not possible: {exc}", 6000)
        return False
    window.undo_stack.push(SwapTrackCommand(window, doc, track, swapped, text))
    return True
