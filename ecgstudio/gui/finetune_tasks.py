"""Background work of the fine-tune dialog: the default services, the counting task, the log bridge.

The services (:func:`ecgstudio.app.finetune.finetune` and ``count_reviewed_beats``)
are imported inside the worker threads that call them, so TensorFlow is never
imported on the GUI thread.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Sequence
from typing import Any

from PyQt5.QtCore import QObject, pyqtSignal


def default_finetune(*args: Any, **kwargs: Any) -> Any:
    """Call :func:`ecgstudio.app.finetune.finetune` (imported on first call, in the worker thread).

    Parameters
    ----------
    *args, **kwargs
        Passed on unchanged.

    Returns
    -------
    Any
        The fine-tuning result.
    """
    from ecgstudio.app.finetune import finetune

    return finetune(*args, **kwargs)


def default_count(record_path: str | os.PathLike[str]) -> int:
    """Reviewed beats of one record, through ``ecgstudio.app.finetune.count_reviewed_beats``.

    Parameters
    ----------
    record_path : path
        Record path without extension.

    Returns
    -------
    int
        Number of reviewed beats.
    """
    from ecgstudio.app.finetune import count_reviewed_beats

    return int(count_reviewed_beats(record_path))


class LogBridge(QObject):
    """Carries log lines from the worker thread to the GUI thread."""

    sigLine = pyqtSignal(str)


def count_task(
    count_fn: Callable[[str], int], keys: Sequence[str]
) -> Callable[[Callable[[float], None], Callable[[], bool]], dict[str, int | str]]:
    """A :class:`~ecgstudio.gui.workers.TaskRunner` task counting the reviewed beats of some records.

    Parameters
    ----------
    count_fn : callable
        ``fn(record_path) -> int`` reviewed beats.
    keys : sequence of str
        Record paths (no extension) to count.

    Returns
    -------
    callable
        ``task(progress, cancel) -> dict`` mapping each counted key to its count, or to a one-line
        error message when counting that record failed (one bad record does not hide the others);
        keys not reached before ``cancel()`` are missing.
    """

    def task(progress: Callable[[float], None], cancel: Callable[[], bool]) -> dict[str, int | str]:
        out: dict[str, int | str] = {}
        for i, key in enumerate(keys):
            if cancel():
                break
            try:
                out[key] = int(count_fn(key))
            except Exception as exc:  # one bad record must not hide the others
                out[key] = " ".join(str(exc).split()) or type(exc).__name__
            progress((i + 1) / len(keys))
        return out

    return task


def accepts(fn: Callable[..., Any], name: str) -> bool:
    """Whether ``fn`` takes a keyword argument ``name`` (or ``**kwargs``).

    Parameters
    ----------
    fn : callable
        The function to inspect.
    name : str
        Keyword argument name.

    Returns
    -------
    bool
        ``False`` also when ``fn`` has no inspectable signature.
    """
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    if name in params:
        return True
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
