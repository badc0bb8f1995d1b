"""The editing session's undo history: steps, undo/redo, grouping, revision, dirty state, notifications (no Qt).

:class:`SessionHistory` is the base of :class:`ecgstudio.app.editing.EditingSession`
(docs/ARCHITECTURE.md, "Editing session"). It owns how changes become steps,
not which changes a session makes:

* **history** — every change (:mod:`ecgstudio.app.history` values) is applied
  to the document and kept as a step with its inverses;
  :meth:`SessionHistory.undo` / :meth:`~SessionHistory.redo` replay them
  exactly; a step that fails leaves the document unchanged;
  :meth:`~SessionHistory.group` makes several changes one step;
* **revision and dirty state** — ``revision`` counts changes; ``dirty`` is
  whether the state differs from the last save (undoing back to it is clean);
* **one change notification** — :meth:`SessionHistory.subscribe`;
* **read-only documents** — no change is made while ``read_only_reason`` is set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from ecgstudio.app.document import Document
from ecgstudio.app.history import Change, SessionChange, Step, TrackSwap
from ecgstudio.core.errors import EditError

Listener = Callable[[SessionChange], None]

__all__ = ["Listener", "SessionHistory"]


class SessionHistory:
    """Undo/redo history, revision, dirty state and change notification of one document.

    Parameters
    ----------
    document : Document
        The document the history's changes are applied to (in place).
    """

    def __init__(self, document: Document) -> None:
        self.document = document
        self._done: list[Step] = []
        self._undone: list[Step] = []
        self._serial = 0
        self._saved_serial: int | None = 0  # ``None``: the saved state is no longer reachable
        self.revision = 0
        self._listeners: list[Listener] = []
        self._group: list[tuple[tuple[Change, ...], tuple[Change, ...]]] | None = None
        self._group_text = ""
        #: Why the document may not be changed (another editor holds it), or ``None``.
        self.read_only_reason: str | None = None

    # ------------------------------------------------------------------ state
    @property
    def dirty(self) -> bool:
        """Whether the document differs from what was last saved (or opened)."""
        return self._position() != self._saved_serial

    def _position(self) -> int:
        return self._done[-1].serial if self._done else 0

    @property
    def can_undo(self) -> bool:
        """Whether there is a step to undo."""
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        """Whether there is an undone step to redo."""
        return bool(self._undone)

    @property
    def undo_text(self) -> str:
        """Text of the step :meth:`undo` would undo (empty if none)."""
        return self._done[-1].text if self._done else ""

    @property
    def redo_text(self) -> str:
        """Text of the step :meth:`redo` would redo (empty if none)."""
        return self._undone[-1].text if self._undone else ""

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(SessionChange)`` after every change; returns the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _notify(self, kind: str, text: str, replaced: bool) -> None:
        change = SessionChange(kind, text, self.revision, self.dirty, replaced)
        for listener in list(self._listeners):
            listener(change)

    # ------------------------------------------------------------------ history
    def _run(self, forward: Sequence[Change]) -> tuple[Change, ...]:
        """Apply ``forward`` in order; on failure undo what was applied and re-raise."""
        applied: list[Change] = []
        try:
            for change in forward:
                applied.append(change.apply(self.document))
        except EditError:
            for inverse in reversed(applied):
                inverse.apply(self.document)
            raise
        return tuple(reversed(applied))

    def _check_writable(self) -> None:
        if self.read_only_reason is not None:
            raise EditError(f"read-only: {self.read_only_reason}")

    def _commit(self, text: str, forward: Sequence[Change]) -> None:
        self._check_writable()
        backward = self._run(forward)
        if self._group is not None:
            self._group.append((tuple(forward), backward))
            return
        self._record(text, tuple(forward), backward)

    def _record(self, text: str, forward: tuple[Change, ...], backward: tuple[Change, ...]) -> None:
        self._serial += 1
        if self._saved_serial is not None and any(s.serial == self._saved_serial for s in self._undone):
            self._saved_serial = None  # the saved state was undone and is now cut off
        self._undone.clear()
        self._done.append(Step(text, self._serial, forward, backward))
        self.revision += 1
        self._notify("edit", text, any(isinstance(c, TrackSwap) for c in forward))

    @contextmanager
    def group(self, text: str) -> Iterator[None]:
        """Combine every change made inside the ``with`` block into one undo step.

        If the block raises, every change made in it is undone and the
        exception propagates.
        """
        if self._group is not None:
            yield
            return
        self._group, self._group_text = [], text
        try:
            yield
        except BaseException:
            parts, self._group = self._group, None
            for _forward, backward in reversed(parts):
                for change in backward:
                    change.apply(self.document)
            raise
        parts, self._group = self._group, None
        if parts:
            forward = tuple(c for f, _b in parts for c in f)
            backward = tuple(c for _f, b in reversed(parts) for c in b)
            self._record(text, forward, backward)

    def undo(self) -> bool:
        """Undo the last step; ``False`` if there is none."""
        return self._replay(self._done, self._undone, "undo")

    def redo(self) -> bool:
        """Redo the last undone step; ``False`` if there is none."""
        return self._replay(self._undone, self._done, "redo")

    def _replay(self, source: list[Step], target: list[Step], kind: str) -> bool:
        """Move the last step of ``source`` to ``target``, applying its inverses (undo) or itself (redo)."""
        if not source:
            return False
        step = source.pop()
        self._run(step.backward if kind == "undo" else step.forward)
        target.append(step)
        self.revision += 1
        self._notify(kind, step.text, any(isinstance(c, TrackSwap) for c in step.forward))
        return True
