"""Who wrote a recovery file, and whether that editor may still be running (no Qt).

Part of :mod:`ecgstudio.app.autosave` (its public face). A recovery file names
its process (:class:`Owner`: pid, host, a per-process token, the process start
time). A file whose owner still runs on this computer, or that another computer
wrote in the last :data:`REMOTE_IN_USE_S` seconds, is *in use* (:func:`in_use`):
not offered, not touched. A pid equal to ours, a pid no longer running, or a
pid now held by a process started at another time means the owner is gone.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
import time
from dataclasses import dataclass

#: A file another computer wrote this recently may belong to an editor still open there.
REMOTE_IN_USE_S = 600.0


@dataclass(frozen=True)
class Owner:
    """The process that wrote a recovery file.

    Attributes
    ----------
    pid : int
        Its process id.
    host : str
        The computer's name.
    token : str
        32 hex digits drawn when the process first wrote (tells a later process
        with the same pid apart).
    started : str | None
        Its start time in clock ticks since boot (Linux), ``None`` where unknown.
    """

    pid: int
    host: str
    token: str
    started: str | None = None

    def as_json(self) -> dict[str, object]:
        return {"pid": self.pid, "host": self.host, "token": self.token, "started": self.started}


_owner: Owner | None = None


def _process_started(pid: int) -> str | None:
    """Start time of ``pid`` (``/proc/<pid>/stat`` field 22), ``None`` where there is no ``/proc``."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read(4096)
    except OSError:
        return None
    fields = raw[raw.rfind(b")") + 2:].split()
    return fields[19].decode("ascii", "replace") if len(fields) > 19 else None


def this_process() -> Owner:
    """The owner this process writes into its recovery files (made anew after a fork)."""
    global _owner
    pid = os.getpid()
    if _owner is None or _owner.pid != pid:
        _owner = Owner(pid, socket.gethostname(), secrets.token_hex(16), _process_started(pid))
    return _owner


def _pid_running(pid: int) -> bool:
    """Whether process ``pid`` exists on this computer (``True`` when it cannot be told)."""
    if sys.platform == "win32":
        return _windows_pid_running(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # EPERM: it exists, owned by someone else
    return True


def _windows_pid_running(pid: int) -> bool:  # pragma: no cover - Windows only
    import ctypes

    try:
        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.GetLastError() == 5  # type: ignore[attr-defined]  # access denied: it exists
        try:
            code = ctypes.c_ulong()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    except (AttributeError, OSError):
        return True


def in_use(owner: Owner | None, written_at: float) -> str | None:
    """Why the file of ``owner`` (last written at ``written_at``) belongs to a running editor, or ``None``."""
    if owner is None:
        return None
    me = this_process()
    if owner.token == me.token:
        return None
    if owner.host != me.host:
        age = time.time() - written_at
        if age < REMOTE_IN_USE_S:
            return f"ECG Studio on {owner.host} wrote them {max(age, 0.0):.0f} s ago and may still be editing"
        return None
    if owner.pid == me.pid or not _pid_running(owner.pid):
        return None  # gone (a pid equal to ours is an earlier process: containers reuse pids)
    if owner.started is not None:
        started = _process_started(owner.pid)
        if started is not None and started != owner.started:
            return None  # the pid was reused by another process
    return f"another ECG Studio (pid {owner.pid}) is still editing them"
