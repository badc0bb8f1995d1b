"""Reading WFDB records (headers and signals) into :class:`~ecgstudio.core.record.Record`.

Any record wfdb reads is accepted: storage formats 16, 212, 80, ..., any
sampling frequency, any number of leads, single- or multi-segment. Signals are
returned as float32 in physical units; microvolt and volt signals are scaled
to millivolts. Samples that WFDB marks invalid become NaN.

Every failure raises :class:`~ecgstudio.core.errors.RecordError` with a one-line
message that names the file and the problem. Headers are read only when they
are regular files of at most :data:`~ecgstudio.io._header.MAX_HEADER_BYTES`
(checked on the opened file, :mod:`ecgstudio.safe_read`): a FIFO or a link to
a device is refused without blocking before wfdb opens it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecgstudio import safe_read
from ecgstudio.core.errors import RecordError
from ecgstudio.core.record import Record
from ecgstudio.io._header import MAX_HEADER_BYTES, HeaderCheck, check_header

#: Samples x leads read per wfdb call (bounds the float64 temporaries to ~64 MB).
_CHUNK_VALUES = 8_000_000

#: Header comment lines kept (age, sex, diagnoses ...), and their longest length in characters.
MAX_COMMENT_LINES = 200
MAX_COMMENT_CHARS = 500

#: Scale factors that turn a physical unit into millivolts.
_TO_MV: dict[str, float] = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1e3, "nv": 1e-6}


@dataclass(frozen=True)
class RecordInfo:
    """What a header says about a record (no signal is read).

    Attributes
    ----------
    name : str
        Record name (``"sel100"``).
    fs : float
        Sampling frequency in Hz.
    n_samples : int
        Samples per lead in the whole record.
    lead_names : tuple[str, ...]
        One name per lead.
    units : tuple[str, ...]
        Unit per lead as :func:`read_record` returns it (``"mV"`` for voltages).
    path : Path
        Record path without extension.
    comments : tuple[str, ...]
        The header's comment lines without ``#``, stripped (at most
        :data:`MAX_COMMENT_LINES` lines of :data:`MAX_COMMENT_CHARS` characters).
    """

    name: str
    fs: float
    n_samples: int
    lead_names: tuple[str, ...]
    units: tuple[str, ...]
    path: Path
    comments: tuple[str, ...] = ()

    @property
    def n_leads(self) -> int:
        """Number of leads."""
        return len(self.lead_names)

    @property
    def duration_s(self) -> float:
        """Length of the record in seconds."""
        return self.n_samples / self.fs


def resolve_record_path(path: str | os.PathLike[str]) -> Path:
    """The record path (no extension) for ``dir/rec``, ``dir/rec.hea`` or ``dir/rec.dat``.

    Parameters
    ----------
    path : str | os.PathLike
        A record path as wfdb takes it, or the path of its header or of one of
        its files (``.hea``, ``.dat``, an annotation file).

    Returns
    -------
    Path
        Absolute path without extension, e.g. ``/data/qtdb/sel100``.

    Raises
    ------
    RecordError
        If there is no ``.hea`` file for it.
    """
    given = Path(os.fspath(path)).expanduser()
    if given.suffix == ".hea":
        candidate = given.with_suffix("")
    elif given.with_name(given.name + ".hea").is_file():
        candidate = given
    elif given.suffix and given.with_suffix(".hea").is_file():
        candidate = given.with_suffix("")
    else:
        candidate = given
    header = candidate.with_name(candidate.name + ".hea")
    if given.is_dir():
        raise RecordError(f"{given}: is a folder, not a record (use list_records for a folder)")
    if header.exists() and not header.is_file():  # a FIFO, a device, a folder named *.hea
        safe_read.check_regular(header, MAX_HEADER_BYTES, what="WFDB header", error=RecordError)
    if not header.is_file():
        if not candidate.parent.is_dir():
            raise RecordError(f"{given}: folder {candidate.parent} does not exist")
        raise RecordError(f"{given}: no WFDB header {header.name} found")
    return candidate.absolute()


def _natural_key(path: Path) -> tuple[object, ...]:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name))


def list_records(folder: str | os.PathLike[str]) -> list[Path]:
    """Record paths (no extension) of all headers in ``folder``, naturally sorted.

    Raises
    ------
    RecordError
        If ``folder`` is not a readable folder.
    """
    root = Path(os.fspath(folder)).expanduser()
    if not root.is_dir():
        raise RecordError(f"{root}: not a folder")
    try:
        headers = [p for p in root.iterdir() if p.suffix == ".hea" and p.is_file()]
    except PermissionError:
        raise RecordError(f"{root}: permission denied") from None
    except OSError as exc:
        raise RecordError(f"{root}: cannot list folder ({exc.strerror or exc})") from None
    return sorted((p.with_suffix("").absolute() for p in headers), key=_natural_key)


def _lead_names(names: list[str] | None, n: int) -> tuple[str, ...]:
    names = list(names or [])
    out = []
    for i in range(n):
        name = names[i].strip() if i < len(names) and names[i] else ""
        out.append(name or f"lead {i + 1}")
    return tuple(out)


def _mv_scale(unit: str | None) -> tuple[float, str]:
    """Scale factor to mV and the unit to report for a WFDB unit string."""
    text = (unit or "mV").strip()
    factor = _TO_MV.get(text.lower())
    if factor is None:
        return 1.0, text
    return factor, "mV"


def _guarded_check(header: Path) -> HeaderCheck:
    """:func:`check_header`, once the header is known to be a regular file of a sane size (never blocks)."""
    safe_read.check_regular(header, MAX_HEADER_BYTES, what="WFDB header", error=RecordError)
    return check_header(header)


def _rdheader(record: Path) -> tuple[object, HeaderCheck]:
    """wfdb's header object (Record or MultiRecord) and our checks of it."""
    import wfdb

    header = record.with_name(record.name + ".hea")
    check = _guarded_check(header)
    try:
        return wfdb.rdheader(str(record)), check
    except Exception as exc:  # wfdb raises bare ValueError/IndexError/... on bad headers
        raise RecordError(f"{header}: invalid WFDB header ({_short(exc)})") from None


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]


