"""Writing delineation tracks as a WFDB annotation file, atomically."""

from __future__ import annotations

import os
import re
import tempfile  # noqa: F401 - the scratch folder comes from tempfile.mkdtemp (via atomic); tests patch it here
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from ecgstudio import atomic
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import RecordError, SaveError
from ecgstudio.io._boundaries import Annotation, track_annotations
from ecgstudio.io._mit_encode import encode, type_codes

#: Extensions of reference annotation files that are never overwritten unless asked.
REFERENCE_EXTS: frozenset[str] = frozenset({"atr", "q1c", "q2c", "qt1", "qt2", "pu", "pu0", "pu1", "man"})

#: LUDB's per-lead annotation extensions (also reference files).
LEAD_EXTS: frozenset[str] = frozenset(
    {"i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6"}
)

#: Extensions that would clobber a record's own files.
_FORBIDDEN_EXTS = frozenset({"hea", "dat", "mat", "edf", "json"})

_EXT_RE = re.compile(r"^[A-Za-z0-9_]+$")

#: Name of the file inside the temporary folder.
_TMP_EXT = "ecgstmp"
_TMP_RECORD = "record"

#: ``aux_note`` put on the first annotation of a file whose per-lead track(s)
#: use chan 0 only, which would otherwise read back as a global track.
PER_LEAD_NOTE = "ecgstudio:per-lead"

#: An empty WFDB annotation file: just the end-of-file marker.
_EMPTY_FILE = b"\x00\x00"


def _wfdb_symbols() -> frozenset[str]:
    """The labels a file may hold: the encoder's table without the blank ones."""
    return frozenset(symbol for symbol in type_codes() if symbol.strip())


def _check_codes(target: Path, annotations: list[Annotation], chans: list[int]) -> None:
    """Refuse, in one line, annotations wfdb cannot write (unknown labels, num/chan out of range)."""
    known = _wfdb_symbols()
    unknown = {symbol for _, symbol, _ in annotations if not isinstance(symbol, str) or symbol not in known}
    if unknown:
        shown = ", ".join(sorted(repr(s) for s in unknown)[:8])
        raise SaveError(f"{target}: label codes {shown} are not WFDB annotation labels; "
                        "relabel those waves before saving")
    for sample, symbol, num in annotations:
        if isinstance(sample, bool) or not isinstance(sample, int | np.integer) or sample < 0:
            raise SaveError(f"{target}: annotation {symbol!r} at {sample!r} has no valid sample position")
        if isinstance(num, bool) or not isinstance(num, int | np.integer) or not 0 <= num <= 127:
            raise SaveError(f"{target}: annotation {symbol!r} at sample {sample} has num code {num!r}; "
                            "WFDB files hold 0..127")
    bad_chan = next((c for c in chans if not 0 <= c <= 255), None)
    if bad_chan is not None:
        raise SaveError(f"{target}: a track of lead {bad_chan} cannot be written (WFDB channels are 0..255)")


def is_reference_ext(record: Path, ext: str) -> bool:
    """Whether ``ext`` names a reference annotation file of ``record``.

    Reference files: :data:`REFERENCE_EXTS`, ``pu<k>``, LUDB lead files
    (:data:`LEAD_EXTS`) and files named after one of the record's leads.
    """
    lowered = ext.lower()
    if lowered in REFERENCE_EXTS or lowered in LEAD_EXTS or re.fullmatch(r"pu\d+", lowered):
        return True
    from ecgstudio.io.records import read_header

    try:
        names = read_header(record).lead_names
    except RecordError:
        return False
    return lowered in {n.lower() for n in names}


def _merge(record: Path, tracks: Sequence[Delineation]) -> tuple[list[Annotation], list[int], float]:
    """All annotations of all tracks in sample order, their chans, and the common fs."""
    by_chan: dict[int, Delineation] = {}
    for track in tracks:
        chan = 0 if track.lead is None else int(track.lead)
        if chan in by_chan:
            raise SaveError(f"{record}: two tracks would be written to channel {chan}")
        by_chan[chan] = track
    fs_values = {track.fs for track in tracks}
    if len(fs_values) > 1:
        raise SaveError(f"{record}: tracks have different sampling frequencies {sorted(fs_values)}")
    entries: list[tuple[int, int, int, Annotation]] = []
    for chan in sorted(by_chan):
        for seq, ann in enumerate(track_annotations(by_chan[chan].waves)):
            entries.append((ann[0], chan, seq, ann))
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    fs = fs_values.pop() if fs_values else 0.0
    return [e[3] for e in entries], [e[1] for e in entries], fs


