"""Run slow work (TensorFlow, file I/O) off the GUI thread: :class:`TaskRunner`.

A task is a plain function ``fn(progress, cancel) -> result``:

- ``progress(fraction)`` reports a fraction in ``[0, 1]`` (calls are throttled
  before they cross to the GUI thread, so a task may call it per window);
- ``cancel()`` returns ``True`` once the user asked to stop; the task should
  then return (anything) or raise as soon as it can.

The runner reports the outcome on the GUI thread with exactly one of
``sigFinished(result)``, ``sigFailed(message)`` or ``sigCancelled()``. Messages
are one line: an :class:`~ecgstudio.core.errors.EcgStudioError` is shown as it
is, any other exception as ``"unexpected error: <Type>: <text>"`` (its
traceback goes to the ``ecgstudio.gui.workers`` logger).
"""

from __future__ import annotations

import logging
import math
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from PyQt5 import sip
from PyQt5.QtCore import QCoreApplication, QEvent, QObject, QThread, pyqtSignal, pyqtSlot

from ecgstudio.core.errors import EcgStudioError

log = logging.getLogger(__name__)

ProgressFn = Callable[[float], None]
CancelFn = Callable[[], bool]
TaskFn = Callable[[ProgressFn, CancelFn], Any]

#: Longest message passed to ``sigFailed`` (characters).
MAX_MESSAGE_CHARS = 300

#: Progress is forwarded to the GUI thread at most this often (seconds) ...
_PROGRESS_INTERVAL_S = 0.05
#: ... unless it moved by at least this fraction.
_PROGRESS_STEP = 0.01

_OK, _FAILED, _CANCELLED = "ok", "failed", "cancelled"


def error_message(exc: BaseException) -> str:
    """One-line, user-facing text for an exception raised by a task.

    Parameters
    ----------
    exc : BaseException
        The exception.

    Returns
    -------
    str
        ``str(exc)`` for an :class:`EcgStudioError`, ``"unexpected error:
        <Type>: <text>"`` otherwise; whitespace collapsed to single spaces and
        cut to :data:`MAX_MESSAGE_CHARS`.
    """
    text = " ".join(str(exc).split())
    if not isinstance(exc, EcgStudioError):
        text = f"unexpected error: {type(exc).__name__}" + (f": {text}" if text else "")
    elif not text:
        text = type(exc).__name__
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[: MAX_MESSAGE_CHARS - 1] + "…"
    return text


class _TaskThread(QThread):
    """The QThread that calls the task; its signals are queued to the GUI thread."""

    sigProgressed = pyqtSignal(float)
    sigDone = pyqtSignal(str, object)  # status (_OK/_FAILED/_CANCELLED), result or message

    def __init__(self, fn: TaskFn, cancel_event: threading.Event, owner: weakref.ref[QObject]) -> None:
        super().__init__()
        self._fn = fn
        self._cancel_event = cancel_event
        self._owner = owner
        self._last_value = -1.0
        self._last_time = 0.0

    def _progress(self, fraction: float) -> None:
        try:
            value = float(fraction)
        except (TypeError, ValueError):
            return
        if not math.isfinite(value):
            return
        value = min(1.0, max(0.0, value))
        now = time.monotonic()
        if (
            value >= 1.0 > self._last_value
            or abs(value - self._last_value) >= _PROGRESS_STEP
            or now - self._last_time >= _PROGRESS_INTERVAL_S
        ) and value != self._last_value:
            self._last_value = value
            self._last_time = now
            self.sigProgressed.emit(value)

    def request_cancel(self) -> None:
        """Make the task's ``cancel()`` return True (thread-safe)."""
        self._cancel_event.set()

    def _cancelled(self) -> bool:
        """Cancel was asked for, or the runner that started the task is gone."""
        if self._cancel_event.is_set():
            return True
        owner = self._owner()
        if owner is None or sip.isdeleted(owner):
            self._cancel_event.set()
            return True
        return False

    def run(self) -> None:  # Qt override, runs in the worker thread
        cancelled = self._cancelled
        try:
            result = self._fn(self._progress, cancelled)
        except BaseException as exc:  # noqa: B036 - every failure must reach the GUI as a message
            if cancelled():
                self.sigDone.emit(_CANCELLED, None)
            else:
                if isinstance(exc, EcgStudioError):
                    log.info("task failed: %s", exc)
                else:  # a bug: keep the traceback
                    log.error("task failed", exc_info=exc)
                self.sigDone.emit(_FAILED, error_message(exc))
            return
        finally:
            self._fn = None  # drop references held by the task's closure
        self.sigDone.emit(_CANCELLED if cancelled() else _OK, result)


