"""One writer per annotation file: a lock file beside it that other editors respect (no Qt).

``<dir>/<record>.<ext>.lock`` holds who edits the file (JSON: user, host, pid,
a per-process token, since when). :func:`acquire` creates it exclusively; a
second editor gets :class:`LockedError` naming the owner and may open the
record read-only or take over knowingly (``take_over=True``). A lock whose
owner is gone (same host and the pid not running, or this process and a lock
it already released) is stale and taken over silently. Only the owner (same
token) releases its lock; each acquire has its own token, so two windows of
one process are two editors. Saving is also
guarded by the file's state on disk (:func:`ecgstudio.app.session.changed_on_disk`),
so even a taken-over editor never overwrites the other's save silently.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from ecgstudio.core.errors import EcgStudioError
from ecgstudio.paths import models_dir, resources_dir

#: Tokens of the locks this process holds now (each acquire has its own, so two windows of one
#: process are two editors too).
_LIVE_TOKENS: set[str] = set()

#: Largest lock file read, in bytes.
_MAX_BYTES = 4096


@dataclass(frozen=True)
class LockOwner:
    """Who holds a lock.

    Attributes
    ----------
    user, host : str
        Login name and host name of the editor.
    pid : int
        Its process id.
    token : str
        Its per-process token.
    since : float
        When it took the lock (seconds since the epoch).
    """

    user: str
    host: str
    pid: int
    token: str
    since: float

    def describe(self) -> str:
        """``"anna on ws-3 (pid 4242) since 14:05"``."""
        when = time.strftime("%H:%M", time.localtime(self.since))
        return f"{self.user} on {self.host} (pid {self.pid}) since {when}"


class LockedError(EcgStudioError):
    """Another live editor holds the lock (``owner``)."""

    def __init__(self, path: Path, owner: LockOwner) -> None:
        super().__init__(f"{path.name} is being edited by {owner.describe()}")
        self.owner = owner


def lock_path(annotation_path: Path) -> Path:
    """The lock file of an annotation file (``rec.ecgs`` -> ``rec.ecgs.lock``)."""
    return annotation_path.with_name(annotation_path.name + ".lock")


def _me() -> LockOwner:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return LockOwner(user[:100], socket.gethostname()[:100], os.getpid(), uuid.uuid4().hex, time.time())


def read_owner(annotation_path: Path) -> LockOwner | None:
    """The lock's owner, or ``None`` when there is no readable lock (a corrupt lock counts as none)."""
    path = lock_path(annotation_path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        import stat

        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        data = json.loads(os.read(fd, _MAX_BYTES).decode("utf-8"))
        return LockOwner(str(data["user"])[:100], str(data["host"])[:100], int(data["pid"]),
                         str(data["token"])[:64], float(data["since"]))
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None
    finally:
        os.close(fd)


def is_alive(owner: LockOwner) -> bool:
    """Whether the lock's owner may still be editing (another host: assumed alive)."""
    if owner.host != socket.gethostname()[:100]:
        return True
    if owner.pid == os.getpid():
        return owner.token in _LIVE_TOKENS
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class EditLock:
    """A held lock; :meth:`release` it when the document closes."""

    path: Path
    owner: LockOwner

    def held(self) -> bool:
        """Whether the lock file still names this owner (nobody took over)."""
        found = read_owner(self.path.with_name(self.path.name[:-len(".lock")]))
        return found is not None and found.token == self.owner.token and found.pid == self.owner.pid

    def release(self) -> None:
        """Delete the lock file if it is still ours."""
        _LIVE_TOKENS.discard(self.owner.token)
        if self.held():
            try:
                self.path.unlink()
            except OSError:
                pass


def acquire(annotation_path: Path, *, take_over: bool = False) -> EditLock | None:
    """Take the lock of ``annotation_path``.

    Returns
    -------
    EditLock | None
        The lock, or ``None`` when the folder cannot hold one (a read-only
        folder, or the program's own folder: nothing can be saved there
        either).

    Raises
    ------
    LockedError
        Another live editor holds it and ``take_over`` is false.
    """
    path = lock_path(Path(annotation_path))
    folder = path.parent.resolve()
    if any(folder == bundled.resolve() for bundled in (resources_dir(), models_dir())):
        return None  # nothing is written inside the program (Save refuses that folder too)
    me = _me()
    payload = json.dumps({"user": me.user, "host": me.host, "pid": me.pid, "token": me.token,
                          "since": me.since}).encode()
    for _attempt in range(2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            owner = read_owner(Path(annotation_path))
            if owner is not None and is_alive(owner) and not take_over:
                raise LockedError(Path(annotation_path), owner) from None
            try:
                path.unlink()  # stale, corrupt, or taken over knowingly
            except OSError:
                return None
            continue
        except OSError:
            return None
        try:
            os.write(fd, payload)
        finally:
            os.close(fd)
        _LIVE_TOKENS.add(me.token)
        return EditLock(path, me)
    return None
