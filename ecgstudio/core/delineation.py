"""One annotation track and all of its rules.

A :class:`Delineation` holds the waves of one track (global or one lead),
sorted by start, and guarantees after every change:

* every defined position lies in ``[0, n_samples - 1]``;
* ``onset <= peak <= offset`` and ``offset - start >= min_width(kind)``;
* waves do not overlap: ``previous.offset <= next.start``, and two waves of
  the same kind are at least one sample apart (so masks can tell them apart);
* beat order: a P wave is never followed directly by a T wave, and a T wave
  never by another T wave (``P < QRS < T`` inside a beat);
* all waves carry the track's ``lead``.

Changes go through :meth:`Delineation.replace` (used by the edit values of
:mod:`ecgstudio.core.edits`), which validates the result before committing, so
an invalid edit raises :class:`~ecgstudio.core.errors.EditError` and leaves the
track untouched. The sorted wave list is spliced by
:mod:`ecgstudio.core._track_splice`; the rules are checked here.
"""

from __future__ import annotations

import bisect
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence

from ecgstudio.core._track_splice import describe as _describe
from ecgstudio.core._track_splice import inserted as _inserted
from ecgstudio.core._track_splice import merged as _merged
from ecgstudio.core._track_splice import sort_key as _sort_key
from ecgstudio.core.errors import EditError
from ecgstudio.core.waves import Wave, WaveKind

#: Minimum width (offset - start) of a wave, in seconds.
MIN_WIDTH_S: dict[WaveKind, float] = {WaveKind.P: 0.008, WaveKind.QRS: 0.008, WaveKind.T: 0.008}

#: Kinds that may not directly follow a kind inside one track.
FORBIDDEN_SUCCESSOR: dict[WaveKind, frozenset[WaveKind]] = {
    WaveKind.P: frozenset({WaveKind.T}),
    WaveKind.QRS: frozenset(),
    WaveKind.T: frozenset({WaveKind.T}),
}

Listener = Callable[[int, int], None]

#: Edits touching more waves than this are merged in linear time.
_BULK_EDIT = 64

#: The boundary fields of a wave that an edit may move.
_FIELDS = ("onset", "peak", "offset")


def min_width_samples(kind: WaveKind, fs: float) -> int:
    """Minimum ``offset - start`` of a wave of ``kind`` at ``fs`` Hz, in samples (>= 1)."""
    return max(1, int(round(MIN_WIDTH_S[kind] * fs)))


