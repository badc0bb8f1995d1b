"""Undo commands: the window's ``QUndoStack`` wraps the editing session's history.

The history itself (edit values and their inverses, dirty state) lives in
:class:`ecgstudio.app.editing.EditingSession`; a :class:`SessionCommand` only
keeps Qt's undo stack (menus, texts, clean state) in step with it: its first
``redo`` performs the session step, later ``undo``/``redo`` calls replay the
session's ``undo``/``redo``. Every change to a window's document goes through
one of these commands, so both stacks always hold the same steps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PyQt5.QtWidgets import QUndoCommand

from ecgstudio.app.editing import EditingSession
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

