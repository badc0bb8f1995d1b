"""Encoding annotations in the MIT (WFDB) annotation format, byte for byte as ``wfdb.wrann`` does.

``wfdb.wrann`` rebuilds its symbol table through pandas on every call (about
5 ms a file: half of ``annotate``'s writing time on an archive of ten-second
records). :func:`encode` writes the same bytes from a table built once:

* an optional ``## time resolution: <fs>`` note (code NOTE, 22) followed by
  the end-of-special-annotations marker, when ``fs`` is given;
* per annotation one 16-bit little-endian word, type code in bits 10-15 and
  the sample difference in bits 0-9 (larger differences first as SKIP, code
  59, with a 32-bit interval stored as high then low 16-bit word); then NUM
  (60), CHN (62) when they change from the previous annotation's (both start
  at 0) and AUX (63: length byte, text, zero pad to an even length);
* two zero bytes at the end.

``tests/io/test_mit_encode.py`` compares :func:`encode` with ``wfdb.wrann``
on random annotation sets.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

_SKIP, _NUM, _CHN, _AUX, _NOTE = 59, 60, 62, 63, 22
_TIME_RESOLUTION = b"## time resolution: "
_END_OF_SPECIAL = bytes([0, 236, 255, 255, 255, 255, 1, 0])
_MAX_SKIP = 0x7FFFFFFF


@functools.lru_cache(maxsize=1)
def type_codes() -> dict[str, int]:
    """WFDB annotation symbol -> type code (``label_store``), as wfdb's table gives it (last row wins)."""
    from wfdb.io.annotation import ann_label_table

    return {str(s): int(c) for s, c in zip(ann_label_table["symbol"], ann_label_table["label_store"], strict=True)}


def _fs_text(fs: float) -> bytes:
    value: float | int = fs
    if isinstance(fs, float) and round(fs, 8) == float(int(fs)):
        value = int(fs)
    return str(value).encode("ascii")


def _word(code: int, low10: int) -> bytes:
    return bytes([low10 & 255, ((low10 & 768) >> 8) + 4 * code])


def encode(samples: Sequence[int], symbols: Sequence[str], chans: Sequence[int], nums: Sequence[int],
           aux_notes: Sequence[str] | None, fs: float | None) -> bytes:
    """The bytes of an annotation file.

    Parameters
    ----------
    samples : sequence of int
        Sample of each annotation, non-decreasing, >= 0.
    symbols : sequence of str
        WFDB label of each annotation (a key of :func:`type_codes`).
    chans, nums : sequence of int
        ``chan`` (0-255) and ``num`` (0-127) of each annotation.
    aux_notes : sequence of str | None
        Note of each annotation (``""``: none); ``None``: no notes.
    fs : float | None
        Sampling frequency written as the file's time resolution; ``None``: not written.

    Returns
    -------
    bytes

    Raises
    ------
    KeyError
        An unknown symbol.
    ValueError
        Samples out of order, or ``chan``/``num`` out of range.
    """
    codes = type_codes()
    out = bytearray()
    if fs is not None:
        text = _TIME_RESOLUTION + _fs_text(fs)
        out += bytes([0, 88, len(text), 4 * _AUX]) + text + (b"\x00" if len(text) % 2 else b"")
        out += _END_OF_SPECIAL
    previous, prev_chan, prev_num = 0, 0, 0
    for i, (sample, symbol, chan, num) in enumerate(zip(samples, symbols, chans, nums, strict=True)):
        diff = int(sample) - previous
        if diff < 0:
            raise ValueError(f"annotation samples must not decrease ({previous} then {sample})")
        if not 0 <= chan <= 255 or not 0 <= num <= 127:
            raise ValueError(f"chan {chan} or num {num} out of range")
        previous = int(sample)
        while diff > 1023:
            n = min(diff, _MAX_SKIP)
            out += bytes([0, _SKIP << 2, (n >> 16) & 255, (n >> 24) & 255, n & 255, (n >> 8) & 255])
            diff -= n
        out += _word(codes[symbol], diff)
        if num != prev_num:
            out += bytes([int(num), 4 * _NUM])
            prev_num = int(num)
        if chan != prev_chan:
            out += bytes([int(chan), 4 * _CHN])
            prev_chan = int(chan)
        note = aux_notes[i] if aux_notes is not None else ""
        if note:
            raw = note.encode("latin-1")
            out += bytes([len(raw), 4 * _AUX]) + raw + (b"\x00" if len(raw) % 2 else b"")
    out += b"\x00\x00"
    return bytes(out)
