"""Decoding WFDB annotation bytes, cancellably, with a guard against files on which ``wfdb.rdann`` never returns.

wfdb 4.x reads the definition notes at the start of an annotation file (``NOTE``
annotations at sample 0 whose ``aux_note`` starts with ``"## "``) in a loop
that does not advance on a note it does not understand (e.g. a second
``"## time resolution"`` or ``"## foo"``), so a corrupt or hostile file hangs
the reader forever. :func:`definitions_would_hang` replays that loop with a guard.

:func:`decode_annotation` turns the bytes of a file (read once, with a size
limit, by :mod:`ecgstudio.safe_read`) into a ``wfdb.Annotation`` exactly as
``wfdb.rdann`` does, using wfdb's own per-annotation routines, but checks
``cancel()`` every few thousand annotations, refuses the hanging definition
notes, and never opens another file (``rdann`` reads the header when the file
stores no ``fs``; the caller does that with its guarded reader).
:func:`rdann_would_hang` is the byte-level guard for the fallback to
``wfdb.rdann`` (a wfdb without those routines).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

_SKIP, _NUM, _SUB, _CHN, _AUX = 59, 60, 61, 62, 63
_NOTE = 22
#: Same pattern as wfdb's ``rx_fs``.
_RX_FS = re.compile(r"## time resolution: (?P<fs>\d+\.?\d*)")
_DEFINITIONS = "## annotation type definitions"
_END_DEFINITIONS = "## end of definitions"


def _notes(raw: bytes) -> tuple[int, list[str]] | None:
    """Count of NOTE annotations at sample 0 and the aux list as wfdb builds it.

    ``None`` when wfdb would fail on the file anyway (odd length, runs off the end).
    """
    if len(raw) % 2:
        return None
    n_words = len(raw) // 2
    bpi = 0
    sample = 0
    n_zero_notes = 0
    aux: list[str] = []
    while bpi < n_words - 1:
        diff = 0
        while raw[2 * bpi + 1] >> 2 == _SKIP:
            if bpi + 2 >= n_words:
                return None
            skip = ((raw[2 * bpi + 2] << 16) + (raw[2 * bpi + 3] << 24)
                    + raw[2 * bpi + 4] + (raw[2 * bpi + 5] << 8))
            if skip > 2147483647:
                skip -= 4294967296
            diff += skip
            bpi += 3
            if bpi >= n_words:
                return None
        label = raw[2 * bpi + 1] >> 2
        diff += raw[2 * bpi] + 256 * (raw[2 * bpi + 1] & 3)
        bpi += 1
        sample += diff
        if sample == 0 and label == _NOTE:
            n_zero_notes += 1
        if bpi >= n_words:
            return None
        had_aux = False
        code = raw[2 * bpi + 1] >> 2
        while code > _SKIP:
            if code == _AUX:
                length = raw[2 * bpi]
                n_pairs = math.ceil(length / 2)
                text = raw[2 * (bpi + 1):2 * (bpi + 1 + n_pairs)]
                if length & 1:
                    text = text[:-1]
                aux.append(text.decode("latin-1"))
                had_aux = True
                bpi += 1 + n_pairs
            else:
                bpi += 1
            if bpi >= n_words:
                return None
            code = raw[2 * bpi + 1] >> 2
        if not had_aux:
            aux.append("")
    return n_zero_notes, aux


def rdann_would_hang(raw: bytes) -> bool:
    """Whether ``wfdb.rdann`` would loop forever on an annotation file with these bytes."""
    if b"## " not in raw:
        return False
    found = _notes(raw)
    if found is None:
        return False
    return definitions_would_hang(*found)


def definitions_would_hang(n_zero_notes: int, aux: list[str]) -> bool:
    """Whether wfdb's reading of the definition notes loops forever.

    Parameters
    ----------
    n_zero_notes : int
        Number of ``NOTE`` annotations at sample 0 (wfdb's ``potential_definition_inds``).
    aux : list[str]
        The ``aux_note`` of every annotation, in file order (wfdb indexes this list, not the notes).
    """
    fs_found = False
    i = 0
    while i < n_zero_notes:
        note = aux[i] if i < len(aux) else ""
        if not note.startswith("## "):
            i += 1
            continue
        if not fs_found:
            match = _RX_FS.findall(note)
            if match:
                fs_found = bool(float(match[0]))
                i += 1
                continue
        if note != _DEFINITIONS:
            return True
        i += 1
        while i < len(aux) and aux[i] != _END_DEFINITIONS:
            i += 1
        if i >= len(aux):
            return False  # wfdb raises IndexError here
        i += 1
    return False


#: Annotations decoded between two ``cancel()`` checks.
_CANCEL_EVERY = 4096

#: wfdb's routines :func:`decode_annotation` uses (all in ``wfdb.io.annotation`` since wfdb 3).
_WFDB_ROUTINES = ("proc_core_fields", "proc_extra_field", "update_extra_fields", "get_special_inds",
                  "interpret_defintion_annotations", "rm_empty_indices", "lists_to_int_arrays", "Annotation")


class HangingDefinitions(ValueError):
    """The file's ``"## "`` definition notes would make ``wfdb.rdann`` loop forever."""


class Cancelled(Exception):
    """``cancel()`` returned True while decoding (the caller raises its own error type)."""


class SampleOutOfRange(ValueError):
    """An annotation lies outside ``sample_range`` (raised as soon as it is decoded: garbage fails fast)."""

    def __init__(self, sample: int) -> None:
        super().__init__(f"annotation at sample {sample}")
        self.sample = int(sample)


def can_decode() -> bool:
    """Whether the installed wfdb has the routines :func:`decode_annotation` needs."""
    from wfdb.io import annotation as wann

    return all(hasattr(wann, name) for name in _WFDB_ROUTINES)


def decode_annotation(raw: bytes, record_name: str, extension: str, *,
                      cancel: Callable[[], bool] | None = None,
                      sample_range: tuple[int, int | None] | None = None) -> Any:
    """A ``wfdb.Annotation`` from the bytes of an annotation file, as ``wfdb.rdann(record, ext)`` returns it.

    Differences: ``fs`` is ``None`` when the file stores none (``rdann`` would read the header), and nothing
    else is read from disk.

    Parameters
    ----------
    sample_range : (first, stop) | None
        When given, every annotation the result would hold must lie in ``[first, stop)`` (``stop=None``: no upper
        bound); the first one outside stops decoding (random bytes do so within a few words).

    Raises
    ------
    HangingDefinitions
        The definition notes would make wfdb loop forever.
    SampleOutOfRange
        An annotation lies outside ``sample_range``.
    Cancelled
        ``cancel()`` returned True.
    Exception
        Whatever wfdb's routines raise on a corrupt file (``IndexError``, ``ValueError`` ...).
    """
    from wfdb.io import annotation as wann

    if len(raw) % 2:
        raise ValueError(f"odd number of bytes ({len(raw)}): WFDB annotation files hold 16-bit words")
    filebytes = np.frombuffer(raw, dtype="<u1").reshape(-1, 2)
    sample, label_store, subtype, chan, num, aux_note = _proc_ann_bytes(wann, filebytes, cancel, sample_range)
    _check(cancel)
    definitions, removed = wann.get_special_inds(sample, label_store, aux_note)
    if definitions and definitions_would_hang(len(definitions), aux_note):
        raise HangingDefinitions("malformed '## ' definition notes")
    fs, custom_labels = wann.interpret_defintion_annotations(definitions, aux_note)
    _check(cancel)
    sample, label_store, subtype, chan, num, aux_note = wann.rm_empty_indices(
        removed, sample, label_store, subtype, chan, num, aux_note)
    _check(cancel)
    label_store, subtype, chan, num = wann.lists_to_int_arrays(label_store, subtype, chan, num)
    annotation = wann.Annotation(
        record_name=record_name, extension=extension, sample=np.array(sample, dtype="int64"),
        label_store=label_store, subtype=subtype, chan=chan, num=num, aux_note=aux_note, fs=fs,
        custom_labels=custom_labels,
    )
    annotation.set_label_elements(["symbol"])
    return annotation


def _check(cancel: Callable[[], bool] | None) -> None:
    if cancel is not None and cancel():
        raise Cancelled


def _proc_ann_bytes(wann: Any, filebytes: np.ndarray, cancel: Callable[[], bool] | None,
                    sample_range: tuple[int, int | None] | None) -> tuple[list, ...]:
    """``wfdb.io.annotation.proc_ann_bytes(filebytes, sampto=None)`` with a ``cancel()`` check and a range check.

    The range check skips what ``rdann`` drops afterwards (``label_store`` 0, and definition notes, which lie
    at sample 0), so it refuses exactly the files whose result would hold an annotation out of range.
    """
    first, stop = (None, None) if sample_range is None else sample_range
    sample: list = []
    label_store: list = []
    subtype: list = []
    chan: list = []
    num: list = []
    aux_note: list = []
    sample_total = 0
    bpi = 0
    last = filebytes.shape[0] - 1
    countdown = _CANCEL_EVERY
    while bpi < last:
        countdown -= 1
        if not countdown:
            _check(cancel)
            countdown = _CANCEL_EVERY
        sample_diff, current_label_store, bpi = wann.proc_core_fields(filebytes, bpi)
        sample_total = sample_total + sample_diff
        if first is not None and current_label_store and (
                sample_total < first or (stop is not None and sample_total >= stop)):
            raise SampleOutOfRange(sample_total)
        sample.append(sample_total)
        label_store.append(current_label_store)
        update = {"subtype": True, "chan": True, "num": True, "aux_note": True}
        current_label_store = int(filebytes[bpi, 1]) >> 2
        while current_label_store > _SKIP:
            subtype, chan, num, aux_note, update, bpi = wann.proc_extra_field(
                current_label_store, filebytes, bpi, subtype, chan, num, aux_note, update)
            current_label_store = int(filebytes[bpi, 1]) >> 2
        subtype, chan, num, aux_note = wann.update_extra_fields(subtype, chan, num, aux_note, update)
    return sample, label_store, subtype, chan, num, aux_note
