"""The report of reading one boundary annotation file (:class:`AnnotationFile`).

Part of :mod:`ecgstudio.io.annotations`, which re-exports :class:`AnnotationFile`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.waves import Wave

__all__ = ["AnnotationFile"]


@dataclass(frozen=True)
class AnnotationFile:
    """What :func:`~ecgstudio.io.annotations.read_annotation_file` found in one file.

    Attributes
    ----------
    path : Path
        The annotation file.
    tracks : list[Delineation]
        One global track, or one per-lead track per lead (see :mod:`ecgstudio.io.annotations`).
    dropped : dict[int | None, list[Wave]]
        Per track lead, the waves left out because they broke a rule.
    n_unparsed : int
        Annotations that are not part of a P/QRS/T wave (U waves, unmatched
        boundaries, other labels); they are kept for writing back.
    n_annotations : int
        Annotations in the file.
    """

    path: Path
    tracks: list[Delineation]
    dropped: dict[int | None, list[Wave]] = field(default_factory=dict)
    n_unparsed: int = 0
    n_annotations: int = 0

    @property
    def n_lost(self) -> int:
        """Annotations of the file that writing :attr:`tracks` back would not reproduce (0: lossless)."""
        from ecgstudio.io._boundaries import track_annotations

        return max(0, self.n_annotations - sum(len(track_annotations(t.waves)) for t in self.tracks))

    @property
    def n_dropped(self) -> int:
        """Total number of dropped waves."""
        return sum(len(v) for v in self.dropped.values())
