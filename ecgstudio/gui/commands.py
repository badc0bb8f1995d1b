"""Undo commands: thin QUndoCommand wrappers around core edit values.

The rules live in :mod:`ecgstudio.core` (an edit's ``apply`` returns its
inverse); these classes only keep the inverse so that the window's
``QUndoStack`` can undo and redo.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PyQt5.QtWidgets import QUndoCommand

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.edits import Edit
from ecgstudio.core.errors import EditError

log = logging.getLogger(__name__)


class EditCommand(QUndoCommand):
    """Apply ``edit`` to ``track`` on redo; apply its inverse on undo.

    A failed edit raises nothing into Qt: the message is logged, stored in
    :attr:`error`, passed to ``on_error`` and the command marks itself
    obsolete, so ``QUndoStack.push`` drops it.

    Parameters
    ----------
    track : Delineation
        The track changed.
    edit : Edit
        A :mod:`ecgstudio.core.edits` value.
    text : str | None
        Undo-menu text; defaults to ``edit.text``.
    on_error : Callable[[str], None] | None
        Told the one-line message when the edit (or its undo) fails.
    """

    def __init__(self, track: Delineation, edit: Edit, text: str | None = None, *,
                 on_error: Callable[[str], None] | None = None) -> None:
        super().__init__(text if text is not None else edit.text)
        self.track = track
        self.edit = edit
        self.inverse: Edit | None = None
        self.error: str | None = None
        self._on_error = on_error

    def redo(self) -> None:
        try:
            self.inverse = self.edit.apply(self.track)
        except EditError as exc:
            self._fail(str(exc))

    def undo(self) -> None:
        if self.inverse is None:
            return
        try:
            self.edit = self.inverse.apply(self.track)
        except EditError as exc:
            self._fail(str(exc))

    def _fail(self, message: str) -> None:
        self.error = message
        self.inverse = None
        self.setObsolete(True)
        log.warning("edit failed: %s", message)
        if self._on_error is not None:
            self._on_error(message)


class ReviewCommand(QUndoCommand):
    """Swap ``document.review`` for ``new_spans`` (redo) and back (undo).

    Parameters
    ----------
    document : Any
        Anything with a ``review`` attribute (the app's ``Document``).
    new_spans : ReviewSpans
        The review state after the command.
    on_change : Callable[[Any], None] | None
        Called with the review state now in force after every redo/undo
        (e.g. ``view.set_review``).
    text : str
        Undo-menu text.
    """

    def __init__(self, document: Any, new_spans: Any, on_change: Callable[[Any], None] | None = None,
                 text: str = "Mark reviewed") -> None:
        super().__init__(text)
        self.document = document
        self.new_spans = new_spans
        self.old_spans = document.review
        self._on_change = on_change

    def redo(self) -> None:
        self.document.review = self.new_spans
        if self._on_change is not None:
            self._on_change(self.new_spans)

    def undo(self) -> None:
        self.document.review = self.old_spans
        if self._on_change is not None:
            self._on_change(self.old_spans)