def _read_block(
    record: Path, first: int | None, last: int | None, n_leads: int
) -> tuple[np.ndarray, list[str]]:
    """Physical samples ``[first, last)`` (all when ``None``) as float64 ``(n, n_leads)`` and the units."""
    import wfdb

    window = {} if first is None else {"sampfrom": first, "sampto": last}
    try:
        rec = wfdb.rdrecord(str(record), physical=True, return_res=64, smooth_frames=True, **window)
    except Exception as exc:  # wfdb surfaces format/IO problems as assorted exceptions
        raise RecordError(f"{record}: cannot read signals ({_short(exc)})") from None
    signal = rec.p_signal
    expected = (rec.sig_len if first is None else last - first, n_leads)
    if signal is None or signal.shape != expected:
        shape = None if signal is None else signal.shape
        raise RecordError(f"{record}: signal data has shape {shape}, expected {expected} (truncated file?)")
    return signal, list(rec.units or ["mV"] * n_leads)


def read_header(path: str | os.PathLike[str]) -> RecordInfo:
    """Read a record's header only (no signal is read).

    Parameters
    ----------
    path : str | os.PathLike
        Anything :func:`resolve_record_path` accepts.

    Raises
    ------
    RecordError
        If the header is missing or malformed.
    """
    return _header_info(path)[0]


def _names_and_units(record: Path, head: object) -> tuple[list[str] | None, list[str] | None]:
    """Signal names and units; a multi-segment header takes them from its layout or first segment."""
    import wfdb

    seg_names = getattr(head, "seg_name", None)
    if not seg_names:
        return getattr(head, "sig_name", None), getattr(head, "units", None)
    for seg in seg_names:
        if seg and seg != "~":
            header = record.parent / f"{seg}.hea"
            _guarded_check(header)
            try:
                part = wfdb.rdheader(str(record.parent / seg))
            except Exception as exc:  # same as _rdheader
                raise RecordError(f"{header}: invalid WFDB header ({_short(exc)})") from None
            return getattr(part, "sig_name", None), getattr(part, "units", None)
    return None, None


