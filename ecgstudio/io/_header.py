"""Checks a WFDB header before wfdb sees it.

wfdb raises bare ``ValueError``/``IndexError`` (or worse) on malformed headers and
silently reads short signal files. :func:`check_header` parses the header with
simple, linear-time rules and raises :class:`~ecgstudio.core.errors.RecordError`
with a one-line message naming the file and the problem, so that wfdb is only
handed headers it can read.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from ecgstudio.core.errors import RecordError

#: Largest header we accept (real ones are a few kB; 12-lead ones < 2 kB).
MAX_HEADER_BYTES = 1_000_000

#: Bytes per sample of the fixed-size WFDB formats (for the truncation check).
BYTES_PER_SAMPLE: dict[int, float] = {
    8: 1, 16: 2, 24: 3, 32: 4, 61: 2, 80: 1, 160: 2, 212: 1.5, 310: 4 / 3, 311: 4 / 3,
}

#: Storage formats wfdb reads (FLAC-compressed 508/516/524 have no fixed size).
KNOWN_FORMATS: frozenset[int] = frozenset(BYTES_PER_SAMPLE) | {508, 516, 524}

_RECORD_NAME = re.compile(r"^[A-Za-z0-9_\-]+$")
_INT = re.compile(r"^[+-]?\d+$")
_FORMAT = re.compile(r"^(\d+)(?:x(\d+))?(?::(\d+))?(?:\+(\d+))?$")


@dataclass(frozen=True)
class SignalFile:
    """One signal line of a header.

    Attributes
    ----------
    file_name : str
        Signal file name (relative to the header's folder), ``"~"`` for none.
    fmt : int
        WFDB storage format (16, 212, ...).
    samples_per_frame : int
        Samples of this signal per frame (``x`` modifier, default 1).
    byte_offset : int
        Bytes to skip at the start of the file (``+`` modifier).
    """

    file_name: str
    fmt: int
    samples_per_frame: int
    byte_offset: int


@dataclass(frozen=True)
class HeaderCheck:
    """What :func:`check_header` learnt from a header.

    Attributes
    ----------
    n_signals : int
        Number of signals (leads).
    fs : float
        Frame frequency in Hz (WFDB default 250 when omitted).
    n_samples : int | None
        Samples per signal, ``None`` when the header does not say.
    signals : tuple[SignalFile, ...]
        The signal lines (empty for a multi-segment record).
    multi_segment : bool
        Whether the header describes a multi-segment record.
    inferred_samples : int | None
        When the header omits the length: samples per signal that the signal
        files hold (``None`` if it cannot be told).
    """

    n_signals: int
    fs: float
    n_samples: int | None
    signals: tuple[SignalFile, ...]
    multi_segment: bool
    inferred_samples: int | None = None


def _fail(header: Path, problem: str) -> RecordError:
    return RecordError(f"{header}: {problem}")


def _read_text(header: Path) -> list[str]:
    try:
        size = header.stat().st_size
        if size > MAX_HEADER_BYTES:
            raise _fail(header, f"not a WFDB header ({size} bytes is far too large)")
        raw = header.read_bytes()
    except PermissionError:
        raise _fail(header, "permission denied") from None
    except FileNotFoundError:
        raise _fail(header, "header file not found") from None
    except IsADirectoryError:
        raise _fail(header, "is a folder, not a header file") from None
    except OSError as exc:
        raise _fail(header, f"cannot read header ({exc.strerror or exc})") from None
    if b"\x00" in raw:
        raise _fail(header, "not a WFDB header (binary content)")
    text = raw.decode("utf-8", errors="replace")
    return [line.strip() for line in text.splitlines()]


def _parse_fs(header: Path, token: str) -> float:
    """Frame frequency from the ``fs[/counter[(base)]]`` field."""
    fs_text = token.split("/", 1)[0]
    try:
        fs = float(fs_text)
    except ValueError:
        raise _fail(header, f"sampling frequency {fs_text!r} is not a number") from None
    if not math.isfinite(fs) or fs <= 0:
        raise _fail(header, f"sampling frequency must be positive, got {fs_text}")
    return fs


def check_header(header: Path) -> HeaderCheck:
    """Validate a WFDB header file and the signal files it names.

    Parameters
    ----------
    header : Path
        The ``.hea`` file.

    Returns
    -------
    HeaderCheck
        The parsed essentials.

    Raises
    ------
    RecordError
        If the header is unreadable or malformed, names a missing signal file,
        or a signal file is shorter than the header says.
    """
    lines = [line for line in _read_text(header) if line and not line.startswith("#")]
    if not lines:
        raise _fail(header, "empty WFDB header (no record line)")
    fields = lines[0].split()
    name_field = fields[0]
    name, _, n_seg_text = name_field.partition("/")
    if not _RECORD_NAME.match(name):
        raise _fail(header, f"not a WFDB header (record line starts with {name_field[:40]!r})")
    if name != header.stem:
        raise _fail(header, f"header describes record {name!r}, not {header.stem!r}")
    if len(fields) < 2 or not _INT.match(fields[1]) or int(fields[1]) < 0:
        raise _fail(header, "record line lacks a valid number of signals")
    n_signals = int(fields[1])
    fs = _parse_fs(header, fields[2]) if len(fields) > 2 else 250.0
    n_samples: int | None = None
    if len(fields) > 3:
        if not _INT.match(fields[3]) or int(fields[3]) < 0:
            raise _fail(header, f"number of samples {fields[3]!r} is not a non-negative integer")
        n_samples = int(fields[3]) or None
    if n_seg_text:
        if not _INT.match(n_seg_text) or int(n_seg_text) < 1:
            raise _fail(header, f"bad number of segments {n_seg_text!r}")
        if len(lines) - 1 < int(n_seg_text):
            raise _fail(header, f"header announces {n_seg_text} segments but has {len(lines) - 1} segment lines")
        return HeaderCheck(n_signals, fs, n_samples, (), True)
    if n_signals == 0:
        raise _fail(header, "record has no signals")
    if len(lines) - 1 < n_signals:
        raise _fail(header, f"header announces {n_signals} signals but has {len(lines) - 1} signal lines")
    signals = tuple(_parse_signal_line(header, lines[1 + i]) for i in range(n_signals))
    inferred = _check_signal_files(header, signals, n_samples)
    return HeaderCheck(n_signals, fs, n_samples, signals, False, inferred)


def _parse_signal_line(header: Path, line: str) -> SignalFile:
    fields = line.split()
    if len(fields) < 2:
        raise _fail(header, f"signal line {line[:40]!r} lacks a storage format")
    match = _FORMAT.match(fields[1])
    if not match:
        raise _fail(header, f"signal line has an invalid format field {fields[1][:20]!r}")
    fmt = int(match.group(1))
    if fmt not in KNOWN_FORMATS:
        raise _fail(header, f"unsupported WFDB storage format {fmt}")
    spf = int(match.group(2) or 1)
    offset = int(match.group(4) or 0)
    if spf < 1:
        raise _fail(header, f"signal line has {spf} samples per frame")
    if len(fields) > 2:
        gain_text = fields[2].split("(", 1)[0].split("/", 1)[0]
        try:
            gain = float(gain_text)
        except ValueError:
            gain = math.nan
        if not math.isfinite(gain):
            raise _fail(header, f"signal line has an invalid gain {fields[2][:20]!r}")
    return SignalFile(fields[0], fmt, spf, offset)


def _check_signal_files(header: Path, signals: tuple[SignalFile, ...], n_samples: int | None) -> int | None:
    """Check that the signal files exist and are long enough.

    Returns the number of samples the files hold when ``n_samples`` is
    ``None`` and every file has a fixed-size format, else ``None``.
    """
    frame_bytes: dict[str, float] = {}
    offsets: dict[str, int] = {}
    sizable: dict[str, bool] = {}
    for sig in signals:
        if sig.file_name == "~" or sig.file_name == "-":
            continue
        path = header.parent / sig.file_name
        if sig.file_name not in frame_bytes:
            if not path.is_file():
                raise RecordError(f"{header}: signal file {sig.file_name} is missing")
            frame_bytes[sig.file_name] = 0.0
            offsets[sig.file_name] = sig.byte_offset
            sizable[sig.file_name] = True
        per_sample = BYTES_PER_SAMPLE.get(sig.fmt)
        if per_sample is None:
            sizable[sig.file_name] = False
        else:
            frame_bytes[sig.file_name] += per_sample * sig.samples_per_frame
    held: list[int] = []
    for file_name, bytes_per_frame in frame_bytes.items():
        if not sizable[file_name]:
            continue
        path = header.parent / file_name
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise RecordError(f"{path}: cannot read signal file ({exc.strerror or exc})") from None
        if n_samples is None:
            held.append(int(max(size - offsets[file_name], 0) // bytes_per_frame))
            continue
        expected = offsets[file_name] + math.floor(n_samples * bytes_per_frame)
        if size < expected:
            raise RecordError(
                f"{path}: signal file is truncated ({size} bytes, the header needs {expected})"
            )
    if n_samples is None and held and all(sizable.values()):
        return min(held)
    return None
