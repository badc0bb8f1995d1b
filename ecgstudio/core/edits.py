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

    With ``clamp=True`` the sample is first clamped to what the rules allow
    (as a drag does); otherwise an illegal position raises.
    """

    wave: Wave
    field: str
    sample: int
    clamp: bool = False

    @property
    def text(self) -> str:
        return f"Move {self.wave.kind.value} {self.field}"

    def moved_wave(self, track: Delineation) -> Wave:
        """The wave as it will be after the move."""
        sample = track.clamp_boundary(self.wave, self.field, self.sample) if self.clamp else self.sample
        return self.wave.with_boundary(self.field, int(sample))

    def apply(self, track: Delineation) -> ReplaceWaves:
        moved = self.moved_wave(track)
        inverse = ReplaceWaves((self.wave,), (moved,), self.text).apply(track)
        return inverse


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
