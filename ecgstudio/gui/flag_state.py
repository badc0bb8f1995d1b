"""What the plot flags, cached per track revision (numpy only, no Qt).

* disagreements of an editable track with the reference it is compared with
  (:func:`ecgstudio.core.disagreement.find_disagreements`, CSE tolerances);
* the uncertain waves of an editable track: the worst share by confidence
  (:func:`ecgstudio.core.confidence.worst_share`), worst first.

Both are recomputed when a track's revision changes. The uncertain marks of a long
track (more than :data:`EXACT_LIMIT` waves) are drawn from its last exact computation
until the next one (``U``, the list, a change of share), so a drag on a 24-hour record
does not rebuild the whole-track columns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ecgstudio.core.confidence import DEFAULT_WORST_SHARE, worst_share
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.disagreement import Disagreements, find_disagreements
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.gui.segments import WaveArrays

#: Above this many waves, the marks may use a cut-off one edit old (module docstring).
EXACT_LIMIT = 20_000
_KINDS = (WaveKind.P, WaveKind.QRS, WaveKind.T)


@dataclass(frozen=True, eq=False)
class UncertainWaves:
    """The worst share of one track's waves, worst first.

    Attributes
    ----------
    starts : np.ndarray
        int64 ``(k,)``: wave starts (samples).
    kinds : np.ndarray
        int8 ``(k,)``: 0 P, 1 QRS, 2 T.
    confidence : np.ndarray
        float64 ``(k,)``, increasing.
    sorted_starts : np.ndarray
        int64 ``(k,)``: ``starts`` sorted (the marks look waves up in it).
    scored : int
        Waves of the track that carry a confidence; 0 when none does (a track
        read from a file or drawn by hand), where "0 uncertain" would mean nothing.
    """

    starts: np.ndarray
    kinds: np.ndarray
    confidence: np.ndarray
    sorted_starts: np.ndarray
    scored: int = 0

    def __len__(self) -> int:
        return int(self.starts.size)

    def kind(self, i: int) -> WaveKind:
        """Kind of entry ``i``."""
        return _KINDS[int(self.kinds[i])]

    def position_of(self, wave: Wave | None) -> int | None:
        """Index of ``wave`` in the list (``None`` if it is not uncertain)."""
        if wave is None:
            return None
        hit = np.flatnonzero((self.starts == wave.start) & (self.kinds == _KINDS.index(wave.kind)))
        return int(hit[0]) if hit.size else None

    def wave(self, track: Delineation, i: int) -> Wave | None:
        """The wave of ``track`` entry ``i`` names (``None`` if an edit removed it)."""
        return track.wave_at(int(self.starts[i]), self.kind(i))


_EMPTY = UncertainWaves(np.zeros(0, np.int64), np.zeros(0, np.int8), np.zeros(0), np.zeros(0, np.int64))


class FlagState:
    """Disagreements and uncertain waves, cached per track revision.

    Parameters
    ----------
    share : float
        Share of each track's scored waves called uncertain (default the worst 5 %).
    """

    def __init__(self, share: float = DEFAULT_WORST_SHARE) -> None:
        self.share = float(share)
        self._disagree: dict[tuple[int, int], tuple[Delineation, int, Delineation, int, Disagreements]] = {}
        self._uncertain: dict[int, tuple[Delineation, int, UncertainWaves]] = {}

    def set_share(self, share: float) -> None:
        """Call the worst ``share`` (0..1) of each track uncertain."""
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"share must be in [0, 1], got {share}")
        self.share = float(share)
        self._uncertain.clear()

    def disagreements(self, edited: Delineation, reference: Delineation) -> Disagreements:
        """Disagreements of ``edited`` with ``reference`` (recomputed after a change of either)."""
        key = (id(edited), id(reference))
        hit = self._disagree.get(key)
        if (hit is not None and hit[0] is edited and hit[2] is reference and hit[1] == edited.revision
                and hit[3] == reference.revision):
            return hit[4]
        found = find_disagreements(edited, reference)
        self._disagree[key] = (edited, edited.revision, reference, reference.revision, found)
        return found

    def uncertain(self, track: Delineation, arrays: Callable[[], WaveArrays]) -> UncertainWaves:
        """The worst share of ``track`` for its current revision.

        ``arrays()`` gives the whole-track columns (the plot's cache).
        """
        hit = self._uncertain.get(id(track))
        if hit is not None and hit[0] is track and hit[1] == track.revision:
            return hit[2]
        columns = arrays()
        chosen = worst_share(columns.confidence, self.share)
        scored = int(np.count_nonzero(np.isfinite(columns.confidence)))
        if chosen.size == 0:
            result = replace(_EMPTY, scored=scored) if scored else _EMPTY
        else:
            starts = columns.start[chosen]
            result = UncertainWaves(starts, columns.kind[chosen].astype(np.int8), columns.confidence[chosen],
                                    np.sort(starts), scored)
        self._uncertain[id(track)] = (track, track.revision, result)
        return result

    def marked(self, track: Delineation, arrays: Callable[[], WaveArrays], starts: np.ndarray) -> np.ndarray:
        """Boolean mask: which of the waves starting at ``starts`` (samples) of ``track`` are uncertain."""
        hit = self._uncertain.get(id(track))
        if hit is not None and hit[0] is track and (hit[1] == track.revision or len(track) > EXACT_LIMIT):
            found = hit[2]
        else:
            found = self.uncertain(track, arrays)
        table = found.sorted_starts
        if table.size == 0:
            return np.zeros(np.shape(starts), dtype=bool)
        i = np.clip(np.searchsorted(table, starts), 0, table.size - 1)
        return table[i] == starts

    def retain(self, tracks: list[Delineation]) -> None:
        """Forget tracks not in ``tracks``."""
        keep = {id(t) for t in tracks}
        self._disagree = {k: v for k, v in self._disagree.items() if k[0] in keep and k[1] in keep}
        self._uncertain = {k: v for k, v in self._uncertain.items() if k in keep}