class _Reaper(QObject):
    """Keeps finished-but-not-yet-joined threads alive (a running QThread must not be deleted)."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[_TaskThread] = set()

    def adopt(self, thread: _TaskThread) -> None:
        self.threads.add(thread)
        thread.finished.connect(self._reap)

    @pyqtSlot()
    def _reap(self) -> None:
        thread = self.sender()
        if isinstance(thread, _TaskThread) and thread in self.threads:
            thread.wait()
            self.threads.discard(thread)


_reaper: _Reaper | None = None


def _get_reaper() -> _Reaper:
    global _reaper
    if _reaper is None:
        _reaper = _Reaper()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(shutdown_tasks)
    return _reaper


def shutdown_tasks(timeout_ms: int = 3000) -> int:
    """Cancel every running task and wait for them (called when the application quits).

    A task that does not stop within ``timeout_ms`` is left to die with the
    process: its thread object is handed to C++ so that Python never deletes a
    running QThread (which would abort the process).

    Returns
    -------
    int
        Number of tasks still running afterwards.
    """
    reaper = _get_reaper()
    threads = [t for t in reaper.threads if t.isRunning()]
    for thread in threads:
        thread.request_cancel()
    deadline = time.monotonic() + max(0, timeout_ms) / 1000.0
    left = 0
    for thread in threads:
        remaining_ms = max(0, int((deadline - time.monotonic()) * 1000))
        if not thread.wait(remaining_ms):
            sip.transferto(thread, None)
            left += 1
    return left


def running_task_count() -> int:
    """Number of task threads that have not finished yet (for tests and shutdown)."""
    return sum(1 for t in _get_reaper().threads if t.isRunning())


class TaskRunner(QObject):
    """Runs one task at a time in a worker thread and reports on the GUI thread.

    Signals
    -------
    sigProgress(float)
        Fraction done in ``[0, 1]``.
    sigFinished(object)
        The task's return value.
    sigFailed(str)
        One-line message (see :func:`error_message`).
    sigCancelled()
        The task stopped after :meth:`cancel` (its result, if any, is dropped).

    Notes
    -----
    The runner may be reused after a task ended. Destroying the runner while
    its task runs is safe: the task is asked to cancel, its thread is kept
    alive until the task returns, and its outcome is dropped.
    """

    sigProgress = pyqtSignal(float)
    sigFinished = pyqtSignal(object)
    sigFailed = pyqtSignal(str)
    sigCancelled = pyqtSignal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: _TaskThread | None = None
        self._cancel_event = threading.Event()

    def start(self, fn: TaskFn) -> None:
        """Run ``fn(progress, cancel)`` in a new worker thread.

        Raises
        ------
        RuntimeError
            If a task of this runner is still running.
        """
        if self.is_running():
            raise RuntimeError("TaskRunner: a task is already running")
        self._cancel_event = threading.Event()
        thread = _TaskThread(fn, self._cancel_event, weakref.ref(self))
        thread.sigProgressed.connect(self._on_progress)
        thread.sigDone.connect(self._on_done)
        _get_reaper().adopt(thread)
        self._thread = thread
        thread.start()

    def cancel(self) -> None:
        """Ask the running task to stop (it sees ``cancel() -> True``); no-op when idle."""
        if self._thread is not None:
            self._cancel_event.set()

    def is_cancel_requested(self) -> bool:
        """Whether :meth:`cancel` was called for the current task."""
        return self._thread is not None and self._cancel_event.is_set()

    def is_running(self) -> bool:
        """Whether a task was started and its outcome has not been reported yet."""
        return self._thread is not None

    def wait(self, ms: int = 5000) -> bool:
        """Block until the task ends (tests, shutdown) and deliver its pending signals.

        Parameters
        ----------
        ms : int
            Longest wait in milliseconds.

        Returns
        -------
        bool
            ``True`` if no task is running any more.
        """
        thread = self._thread
        if thread is None:
            return True
        if not thread.wait(max(0, int(ms))):
            return False
        QCoreApplication.sendPostedEvents(self, QEvent.MetaCall)
        return not self.is_running()

    @pyqtSlot(float)
    def _on_progress(self, value: float) -> None:
        if self.sender() is self._thread:
            self.sigProgress.emit(value)

    @pyqtSlot(str, object)
    def _on_done(self, status: str, payload: object) -> None:
        if self.sender() is not self._thread:
            return
        self._thread = None
        if status == _OK:
            self.sigFinished.emit(payload)
        elif status == _FAILED:
            self.sigFailed.emit(str(payload))
        else:
            self.sigCancelled.emit()
