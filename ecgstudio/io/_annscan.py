"""A guard against annotation files on which ``wfdb.rdann`` never returns.

wfdb 4.x reads the definition notes at the start of an annotation file (``NOTE``
annotations at sample 0 whose ``aux_note`` starts with ``"## "``) in a loop
that does not advance on a note it does not understand (e.g. a second
``"## time resolution"`` or ``"## foo"``), so a corrupt or hostile file hangs
the reader forever. :func:`rdann_would_hang` walks the file's byte pairs the way
wfdb does and replays that loop with a guard; it is cheap (one pass over the
bytes in pure Python) and is run before every ``rdann``.
"""

from __future__ import annotations

import math
import re

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
    n_zero_notes, aux = found
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
