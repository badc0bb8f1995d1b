"""Cancellation of long model work (inference, training)."""

from __future__ import annotations

from collections.abc import Callable

from ecgstudio.core.errors import EcgStudioError

#: ``cancel()`` returns True when the user asked to stop.
CancelFn = Callable[[], bool]

#: ``progress(fraction)`` with ``fraction`` in [0, 1].
ProgressFn = Callable[[float], None]


class Cancelled(EcgStudioError):
    """Model work was cancelled by the user (not an error to report as a failure)."""


def check_cancel(cancel: CancelFn | None, what: str = "work") -> None:
    """Raise :class:`Cancelled` if ``cancel`` is given and returns True."""
    if cancel is not None and cancel():
        raise Cancelled(f"{what} cancelled")
