"""One writer per annotation file: locks, stale locks, taking over."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from ecgstudio.app import locks


def test_a_second_editor_is_told_who_holds_the_file(tmp_path: Path):
    target = tmp_path / "rec.ecgs"
    first = locks.acquire(target)
    assert first is not None and locks.lock_path(target).is_file()
    with pytest.raises(locks.LockedError, match="is being edited by"):
        locks.acquire(target)
    second = locks.acquire(target, take_over=True)
    assert second is not None and not first.held() and second.held()
    first.release()  # not ours any more: the taker's lock stays
    assert locks.lock_path(target).is_file()
    second.release()
    assert not locks.lock_path(target).exists()


def test_a_lock_of_a_dead_process_is_taken_over_silently(tmp_path: Path):
    target = tmp_path / "rec.ecgs"
    dead = 2 ** 22 + 12345  # above the default pid_max: no such process
    locks.lock_path(target).write_text(json.dumps({"user": "x", "host": socket.gethostname(), "pid": dead,
                                                   "token": "t", "since": 0}))
    assert locks.acquire(target) is not None


def test_a_lock_of_a_live_process_is_respected(tmp_path: Path):
    target = tmp_path / "rec.ecgs"
    locks.lock_path(target).write_text(json.dumps({"user": "anna", "host": socket.gethostname(),
                                                   "pid": os.getppid(), "token": "t", "since": 0}))
    with pytest.raises(locks.LockedError, match="anna"):
        locks.acquire(target)


@pytest.mark.parametrize("content", [b"", b"{", b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", b'{"pid": "x"}'])
def test_a_corrupt_lock_is_replaced(tmp_path: Path, content: bytes):
    target = tmp_path / "rec.ecgs"
    locks.lock_path(target).write_bytes(content)
    assert locks.acquire(target) is not None


def test_a_fifo_in_place_of_the_lock_does_not_hang(tmp_path: Path):
    target = tmp_path / "rec.ecgs"
    os.mkfifo(locks.lock_path(target))
    assert locks.read_owner(target) is None


def test_no_lock_is_written_inside_the_program():
    from ecgstudio.paths import resources_dir

    before = sorted(p.name for p in resources_dir().iterdir())
    assert locks.acquire(resources_dir() / "sel100.ecgs") is None
    assert sorted(p.name for p in resources_dir().iterdir()) == before
