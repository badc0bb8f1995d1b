"""Conversion between WFDB boundary annotations and :class:`Wave` values.

PhysioNet's delineation convention (QTDB ``q1c``/``pu``, LUDB lead files):
``(`` onset, a peak symbol (``p`` P wave, a beat symbol such as ``N`` for a QRS,
``t`` T wave, ``u`` U wave), ``)`` offset; the ``num`` field of ``(``/``)`` is
0 for P, 1 for QRS, 2 for T. Onsets or peaks may be missing.

Waves read from a file are :class:`FileWave` values: ordinary waves that also
remember what a :class:`Wave` cannot hold (the ``num`` of each annotation when it
differs from the convention, further peaks such as the second ``t`` of a
biphasic T wave), so that writing them back reproduces the file.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from ecgstudio.core.waves import BOUNDARY_NUM, DEFAULT_SYMBOL, QRS_SYMBOLS, Wave, WaveKind

ONSET = "("
OFFSET = ")"
U_SYMBOL = "u"

_PEAK_KIND: dict[str, WaveKind] = {"p": WaveKind.P, "t": WaveKind.T}
_NUM_KIND: dict[int, WaveKind] = {num: kind for kind, num in BOUNDARY_NUM.items()}

#: One annotation: (sample, symbol, num).
Annotation = tuple[int, str, int]


@dataclass(frozen=True)
class FileWave(Wave):
    """A wave read from an annotation file, with what it needs to be written back unchanged.

    Attributes
    ----------
    onset_num, offset_num : int | None
        ``num`` of the ``(``/``)`` annotations, ``None`` = the convention's value
        (:data:`~ecgstudio.core.waves.BOUNDARY_NUM`).
    peak_num : int | None
        ``num`` of the peak annotation (ecgpuwave stores the T-wave morphology
        there), ``None`` = 0.
    extra_peaks : tuple[tuple[int, str, int], ...]
        Further peak annotations inside the wave as ``(sample, symbol, num)``
        (the second ``t`` of a biphasic T wave). Those outside the wave after an
        edit are not written.
    unparsed : tuple[tuple[int, str, int], ...]
        Annotations that follow this wave in the file and belong to no P/QRS/T
        wave (U waves, unmatched boundaries, other labels), written back at
        their own samples.
    """

    onset_num: int | None = None
    offset_num: int | None = None
    peak_num: int | None = None
    extra_peaks: tuple[tuple[int, str, int], ...] = ()
    unparsed: tuple[tuple[int, str, int], ...] = ()


def peak_kind(symbol: str) -> WaveKind | None:
    """Kind of wave whose peak ``symbol`` marks (``None`` for non-peak symbols and ``u``)."""
    if symbol in _PEAK_KIND:
        return _PEAK_KIND[symbol]
    if symbol in QRS_SYMBOLS:
        return WaveKind.QRS
    return None


@dataclass
class _Open:
    """A wave being assembled while scanning one channel."""

    onset: int | None
    onset_num: int
    peaks: list[Annotation]
    kind: WaveKind | None
    is_u: bool = False


@dataclass(frozen=True)
class ParseResult:
    """Waves found in one channel's annotations.

    Attributes
    ----------
    waves : list[Wave]
        The waves, in file order (:class:`FileWave` where the file holds more
        than a :class:`Wave` can).
    skipped : list[tuple[int, Annotation]]
        Annotations that belong to no P/QRS/T wave (U waves, unknown symbols,
        unmatched boundaries), in file order, each with the number of waves
        found before it.
    """

    waves: list[Wave]
    skipped: list[tuple[int, Annotation]]


def _make_wave(opened: _Open, offset: int, offset_num: int, lead: int | None) -> Wave | None:
    """The wave closed by an offset; a plain :class:`Wave` when nothing file-specific must be kept."""
    kind = opened.kind if opened.kind is not None else _NUM_KIND.get(offset_num)
    if kind is None:
        return None
    conv = BOUNDARY_NUM[kind]
    first = opened.peaks[0] if opened.peaks else None
    symbol = None if first is None or first[1] == DEFAULT_SYMBOL[kind] else first[1]
    extras = {
        "onset_num": None if opened.onset is None or opened.onset_num == conv else opened.onset_num,
        "offset_num": None if offset_num == conv else offset_num,
        "peak_num": None if first is None or first[2] == 0 else first[2],
        "extra_peaks": tuple(opened.peaks[1:]),
    }
    peak = None if first is None else first[0]
    if extras["extra_peaks"] or any(extras[k] is not None for k in ("onset_num", "offset_num", "peak_num")):
        return FileWave(kind, opened.onset, peak, offset, lead, symbol, None, **extras)
    return Wave(kind, opened.onset, peak, offset, lead, symbol)


def parse_channel(annotations: Iterable[Annotation], lead: int | None) -> ParseResult:
    """Assemble the waves of one channel from its annotations (in file order).

    Parameters
    ----------
    annotations : Iterable[tuple[int, str, int]]
        ``(sample, symbol, num)`` in file order.
    lead : int | None
        Lead given to the waves.
    """
    waves: list[Wave] = []
    skipped: list[tuple[int, Annotation]] = []
    opened: _Open | None = None

    def skip(annotation: Annotation) -> None:
        skipped.append((len(waves), annotation))

    def abandon() -> None:
        nonlocal opened
        if opened is not None:
            if opened.onset is not None:
                skip((opened.onset, ONSET, opened.onset_num))
            for peak in opened.peaks:
                skip(peak)
            opened = None

    for sample, symbol, num in annotations:
        if symbol == ONSET:
            abandon()
            opened = _Open(sample, num, [], _NUM_KIND.get(num))
        elif symbol == OFFSET:
            if opened is None:
                wave = _make_wave(_Open(None, 0, [], None), sample, num, lead)
                if wave is None:
                    skip((sample, symbol, num))
                else:
                    waves.append(wave)
                continue
            wave = None if opened.is_u else _make_wave(opened, sample, num, lead)
            if wave is None:
                abandon()
                skip((sample, symbol, num))
            else:
                waves.append(wave)
            opened = None
        elif symbol == U_SYMBOL:
            if opened is not None and not opened.peaks and not opened.is_u:
                opened.is_u = True
                opened.kind = None
            elif opened is None or not opened.is_u:
                abandon()
                opened = _Open(None, 0, [], None, is_u=True)
            opened.peaks.append((sample, symbol, num))
        else:
            kind = peak_kind(symbol)
            if kind is None:
                skip((sample, symbol, num))
                continue
            if opened is not None and not opened.is_u and (not opened.peaks or opened.kind is kind):
                opened.kind = kind
                opened.peaks.append((sample, symbol, num))
            else:
                abandon()
                opened = _Open(None, 0, [(sample, symbol, num)], kind)
    abandon()
    return ParseResult(waves, skipped)


def attach_unparsed(
    waves: Sequence[Wave], kept: Sequence[bool], skipped: Sequence[tuple[int, Annotation]]
) -> list[Wave]:
    """The kept waves, each carrying the skipped annotations that follow it in the file.

    Parameters
    ----------
    waves : Sequence[Wave]
        All waves in file order (as :func:`parse_channel` found them).
    kept : Sequence[bool]
        Which of ``waves`` the track kept. A dropped wave that is a lone offset
        (an unmatched ``)``) becomes a skipped annotation; other dropped waves
        are lost.
    skipped : Sequence[tuple[int, Annotation]]
        From :attr:`ParseResult.skipped`.

    Returns
    -------
    list[Wave]
        The kept waves, in file order, those with unparsed annotations as
        :class:`FileWave` with :attr:`FileWave.unparsed` set;
        annotations before the first kept wave go to that wave.
    """
    pending: list[tuple[int, int, Annotation]] = [(after, 0, ann) for after, ann in skipped]
    for i, wave in enumerate(waves):
        if not kept[i] and wave.onset is None and wave.peak is None:
            pending.append((i, 1, (wave.offset, OFFSET, wave_annotations(wave)[-1][2])))
    kept_index = [i for i, keep in enumerate(kept) if keep]
    if not kept_index:
        return []
    owner_of: dict[int, list[Annotation]] = {}
    for after, _, ann in sorted(pending, key=lambda item: (item[0], item[1])):
        # the last kept wave among waves[:after], else the first kept wave
        pos = bisect.bisect_left(kept_index, after) - 1
        owner = kept_index[max(pos, 0)]
        owner_of.setdefault(owner, []).append(ann)
    out = []
    for i in kept_index:
        wave = waves[i]
        extra = owner_of.get(i)
        if extra and not isinstance(wave, FileWave):
            wave = FileWave(wave.kind, wave.onset, wave.peak, wave.offset, wave.lead, wave.symbol)
        out.append(replace(wave, unparsed=wave.unparsed + tuple(extra)) if extra else wave)
    return out


def wave_annotations(wave: Wave) -> list[Annotation]:
    """The annotations that write ``wave`` (onset, peaks, offset), in sample order."""
    kind_num = BOUNDARY_NUM[wave.kind]
    onset_num = getattr(wave, "onset_num", None)
    offset_num = getattr(wave, "offset_num", None)
    peak_num = getattr(wave, "peak_num", None)
    out: list[Annotation] = []
    if wave.onset is not None:
        out.append((wave.onset, ONSET, kind_num if onset_num is None else onset_num))
    if wave.peak is not None:
        out.append((wave.peak, wave.peak_symbol, 0 if peak_num is None else peak_num))
    lo = wave.start
    for sample, symbol, num in getattr(wave, "extra_peaks", ()):
        if lo <= sample <= wave.offset and (wave.peak is None or sample >= wave.peak):
            out.append((sample, symbol, num))
    out.append((wave.offset, OFFSET, kind_num if offset_num is None else offset_num))
    out.extend(getattr(wave, "unparsed", ()))
    return out


def track_annotations(waves: Sequence[Wave]) -> list[Annotation]:
    """All annotations of a track's waves, in sample order (stable within a wave)."""
    out: list[Annotation] = []
    for wave in waves:
        out.extend(wave_annotations(wave))
    order = sorted(range(len(out)), key=lambda i: out[i][0])
    return [out[i] for i in order]