class Delineation:
    """The waves of one annotation track.

    Parameters
    ----------
    waves : Iterable[Wave]
        Initial waves, in any order; they must satisfy every rule.
    n_samples : int
        Length of the record in samples: a wave with a position outside ``0 .. n_samples - 1`` is rejected
        (:class:`EditError`); only a ``clamp=True`` boundary move stops at the nearest legal position.
    fs : float
        Sampling frequency in Hz (for minimum widths).
    lead : int | None
        Lead index of a per-lead track, ``None`` for a global one.
    name : str
        Track name shown to users, e.g. ``"q1c"`` or ``"model"``.

    Raises
    ------
    EditError
        If the waves break a rule (use :meth:`from_waves_lenient` for
        untrusted input).
    """

    def __init__(
        self,
        waves: Iterable[Wave] = (),
        *,
        n_samples: int,
        fs: float,
        lead: int | None = None,
        name: str = "",
    ) -> None:
        if n_samples < 1:
            raise EditError(f"track {name!r}: record length must be positive, got {n_samples}")
        self.n_samples = int(n_samples)
        self.fs = float(fs)
        self.lead = lead
        self.name = name
        self.revision = 0
        self._listeners: list[Listener] = []
        ordered = sorted(waves, key=_sort_key)
        problem = self._first_problem(ordered, 0, len(ordered))
        if problem:
            raise EditError(f"track {name!r}: {problem}")
        self._waves: list[Wave] = ordered
        self._keys: list[tuple[int, int]] = [_sort_key(w) for w in ordered]

    # ------------------------------------------------------------------ reading
    @classmethod
    def from_waves_lenient(
        cls,
        waves: Iterable[Wave],
        *,
        n_samples: int,
        fs: float,
        lead: int | None = None,
        name: str = "",
    ) -> tuple[Delineation, list[Wave]]:
        """Build a track from untrusted waves, dropping those that break a rule.

        Waves are taken in start order; a wave is kept when the track stays
        valid with it appended (positions are not moved).

        Returns
        -------
        track : Delineation
            The valid track.
        dropped : list[Wave]
            Waves that were left out, in start order.
        """
        track = cls((), n_samples=n_samples, fs=fs, lead=lead, name=name)
        kept: list[Wave] = []
        dropped: list[Wave] = []
        for wave in sorted(waves, key=_sort_key):
            if wave.lead != lead:
                wave = Wave(wave.kind, wave.onset, wave.peak, wave.offset, lead, wave.symbol,
                            wave.confidence)
            candidate = [*kept[-1:], wave]
            if track._first_problem(candidate, len(candidate) - 1, len(candidate)) is None:
                kept.append(wave)
            else:
                dropped.append(wave)
        track._waves = kept
        track._keys = [_sort_key(w) for w in kept]
        return track, dropped

    @property
    def waves(self) -> tuple[Wave, ...]:
        """All waves, sorted by start (a snapshot)."""
        return tuple(self._waves)

    def __len__(self) -> int:
        return len(self._waves)

    def __iter__(self) -> Iterator[Wave]:
        return iter(tuple(self._waves))

    def __getitem__(self, index: int) -> Wave:
        return self._waves[index]

    def __repr__(self) -> str:
        return (f"Delineation(name={self.name!r}, lead={self.lead}, n_waves={len(self)}, "
                f"n_samples={self.n_samples}, fs={self.fs})")

    def same_waves(self, other: Delineation) -> bool:
        """Whether both tracks hold exactly the same waves."""
        return self._waves == other._waves

    def copy(self, name: str | None = None) -> Delineation:
        """An independent copy (listeners are not copied)."""
        out = Delineation((), n_samples=self.n_samples, fs=self.fs, lead=self.lead,
                          name=self.name if name is None else name)
        out._waves = list(self._waves)
        out._keys = list(self._keys)
        return out

    def index_of(self, wave: Wave) -> int:
        """Index of ``wave`` (compared by value).

        Raises
        ------
        EditError
            If the track does not hold that wave.
        """
        key = _sort_key(wave)
        i = bisect.bisect_left(self._keys, key)
        while i < len(self._waves) and self._keys[i] == key:
            if self._waves[i] == wave:
                return i
            i += 1
        raise EditError(f"track {self.name!r}: no such wave {_describe(wave)}")

    def index_range(self, start_sample: int, stop_sample: int) -> range:
        """Indices of the waves that intersect ``[start_sample, stop_sample]``.

        Runs in O(log n): meant for drawing only the visible waves.
        """
        lo = bisect.bisect_left(self._keys, (start_sample, -1))
        if lo > 0 and self._waves[lo - 1].offset >= start_sample:
            lo -= 1
        hi = bisect.bisect_right(self._keys, (stop_sample, sys.maxsize))
        return range(lo, hi)

    def waves_between(self, start_sample: int, stop_sample: int) -> list[Wave]:
        """Waves that intersect ``[start_sample, stop_sample]``, in order."""
        return [self._waves[i] for i in self.index_range(start_sample, stop_sample)]

    def wave_at(self, sample: int, kind: WaveKind | None = None) -> Wave | None:
        """The wave covering ``sample`` (of ``kind`` if given), else ``None``."""
        for wave in self.waves_between(sample, sample):
            if wave.contains(sample) and (kind is None or wave.kind is kind):
                return wave
        return None

    def neighbours(self, wave: Wave) -> tuple[Wave | None, Wave | None]:
        """The waves just before and just after ``wave`` in this track."""
        i = self.index_of(wave)
        before = self._waves[i - 1] if i > 0 else None
        after = self._waves[i + 1] if i + 1 < len(self._waves) else None
        return before, after

    # ------------------------------------------------------------------ rules
    def boundary_limits(self, wave: Wave, field: str) -> tuple[int, int]:
        """Exact inclusive range of samples that ``field`` of ``wave`` may move to.

        Every sample in ``[lo, hi]`` gives a valid track when only ``field`` of
        ``wave`` changes, and no sample outside it does (a move never lets a
        wave change places with a neighbour). The range honours the record
        bounds, the neighbours (same-kind neighbours one sample apart), the
        order ``onset <= peak <= offset`` and the minimum width, which counts
        from the *start*: for a wave without onset the peak is the start, so
        moving the peak towards the offset narrows the wave.

        Parameters
        ----------
        wave : Wave
            A wave of this track.
        field : str
            ``"onset"``, ``"peak"`` or ``"offset"``.

        Returns
        -------
        lo, hi : tuple[int, int]
            Inclusive limits, in samples. For a set field the range always
            holds the current position; where no move is possible both limits
            are the current position. For an unset field (``None``) it is the
            range the field may be set to, and empty (``lo > hi``) where it
            cannot be set at all.

        Raises
        ------
        EditError
            If the track does not hold ``wave``.
        ValueError
            If ``field`` is not a boundary field.
        """
        if field not in _FIELDS:
            raise ValueError(f"unknown boundary field {field!r}")
        before, after = self.neighbours(wave)
        first, last = self._free_span(wave, before, after)
        min_w = min_width_samples(wave.kind, self.fs)
        onset, peak, offset = wave.onset, wave.peak, wave.offset
        if field == "onset":  # the onset is the start: room for the width and the peak
            high = offset - min_w if peak is None else min(peak, offset - min_w)
            return first, high
        if field == "peak":
            if onset is not None:  # the start stays put: only onset <= peak <= offset
                return onset, offset
            return first, offset - min_w  # the peak is the start: keep the width
        if onset is None and peak is None:  # known only by its offset: it is its own start
            return first, last
        low = wave.start + min_w if peak is None else max(wave.start + min_w, peak)
        return low, last

    def _free_span(self, wave: Wave, before: Wave | None, after: Wave | None) -> tuple[int, int]:
        """Lowest start and highest offset ``wave`` may have between its neighbours, in samples.

        A same-kind neighbour keeps one sample of gap. A wave known only by
        its offset (zero width) may not reach the start of a zero-width
        ``after``: with equal sort keys it would be stored after it, i.e. the
        two waves would change places (unless it already sits there).
        """
        first = 0 if before is None else before.offset + (before.kind is wave.kind)
        if after is None:
            return first, self.n_samples - 1
        last = after.start - (after.kind is wave.kind)
        if wave.onset is None and wave.peak is None and after.width == 0 and wave.offset < after.start:
            last = min(last, after.start - 1)
        return first, last

    def clamp_boundary(self, wave: Wave, field: str, sample: int) -> int | None:
        """The legal position nearest to ``sample`` for ``field`` of ``wave``.

        Parameters
        ----------
        wave : Wave
            A wave of this track.
        field : str
            ``"onset"``, ``"peak"`` or ``"offset"``.
        sample : int
            Wanted position, in samples (may lie outside the record).

        Returns
        -------
        int | None
            ``sample`` clamped to :meth:`boundary_limits`, in samples: it never
            crosses a neighbour or breaks a rule, and where no move is possible
            it is the current position. ``None`` only for an unset field that
            cannot be set (the field stays unset).
        """
        lo, hi = self.boundary_limits(wave, field)
        if lo > hi:  # only an unset field that cannot be set
            current = getattr(wave, field)
            return None if current is None else int(current)
        return int(min(max(int(sample), lo), hi))

    def _wave_problem(self, wave: Wave) -> str | None:
        last = self.n_samples - 1
        for name in ("onset", "peak", "offset"):
            value = getattr(wave, name)
            if value is not None and not 0 <= value <= last:
                return f"{_describe(wave)}: {name} {value} outside the record (0..{last})"
        if wave.onset is not None and wave.peak is not None and wave.peak < wave.onset:
            return f"{_describe(wave)}: peak before onset"
        if wave.peak is not None and wave.offset < wave.peak:
            return f"{_describe(wave)}: offset before peak"
        if wave.onset is not None or wave.peak is not None:
            if wave.width < min_width_samples(wave.kind, self.fs):
                return f"{_describe(wave)}: narrower than {MIN_WIDTH_S[wave.kind] * 1000:g} ms"
        if wave.lead != self.lead:
            return f"{_describe(wave)}: lead {wave.lead} in a track of lead {self.lead}"
        return None

    def _first_problem(self, waves: Sequence[Wave], lo: int, hi: int) -> str | None:
        """First rule broken by ``waves[lo:hi]`` (and their links to the neighbours)."""
        for i in range(max(lo, 0), min(hi, len(waves))):
            problem = self._wave_problem(waves[i])
            if problem:
                return problem
        for i in range(max(lo, 1), min(hi + 1, len(waves))):
            prev, nxt = waves[i - 1], waves[i]
            if nxt.start < prev.offset or (nxt.kind is prev.kind and nxt.start == prev.offset):
                return f"{_describe(nxt)} overlaps {_describe(prev)}"
            if nxt.kind in FORBIDDEN_SUCCESSOR[prev.kind]:
                return f"{_describe(nxt)} directly after {_describe(prev)} (order P < QRS < T)"
        return None

    def check(self) -> None:
        """Raise :class:`EditError` if any rule is broken (for tests and loaders)."""
        problem = self._first_problem(self._waves, 0, len(self._waves))
        if problem:
            raise EditError(f"track {self.name!r}: {problem}")

    # ------------------------------------------------------------------ changing
    def replace(self, removed: Sequence[Wave], added: Sequence[Wave]) -> None:
        """Remove ``removed`` and insert ``added`` atomically, or raise.

        Raises
        ------
        EditError
            If a removed wave is not in the track or the result breaks a rule;
            the track is then unchanged.
        """
        if not removed and not added:
            return
        indices = sorted({self.index_of(w) for w in removed})
        if len(indices) != len(removed):
            raise EditError(f"track {self.name!r}: the same wave removed twice")
        if len(indices) + len(added) > _BULK_EDIT:
            waves, keys, check_at = _merged(self._waves, self._keys, indices, added)
        else:
            waves, keys, check_at = _inserted(self._waves, self._keys, indices, added)
        for i in sorted(check_at):
            problem = self._first_problem(waves, i - 1, i + 2)
            if problem:
                raise EditError(f"track {self.name!r}: {problem}")
        self._waves = waves
        self._keys = keys
        self.revision += 1
        span = [w.start for w in (*removed, *added)] + [w.offset for w in (*removed, *added)]
        for listener in list(self._listeners):
            listener(min(span), max(span))

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(first_sample, last_sample)`` after every change."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling ``listener``."""
        if listener in self._listeners:
            self._listeners.remove(listener)

