"""The editing session's history values: changes with inverses, steps, notifications, reports (no Qt).

Every change a session makes to its document is one of these frozen values;
``change.apply(doc)`` changes the document and returns the change that undoes
it (docs/ARCHITECTURE.md, "Editing session"). :class:`ecgstudio.app.editing.EditingSession`
keeps them in its undo history.
"""

from __future__ import annotations

import getpass
import os
import time
from dataclasses import dataclass
from typing import Protocol

from ecgstudio.app.document import Document
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.edits import Edit
from ecgstudio.core.review import ReviewInfo, ReviewSpans


def now_iso() -> str:
    """The current UTC time as ISO 8601 (``2026-12-03T17:50:00Z``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def default_reviewer() -> str:
    """Who marks spans reviewed when nobody is named: ``$ECGSTUDIO_REVIEWER`` or the login name."""
    name = os.environ.get("ECGSTUDIO_REVIEWER")
    if name:
        return name[:100]
    try:
        return getpass.getuser()[:100]
    except (OSError, KeyError):
        return "unknown"


class Change(Protocol):
    def apply(self, doc: Document) -> Change: ...


@dataclass(frozen=True)
class TrackEdit:
    """Apply ``edit`` to the editable track at ``doc.tracks[index]``."""

    index: int
    edit: Edit

    def apply(self, doc: Document) -> TrackEdit:
        return TrackEdit(self.index, self.edit.apply(doc.tracks[self.index]))


@dataclass(frozen=True)
class TrackSwap:
    """Put track object ``new`` at ``doc.tracks[index]`` (fast whole-track replacement)."""

    index: int
    new: Delineation

    def apply(self, doc: Document) -> TrackSwap:
        old = doc.tracks[self.index]
        doc.tracks[self.index] = self.new
        return TrackSwap(self.index, old)


@dataclass(frozen=True)
class ReviewChange:
    """Set the reviewed spans and their provenance."""

    spans: ReviewSpans
    info: ReviewInfo

    def apply(self, doc: Document) -> ReviewChange:
        old = ReviewChange(doc.review, doc.review_info)
        doc.review, doc.review_info = self.spans, self.info
        return old


@dataclass(frozen=True)
class Step:
    text: str
    serial: int
    forward: tuple[Change, ...]
    backward: tuple[Change, ...]  # inverses, in the order they are to be applied


@dataclass(frozen=True)
class SessionChange:
    """What :meth:`EditingSession.subscribe` listeners are told after every change.

    Attributes
    ----------
    kind : str
        ``"edit"``, ``"undo"``, ``"redo"``, ``"save"`` or ``"restore"``.
    text : str
        The step's user-facing text (``"Move QRS onset"``); empty for saves.
    revision : int
        :attr:`EditingSession.revision` after the change.
    dirty : bool
        :attr:`EditingSession.dirty` after the change.
    tracks_replaced : bool
        Some editable track object was replaced (views must re-read the tracks).
    """

    kind: str
    text: str
    revision: int
    dirty: bool
    tracks_replaced: bool


@dataclass(frozen=True)
class PredictionReport:
    """What :meth:`EditingSession.apply_prediction` did.

    Attributes
    ----------
    n_waves : int
        Waves in the editable tracks afterwards.
    n_kept : int
        Reviewed waves kept exactly.
    n_predicted : int
        Model waves taken.
    n_seam_dropped : int
        Model waves left out at the edges of reviewed spans.
    replaced_reviewed : bool
        Reviewed work was replaced on request (the review marks were cleared).
    """

    n_waves: int
    n_kept: int
    n_predicted: int
    n_seam_dropped: int
    replaced_reviewed: bool

    def summary(self) -> str:
        """One line for a status bar or the CLI."""
        if self.replaced_reviewed:
            return f"reviewed work replaced on request; {self.n_waves} waves from the model"
        if self.n_kept:
            return (f"kept {self.n_kept} reviewed waves, {self.n_predicted} from the model"
                    + (f" ({self.n_seam_dropped} left out at reviewed edges)" if self.n_seam_dropped else ""))
        return f"{self.n_waves} waves from the model"


def edit_lead(edit: Edit) -> int | None:
    """The lead an edit value is about (its wave's lead; ``None`` = global).

    Used to route an edit to the editable track of that lead.
    """
    wave = getattr(edit, "wave", None)
    if wave is not None:
        return wave.lead
    for name in ("waves", "removed", "added"):
        waves = getattr(edit, name, ())
        if waves:
            return waves[0].lead
    return None


@dataclass(frozen=True)
class SetEditable:
    """Replace the set of editable track objects (e.g. a global track by per-lead ones)."""

    tracks: tuple[Delineation, ...]

    def apply(self, doc: Document) -> SetEditable:
        old = tuple(doc.editable_tracks)
        refs = doc.reference_tracks
        doc.tracks[:] = [*refs, *self.tracks]
        doc.editable_indices = tuple(range(len(refs), len(doc.tracks)))
        return SetEditable(old)