def _comments(head: object) -> tuple[str, ...]:
    """The header's comment lines (wfdb strips the ``#``), stripped, empty ones dropped, bounded."""
    lines = getattr(head, "comments", None) or []
    out = []
    for line in lines[: 4 * MAX_COMMENT_LINES]:
        text = " ".join(str(line).split())
        if text:
            out.append(text[:MAX_COMMENT_CHARS])
        if len(out) >= MAX_COMMENT_LINES:
            break
    return tuple(out)


def _header_info(path: str | os.PathLike[str]) -> tuple[RecordInfo, bool]:
    """The header's :class:`RecordInfo` and whether the header states the length."""
    record = resolve_record_path(path)
    head, check = _rdheader(record)
    n_leads = int(head.n_sig or 0)
    sig_name, sig_units = _names_and_units(record, head)
    units = tuple(_mv_scale(u)[1] for u in (sig_units or ["mV"] * n_leads))
    if len(units) < n_leads:
        units = units + ("mV",) * (n_leads - len(units))
    n_samples = int(head.sig_len or check.inferred_samples or 0)
    if n_samples <= 0:
        raise RecordError(f"{record}.hea: record length unknown (not in the header, signal files empty)")
    info = RecordInfo(
        name=record.name,
        fs=float(head.fs),
        n_samples=n_samples,
        lead_names=_lead_names(sig_name, n_leads),
        units=units[:n_leads],
        path=record,
        comments=_comments(head),
    )
    return info, bool(head.sig_len)


def read_record(path: str | os.PathLike[str], sampfrom: int = 0, sampto: int | None = None) -> Record:
    """Read a record, or the samples ``[sampfrom, sampto)`` of it.

    Only the requested range is read from disk (``wfdb.rdrecord``'s
    ``sampfrom``/``sampto``), so a window of a 24-hour record is cheap; long
    ranges are read in blocks so that only the float32 result is held whole.

    Parameters
    ----------
    path : str | os.PathLike
        Anything :func:`resolve_record_path` accepts.
    sampfrom, sampto : int
        First sample and one past the last sample to read; ``sampto=None``
        reads to the end.

    Returns
    -------
    Record
        ``signal`` float32 ``(sampto - sampfrom, n_leads)`` in mV (NaN where
        WFDB marks samples invalid), ``start_sample=sampfrom``,
        ``total_samples`` = length of the whole record.

    Raises
    ------
    RecordError
        On a missing/malformed header, missing or truncated signal files, an
        empty or out-of-range sample range.
    """
    info, has_length = _header_info(path)
    record = info.path
    total = info.n_samples
    stop = total if sampto is None else int(sampto)
    start = int(sampfrom)
    if not 0 <= start < stop <= total:
        raise RecordError(
            f"{record}: sample range {start}..{stop} is outside the record (0..{total}) or empty"
        )
    n_leads = info.n_leads
    out = np.empty((stop - start, n_leads), dtype=np.float32)
    if not has_length:  # wfdb reads ranges only when the header gives the length
        block, units_in = _read_block(record, None, None, n_leads)
        if block.shape[0] < stop:
            raise RecordError(f"{record}: signal files hold {block.shape[0]} samples, expected {stop}")
        blocks = [(start, stop, block[start:stop])]
    else:
        chunk = max(1, _CHUNK_VALUES // max(n_leads, 1))
        blocks = ((a, min(stop, a + chunk), None) for a in range(start, stop, chunk))
    for first, last, given in blocks:
        if given is None:
            block, units_in = _read_block(record, first, last, n_leads)
        else:
            block = given
        for lead in range(n_leads):
            factor, _ = _mv_scale(units_in[lead] if lead < len(units_in) else None)
            np.multiply(block[:, lead], factor, out=out[first - start:last - start, lead], casting="same_kind")
    return Record(
        name=info.name,
        signal=out,
        fs=info.fs,
        lead_names=info.lead_names,
        units=info.units,
        path=record,
        start_sample=start,
        total_samples=total,
        comments=info.comments,
    )
