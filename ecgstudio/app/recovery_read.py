"""Strict reading of recovery files (no Qt).

Part of :mod:`ecgstudio.app.autosave` (its public face). A recovery file may be
anything a user's folder holds, so reading is strict: only regular files up to
:data:`MAX_FILE_BYTES` (opened non-blocking, links refused), UTF-8 JSON nested
at most :data:`MAX_DEPTH` deep and with numbers of at most 19 digits (both
checked before parsing), and every field checked: types (ints, not bools or
floats), positions and spans inside the record, owner and file states well
formed. A file that fails is refused with a one-line reason (:func:`load` and
:func:`parse` raise ``ValueError``; :func:`read_recovery` raises
``AnnotationError``).
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import stat
from pathlib import Path

from ecgstudio.app.recovery_format import COLUMNS, FORMAT_VERSION, LETTER_KIND, Recovery
from ecgstudio.app.recovery_identity import MAX_RECORD_FILES, NONBLOCK, FileState
from ecgstudio.app.recovery_owner import Owner
from ecgstudio.core.errors import AnnotationError
from ecgstudio.core.waves import Wave

#: Largest recovery file read (a 24-hour 12-lead per-lead track is far smaller).
MAX_FILE_BYTES = 256 << 20

#: Deepest JSON nesting read (the format nests 4 levels).
MAX_DEPTH = 6


_MAX_LEADS = 4096
_MAX_SAMPLES = 10**12
_EXT_RE = re.compile(r"[A-Za-z0-9_]{1,16}")
_TOKEN_RE = re.compile(r"[0-9a-f]{32}")
_SHA_RE = re.compile(r"[0-9a-f]{64}")
_INDEX_RE = re.compile(r"0|[1-9][0-9]{0,11}")
_SYMBOLS = frozenset(chr(c) for c in range(33, 127)) - {"(", ")"}


class _Unusable(ValueError):
    """The file is not a recovery file that can be used (one-line reason)."""


def _read_bytes(path: Path) -> tuple[bytes, os.stat_result]:
    """The bytes of a regular file of at most :data:`MAX_FILE_BYTES` (links and FIFOs refused, never blocks)."""
    try:
        fd = os.open(path, os.O_RDONLY | NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO, errno.EMLINK):
            raise _Unusable("a link or special file, not a regular file") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Unusable("not a regular file")
        if st.st_size > MAX_FILE_BYTES:
            raise _Unusable(f"larger than {MAX_FILE_BYTES >> 20} MiB")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise _Unusable(f"larger than {MAX_FILE_BYTES >> 20} MiB")
        return raw, st
    finally:
        os.close(fd)


_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]|(?<![0-9])[0-9]{20,}')


def _check_text(text: str) -> None:
    """Refuse JSON nested deeper than :data:`MAX_DEPTH`, or with a number of 20 digits or more.

    Checked before ``json.loads``, which would recurse once per level and
    convert every digit of a huge number.
    """
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _Unusable(f"JSON nested deeper than {MAX_DEPTH} levels")
        elif token in "]}":
            depth -= 1
        elif token[0] != '"':
            raise _Unusable(f"a number of {len(token)} digits")


def _no_constant(name: str) -> object:
    raise _Unusable(f"{name} is not a number")


def load(path: Path) -> tuple[dict, os.stat_result]:
    """The JSON object of the file at ``path`` and its state as read.

    Raises ``OSError`` when it cannot be read, ``ValueError`` (one-line reason)
    when it is not a regular file of at most :data:`MAX_FILE_BYTES`, or not a
    shallow JSON object.
    """
    raw, st = _read_bytes(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Unusable("not UTF-8 text") from None
    _check_text(text)
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise _Unusable(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise _Unusable("not a JSON object")
    return data, st


def _type(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _int(value: object, what: str, lo: int, hi: int) -> int:
    if type(value) is not int:
        raise _Unusable(f"{what} is {_type(value)}, not an integer")
    if not lo <= value <= hi:
        raise _Unusable(f"{what} {value} is outside {lo}..{hi}")
    return value


def _number(value: object, what: str, lo: float, hi: float) -> float:
    if type(value) not in (int, float):
        raise _Unusable(f"{what} is {_type(value)}, not a number")
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number) or not lo <= number <= hi:
        raise _Unusable(f"{what} {value} is outside {lo:g}..{hi:g}")
    return number


def _text(value: object, what: str, max_len: int, pattern: re.Pattern[str] | None = None) -> str:
    if type(value) is not str:
        raise _Unusable(f"{what} is {_type(value)}, not text")
    if len(value) > max_len or "\0" in value or (pattern is not None and not pattern.fullmatch(value)):
        raise _Unusable(f"{what} is not valid")
    return value


def _fields(value: object, what: str, required: set[str], optional: frozenset[str] = frozenset()) -> dict:
    if type(value) is not dict:
        raise _Unusable(f"{what} is {_type(value)}, not an object")
    missing = sorted(required - value.keys())
    if missing:
        raise _Unusable(f"{what} has no {missing[0]!r}")
    unknown = sorted(value.keys() - required - optional)
    if unknown:
        raise _Unusable(f"{what} has an unknown field {unknown[0][:40]!r}")
    return value


def _column(data: dict, name: str, where: str, n: int, lo: int, hi: int) -> list[int]:
    values = data[name]
    if type(values) is not list:
        raise _Unusable(f"{where}{name!r} is {_type(values)}, not a list")
    if len(values) != n:
        raise _Unusable(f"{where}{name!r} has {len(values)} values for {n} waves")
    if values and (set(map(type, values)) != {int} or min(values) < lo or max(values) > hi):
        i, bad = next((i, v) for i, v in enumerate(values) if type(v) is not int or not lo <= v <= hi)
        _int(bad, f"{where}{name!r}[{i}]", lo, hi)
    return values


def _waves(data: dict, where: str, lead: int | None, n_samples: int) -> tuple[Wave, ...]:
    kinds = _text(data["kind"], f"{where}'kind'", 10**9)
    wrong = set(kinds) - set(LETTER_KIND)
    if wrong:
        raise _Unusable(f"{where}'kind' holds {min(wrong)!r}, not P, Q or T")
    n, last = len(kinds), n_samples - 1
    onsets = _column(data, "onset", where, n, -1, last)
    peaks = _column(data, "peak", where, n, -1, last)
    offsets = _column(data, "offset", where, n, 0, last)
    confidences = data["confidence"]
    if type(confidences) is not list or len(confidences) != n:
        raise _Unusable(f"{where}'confidence' is not a list of {n} numbers")
    for i, c in enumerate(confidences):
        if type(c) not in (int, float) or not (c == -1 or 0 <= c <= 1):
            raise _Unusable(f"{where}'confidence'[{i}] {c!r} is neither -1 nor in 0..1")
    symbols = data["symbol"]
    if type(symbols) is not dict:
        raise _Unusable(f"{where}'symbol' is {_type(symbols)}, not an object")
    for key, symbol in symbols.items():
        if not _INDEX_RE.fullmatch(key) or int(key) >= n:
            raise _Unusable(f"{where}'symbol' names wave {key[:20]!r} of {n}")
        if type(symbol) is not str or symbol not in _SYMBOLS:
            raise _Unusable(f"{where}'symbol' of wave {key} is {str(symbol)[:20]!r}, not a WFDB symbol")
    return tuple(
        Wave(LETTER_KIND[letter], None if onsets[i] < 0 else onsets[i], None if peaks[i] < 0 else peaks[i],
             offsets[i], lead, symbols.get(str(i)), None if confidences[i] < 0 else float(confidences[i]))
        for i, letter in enumerate(kinds)
    )


def _lead(value: object, what: str) -> int | None:
    return None if value is None else _int(value, what, 0, _MAX_LEADS - 1)


def _owner_field(value: object) -> Owner:
    data = _fields(value, "'owner'", {"pid", "host", "token", "started"})
    started = data["started"]
    return Owner(_int(data["pid"], "'owner' pid", 1, 2**32), _text(data["host"], "'owner' host", 255),
                 _text(data["token"], "'owner' token", 32, _TOKEN_RE),
                 None if started is None else _text(started, "'owner' start", 32))


def _state_field(value: object, what: str) -> FileState:
    data = _fields(value, what, {"path", "size", "mtime_ns", "sha256"})
    path = _text(data["path"], f"{what} path", 4096)
    if data["size"] is None:
        if data["mtime_ns"] is not None or data["sha256"] is not None:
            raise _Unusable(f"{what} has a hash without a size")
        return FileState(path)
    return FileState(path, _int(data["size"], f"{what} size", 0, 2**62),
                     _int(data["mtime_ns"], f"{what} mtime", -(2**62), 2**62),
                     _text(data["sha256"], f"{what} hash", 64, _SHA_RE))


_TOP_V1 = {"version", "record_path", "ext", "saved_at", "fs", "n_samples", "lead", "reviewed"} | COLUMNS
_TOP_V2 = _TOP_V1 | {"owner", "record_files", "annotation_file"}


def parse(data: dict, path: Path, st: os.stat_result | None) -> Recovery:
    """A :class:`Recovery` from the loaded JSON, every field checked (raises ``ValueError``, one line)."""
    version = _int(data.get("version"), "'version'", 1, FORMAT_VERSION)
    _fields(data, "the file", _TOP_V1 if version == 1 else _TOP_V2, frozenset({"more"}))
    n_samples = _int(data["n_samples"], "'n_samples'", 1, _MAX_SAMPLES)
    lead = _lead(data["lead"], "'lead'")
    waves = _waves(data, "", lead, n_samples)
    more_items = data.get("more", [])
    if type(more_items) is not list or len(more_items) >= _MAX_LEADS:
        raise _Unusable("'more' is not a list of tracks")
    more = []
    leads = {lead}
    for i, item in enumerate(more_items):
        where = f"'more'[{i}] "
        _fields(item, where.strip(), {"lead"} | COLUMNS)
        item_lead = _lead(item["lead"], f"{where}lead")
        if item_lead in leads:
            raise _Unusable(f"{where}repeats lead {item_lead}")
        leads.add(item_lead)
        more.append((item_lead, _waves(item, where, item_lead, n_samples)))
    spans = data["reviewed"]
    if type(spans) is not list:
        raise _Unusable(f"'reviewed' is {_type(spans)}, not a list")
    reviewed = []
    for i, span in enumerate(spans):
        if type(span) is not list or len(span) != 2:
            raise _Unusable(f"'reviewed'[{i}] is not a [start, stop] pair")
        start = _int(span[0], f"'reviewed'[{i}] start", 0, n_samples - 1)
        reviewed.append((start, _int(span[1], f"'reviewed'[{i}] stop", start + 1, n_samples)))
    owner: Owner | None = None
    files: tuple[FileState, ...] = ()
    annotation: FileState | None = None
    if version >= 2:
        owner = _owner_field(data["owner"])
        states = data["record_files"]
        if type(states) is not list or not 1 <= len(states) <= MAX_RECORD_FILES + 1:
            raise _Unusable("'record_files' is not a list of file states")
        files = tuple(_state_field(s, f"'record_files'[{i}]") for i, s in enumerate(states))
        annotation = _state_field(data["annotation_file"], "'annotation_file'")
    file_id = None if st is None else (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    return Recovery(
        path=Path(path),
        record_path=Path(_text(data["record_path"], "'record_path'", 4096)),
        ext=_text(data["ext"], "'ext'", 16, _EXT_RE),
        saved_at=_number(data["saved_at"], "'saved_at'", 0.0, 1e11),
        fs=_number(data["fs"], "'fs'", 1e-3, 1e6),
        n_samples=n_samples,
        lead=lead,
        waves=waves,
        reviewed=tuple(reviewed),
        more=tuple(more),
        version=version,
        owner=owner,
        record_files=files,
        annotation=annotation,
        file_id=file_id,
    )


def read_recovery(path: Path) -> Recovery:
    """Read a recovery file, checking every field.

    Raises
    ------
    AnnotationError
        If the file is unreadable, not a regular file, too large, too deeply
        nested or not a valid recovery file (one line naming the problem).
    """
    try:
        data, st = load(Path(path))
        return parse(data, Path(path), st)
    except OSError as exc:
        raise AnnotationError(f"{path}: cannot read autosave file ({exc.strerror or exc})") from None
    except (ValueError, RecursionError) as exc:
        raise AnnotationError(f"{path}: not a valid autosave file ({exc})") from None


def owner_of(data: dict) -> Owner | None:
    """The file's owner from the loaded JSON, ``None`` when it names none or not validly."""
    try:
        return _owner_field(data.get("owner"))
    except _Unusable:
        return None
