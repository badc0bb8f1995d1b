"""Edits as values: ``edit.apply(track)`` changes the track and returns the inverse.

The GUI's undo stack only stores these values; the rules live in
:class:`~ecgstudio.core.delineation.Delineation`. Every edit either applies
completely or raises :class:`~ecgstudio.core.errors.EditError` and leaves the
track unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import EditError
from ecgstudio.core.waves import Wave, WaveKind


class Edit(Protocol):
    """Anything with ``apply(track) -> inverse edit`` and a user-facing ``text``."""

    @property
    def text(self) -> str: ...

    def apply(self, track: Delineation) -> Edit: ...


@dataclass(frozen=True)
class ReplaceWaves:
    """Remove some waves and add others in one step (the primitive edit)."""

    removed: tuple[Wave, ...]
    added: tuple[Wave, ...]
    label: str = "Replace waves"

    @property
    def text(self) -> str:
        return self.label

    def apply(self, track: Delineation) -> ReplaceWaves:
        track.replace(self.removed, self.added)
        return ReplaceWaves(self.added, self.removed, self.label)


@dataclass(frozen=True)
class MoveBoundary:
    """Move ``field`` (``onset``/``peak``/``offset``) of ``wave`` to ``sample``.

    With ``clamp=True`` (a drag or a nudge) the boundary stops at the legal
    position nearest to ``sample`` (:meth:`Delineation.clamp_boundary`), so the
    move never fails for a wave of the track: at worst it leaves the wave
    where it is. Otherwise an illegal position raises.

    Attributes
    ----------
    wave : Wave
        The wave as it is in the track.
    field : str
        ``"onset"``, ``"peak"`` or ``"offset"``.
    sample : int
        Wanted position, in samples.
    clamp : bool
        Clamp ``sample`` to the legal range instead of refusing it.
    """

    wave: Wave
    field: str
    sample: int
    clamp: bool = False

    @property
    def text(self) -> str:
        return f"Move {self.wave.kind.value} {self.field}"

    def moved_wave(self, track: Delineation) -> Wave:
        """The wave as it will be after the move (``wave`` itself where it cannot move)."""
        if not self.clamp:
            return self.wave.with_boundary(self.field, int(self.sample))
        sample = track.clamp_boundary(self.wave, self.field, self.sample)
        return self.wave if sample is None else self.wave.with_boundary(self.field, sample)

    def apply(self, track: Delineation) -> ReplaceWaves:
        """Move the boundary and return the inverse edit.

        A move that ends where the boundary already is leaves the track
        untouched (no revision, no listener call) and returns an empty edit.

        Raises
        ------
        EditError
            If the track does not hold ``wave``, or (without ``clamp``) the
            new position breaks a rule; the track is then unchanged.
        """
        track.index_of(self.wave)
        moved = self.moved_wave(track)
        if moved == self.wave:
            return ReplaceWaves((), (), self.text)
        return ReplaceWaves((self.wave,), (moved,), self.text).apply(track)


@dataclass(frozen=True)
class AddWave:
    """Insert a new wave."""

    wave: Wave

    @property
    def text(self) -> str:
        return f"Add {self.wave.kind.value} wave"

    def apply(self, track: Delineation) -> ReplaceWaves:
        wave = self.wave if self.wave.lead == track.lead else replace(self.wave, lead=track.lead)
        return ReplaceWaves((), (wave,), self.text).apply(track)


@dataclass(frozen=True)
class DeleteWaves:
    """Delete one or more waves."""

    waves: tuple[Wave, ...]

    @property
    def text(self) -> str:
        return "Delete wave" if len(self.waves) == 1 else f"Delete {len(self.waves)} waves"

    def apply(self, track: Delineation) -> ReplaceWaves:
        return ReplaceWaves(self.waves, (), self.text).apply(track)


@dataclass(frozen=True)
class Relabel:
    """Change the kind (and optionally the peak symbol) of a wave."""

    wave: Wave
    kind: WaveKind
    symbol: str | None = None

    @property
    def text(self) -> str:
        return f"Relabel {self.wave.kind.value} as {self.kind.value}"

    def apply(self, track: Delineation) -> ReplaceWaves:
        new = replace(self.wave, kind=self.kind, symbol=self.symbol)
        return ReplaceWaves((self.wave,), (new,), self.text).apply(track)


@dataclass(frozen=True)
class ReplaceRange:
    """Replace every wave intersecting ``[start_sample, stop_sample]`` by ``waves``.

    Used to paste a model's prediction over a range, or to clear a range.
    """

    start_sample: int
    stop_sample: int
    waves: tuple[Wave, ...]

    @property
    def text(self) -> str:
        return "Clear range" if not self.waves else "Replace range"

    def apply(self, track: Delineation) -> ReplaceWaves:
        if self.stop_sample < self.start_sample:
            raise EditError(f"empty range {self.start_sample}..{self.stop_sample}")
        removed = tuple(track.waves_between(self.start_sample, self.stop_sample))
        added = tuple(w if w.lead == track.lead else replace(w, lead=track.lead) for w in self.waves)
        return ReplaceWaves(removed, added, self.text).apply(track)