def write_tracks(
    record_path: str | os.PathLike[str],
    ext: str,
    tracks: Sequence[Delineation],
    *,
    out_dir: str | os.PathLike[str] | None = None,
    overwrite_reference: bool = False,
) -> Path:
    """Write tracks as one WFDB annotation file ``<out_dir>/<record>.<ext>``, atomically.

    Global tracks go to ``chan`` 0, per-lead tracks to ``chan`` = lead index;
    ``(``/``)`` carry ``num`` 0 (P), 1 (QRS), 2 (T); the peak is ``p``, the
    wave's beat symbol (default ``N``) or ``t``; missing onsets/peaks are not
    written (a wave's symbol lives on its peak, so a wave without a peak
    loses it); the record's ``fs`` is stored. A file whose only channel is 0
    but that holds a per-lead track of lead 0 gets ``aux_note``
    :data:`PER_LEAD_NOTE` on its first annotation so that it reads back as
    lead 0, not as a global track (not needed for ``pu<k>``). Waves read from a file
    (:class:`~ecgstudio.io._boundaries.FileWave`) are written exactly as read.

    Parameters
    ----------
    record_path : str | os.PathLike
        Record path without extension (its name names the file).
    ext : str
        Annotation extension, e.g. ``"ecgs"``.
    tracks : Sequence[Delineation]
        At most one track per channel.
    out_dir : str | os.PathLike | None
        Folder to write into; the record's folder when ``None``.
    overwrite_reference : bool
        Allow replacing an existing reference file (``atr``, ``q1c``, ``pu*``,
        lead files ...).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    SaveError
        Invalid extension, refusal to overwrite a reference file, tracks that
        cannot be written, or a folder that is missing or not writable.
    """
    record = Path(os.fspath(record_path)).expanduser()
    if record.suffix == ".hea":
        record = record.with_suffix("")
    folder = Path(os.fspath(out_dir)).expanduser() if out_dir is not None else record.parent
    if not _EXT_RE.match(ext) or ext.lower() in _FORBIDDEN_EXTS:
        raise SaveError(f"{record}: {ext!r} cannot be used as an annotation extension")
    target = folder / f"{record.name}.{ext}"
    if not folder.is_dir():
        raise SaveError(f"{target}: folder {folder} does not exist")
    if target.exists() and not overwrite_reference and is_reference_ext(record, ext):
        raise SaveError(f"{target}: is a reference annotation file; refusing to overwrite it")
    annotations, chans, fs = _merge(record, tracks)
    _check_codes(target, annotations, chans)
    aux_notes: list[str] | None = None
    if (annotations and set(chans) == {0} and any(t.lead is not None for t in tracks)
            and not re.fullmatch(r"pu\d+", ext.lower())):
        aux_notes = [PER_LEAD_NOTE] + [""] * (len(annotations) - 1)
    with ExitStack() as stack:
        try:
            tmp_dir = stack.enter_context(atomic.scratch_folder(target))
        except OSError as exc:
            raise SaveError(f"{target}: cannot write into {folder} ({exc.strerror or exc})") from None
        try:
            # written under a fixed temporary name in the locked scratch folder, then renamed; a folder
            # left by a killed save is removed by the next save
            tmp_file = tmp_dir / f"{_TMP_RECORD}.{_TMP_EXT}"
            if annotations:
                tmp_file.write_bytes(encode([a[0] for a in annotations], [a[1] for a in annotations], chans,
                                            [a[2] for a in annotations], aux_notes, fs or None))
            else:
                tmp_file.write_bytes(_EMPTY_FILE)
            os.replace(tmp_file, target)
        except OSError as exc:
            raise SaveError(f"{target}: cannot write ({exc.strerror or exc})") from None
        except (ValueError, TypeError) as exc:
            raise SaveError(f"{target}: cannot write annotations ({' '.join(str(exc).split())[:120]})") from None
    return target
