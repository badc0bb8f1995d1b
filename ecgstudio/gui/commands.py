"""Undo commands: the window's ``QUndoStack`` wraps the editing session's history.

The history itself (edit values and their inverses, dirty state) lives in
:class:`ecgstudio.app.editing.EditingSession`; a :class:`SessionCommand` only
keeps Qt's undo stack (menus, texts, clean state) in step with it: its first
``redo`` performs the session step, later ``undo``/``redo`` calls replay the
session's ``undo``/``redo``. Every change to a window's document goes through
one of these commands, so both stacks always hold the same steps.

:class:`EditCommand` and :class:`ReviewCommand` apply a value to a bare track
or document (tests and tools without a session).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PyQt5.QtWidgets import QUndoCommand

from ecgstudio.app.editing import EditingSession
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.edits import Edit
from ecgstudio.core.errors import EditError

log = logging.getLogger(__name__)


class SessionCommand(QUndoCommand):
    """One step of an :class:`EditingSession` on a ``QUndoStack``.

    Parameters
    ----------
    session : EditingSession
        The session the step belongs to.
    perform : Callable[[], object]
        Makes the step the first time (e.g. ``lambda: session.apply(edit)``);
        must record exactly one session step or raise :class:`EditError`.
    text : str
        Undo-menu text.
    on_error : Callable[[str], None] | None
        Told the one-line message when the step is refused; the command then
        marks itself obsolete and ``QUndoStack.push`` drops it.
    """

    def __init__(self, session: EditingSession, perform: Callable[[], object], text: str, *,
                 on_error: Callable[[str], None] | None = None) -> None:
        super().__init__(text)
        self.session = session
        self._perform: Callable[[], object] | None = perform
        self._on_error = on_error
        self.error: str | None = None
        self.result: object = None

    def redo(self) -> None:
        if self._perform is None:
            self.session.redo()
            return
        perform, self._perform = self._perform, None
        revision = self.session.revision
        try:
            self.result = perform()
        except EditError as exc:
            self._fail(str(exc))
            return
        except (ValueError, TypeError, OverflowError) as exc:  # bad data from outside: refuse, keep the stack sane
            log.exception("step refused")
            self._fail(f"unexpected data ({exc})")
            return
        if self.session.revision == revision:  # nothing to record (e.g. an empty range)
            self.setObsolete(True)

    def undo(self) -> None:
        self.session.undo()

    def _fail(self, message: str) -> None:
        self.error = message
        self.setObsolete(True)
        log.warning("edit refused: %s", message)
        if self._on_error is not None:
            self._on_error(message)


class EditCommand(QUndoCommand):
    """Apply ``edit`` to a bare ``track`` on redo and its inverse on undo (no session).

    A failed edit marks the command obsolete (``QUndoStack.push`` drops it)
    and tells ``on_error``.
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
            self.error = str(exc)
            self.inverse = None
            self.setObsolete(True)
            if self._on_error is not None:
                self._on_error(str(exc))

    def undo(self) -> None:
        if self.inverse is not None:
            self.edit = self.inverse.apply(self.track)


class ReviewCommand(QUndoCommand):
    """Swap ``document.review`` for ``new_spans`` (redo) and back (undo) (no session)."""

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
