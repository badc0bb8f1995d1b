"""Deciding which recovery file to offer, and setting unusable ones aside (no Qt).

Part of :mod:`ecgstudio.app.autosave` (its public face). Of the recovery files
of a record (any process's), :func:`examine` picks the newest usable one and
says in one line per file why the others are not offered:

* a file whose editor still runs (:func:`~ecgstudio.app.recovery_owner.in_use`)
  is not offered and left untouched;
* a file that cannot be used (invalid, for another record, a record of another
  length, frequency or lead count, older than annotations saved since) is moved
  aside to ``<file>.unusable-<time>`` (:func:`set_aside`), never deleted and
  never applied;
* the file offered comes with a warning line when the record's files or the
  annotation file changed since its edits started.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ecgstudio.app.recovery_format import Recovery, autosave_dir, candidates
from ecgstudio.app.recovery_identity import FileState
from ecgstudio.app.recovery_owner import in_use
from ecgstudio.app.recovery_read import load, owner_of, parse


@dataclass(frozen=True)
class Expect:
    """What the opened document says the recovery must fit (length in samples, frequency in Hz, leads)."""

    n_samples: int
    fs: float
    n_leads: int


def one_line(text: str, limit: int = 200) -> str:
    """``text`` on one line of at most ``limit`` characters (cut with an ellipsis)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def same_file(path: Path, file_id: tuple[int, ...] | None) -> bool:
    """Whether ``path`` is still the file read as ``file_id`` (dev, inode, size, mtime_ns; ``None``: any)."""
    if file_id is None:
        return True
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) == tuple(file_id)


def set_aside(path: Path, file_id: tuple[int, ...] | None = None) -> Path | None:
    """Move a recovery file to ``<file>.unusable-<time>`` (never deleted); the new path, ``None`` if it stayed.

    With ``file_id`` the file is moved only while it is still the file read.
    """
    path = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for i in range(100):
        target = path.with_name(f"{path.name}.unusable-{stamp}{f'-{i}' if i else ''}")
        if os.path.lexists(target):
            continue
        if not same_file(path, file_id):
            return None
        try:
            os.rename(path, target)
        except OSError:
            return None
        return target
    return None


def _aside_note(name: str, path: Path, file_id: tuple[int, ...] | None, reason: str) -> str:
    moved = set_aside(path, file_id)
    where = f"kept as {moved.name}" if moved else f"left as {path.name}"
    return one_line(f"Autosaved edits of {name} cannot be used ({one_line(reason, 120)}); {where}", 400)


def _mismatch(rec: Recovery, record_path: Path, ext: str, expect: Expect | None) -> str | None:
    """Why ``rec`` does not belong to this record as it is now (``None``: it fits)."""
    if str(rec.record_path) != str(Path(record_path).absolute()) or rec.ext != ext:
        return f"written for {one_line(str(rec.record_path), 80)}.{rec.ext}"
    if expect is None:
        return None
    if rec.n_samples != expect.n_samples:
        return f"made on a record of {rec.n_samples} samples; it now has {expect.n_samples}"
    if not math.isclose(rec.fs, expect.fs, rel_tol=1e-9):
        return f"made at {rec.fs:g} Hz; the record is now {expect.fs:g} Hz"
    leads = [lead for lead, _ in ((rec.lead, ()), *rec.more) if lead is not None and lead >= expect.n_leads]
    if leads:
        return f"lead {leads[0]} but the record now has {expect.n_leads} leads"
    return None


def _stale(rec: Recovery, annotation: FileState) -> str | None:
    """Why ``rec`` is older than the annotations saved since (``None``: it is not)."""
    if rec.annotation is not None and rec.annotation.path == annotation.path and rec.annotation.same_as(annotation):
        return None
    if annotation.exists and annotation.mtime_ns is not None and annotation.mtime_ns / 1e9 >= rec.saved_at:
        return f"{Path(annotation.path).name} was saved after them"
    return None


def _warning(rec: Recovery, files: tuple[FileState, ...], annotation: FileState) -> str | None:
    """One line on what changed since ``rec``'s edits started (``None``: nothing)."""
    if rec.version < 2 or rec.annotation is None:
        return "They were autosaved by an older ECG Studio, so the record files could not be checked"
    parts = []
    before = {f.path: f for f in rec.record_files}
    now = {f.path: f for f in files}
    changed = [Path(p).name for p in sorted(before.keys() | now.keys())
               if p not in before or p not in now or not before[p].same_as(now[p])]
    if changed:
        names = ", ".join(changed[:3]) + (", …" if len(changed) > 3 else "")
        parts.append(f"the record's files changed since these edits were autosaved ({names}): "
                     "check that the waves still fit the signal")
    if rec.annotation.path != annotation.path:
        parts.append(f"they were made on the annotation file {Path(rec.annotation.path).name} of another folder")
    elif not rec.annotation.same_as(annotation):
        parts.append(f"the annotation file {Path(annotation.path).name} changed since they were autosaved; "
                     "restoring replaces that version")
    if not parts:
        return None
    text = "; ".join(parts)
    return one_line(text[0].upper() + text[1:], 300)


def examine(record_path: Path, ext: str, files: tuple[FileState, ...], annotation: FileState,
            expect: Expect | None) -> tuple[Recovery | None, str | None, list[str]]:
    """The recovery to offer, its warning, and a note on every file not offered (moved aside if unusable)."""
    name = Path(record_path).name
    notes: list[str] = []
    usable: list[Recovery] = []
    for path in candidates(record_path, ext):
        try:
            data, st = load(path)
        except OSError as exc:
            notes.append(one_line(f"Autosaved edits of {name} cannot be read ({exc.strerror or exc}); "
                                  f"left as {path.name}"))
            continue
        except (ValueError, RecursionError) as exc:
            notes.append(_aside_note(name, path, None, str(exc)))
            continue
        busy = in_use(owner_of(data), st.st_mtime)
        if busy:
            notes.append(one_line(f"Autosaved edits of {name} are in use: {busy}; not offered, "
                                  f"left untouched ({path.name})"))
            continue
        try:
            rec = parse(data, path, st)
            problem = _mismatch(rec, record_path, ext, expect) or _stale(rec, annotation)
        except (ValueError, RecursionError) as exc:
            problem = str(exc)
        if problem:
            notes.append(_aside_note(name, path, (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns), problem))
            continue
        usable.append(rec)
    if not usable:
        return None, None, notes
    usable.sort(key=lambda r: r.saved_at)
    chosen = usable[-1]
    if len(usable) > 1:
        notes.append(f"{len(usable) - 1} older autosave(s) of {name} kept in {autosave_dir()} for later")
    return chosen, _warning(chosen, files, annotation), notes
