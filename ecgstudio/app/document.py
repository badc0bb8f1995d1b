"""The open document: one record, its annotation tracks and where edits are saved.

A :class:`Document` is plain data (no Qt): the GUI shows it and changes the
editable track through :mod:`ecgstudio.core.edits` values; :mod:`ecgstudio.app.session`
reads and writes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.record import Record
from ecgstudio.core.review import ReviewInfo, ReviewSpans
from ecgstudio.io.annotations import DEFAULT_EXT


def track_names(ext: str, leads: Sequence[int | None], lead_names: Sequence[str]) -> list[str]:
    """Names of the tracks of one annotation file, as the editor shows them.

    A file holding one track, and a file's global track, are named ``ext``; with
    several tracks, a lead's track is ``ext:<lead name>`` (``ecgs:V5``; the lead
    index where the record has no such lead). Tracks read from a file and tracks
    about to be saved to one (a prediction, a copied reference) are named alike.

    Parameters
    ----------
    ext : str
        The file's extension (``"q1c"``, ``"ecgs"``).
    leads : Sequence[int | None]
        Each track's lead (``None``: global), in file order.
    lead_names : Sequence[str]
        The record's lead names.
    """
    names = []
    for lead in leads:
        if len(leads) == 1 or lead is None:
            names.append(ext)
        else:
            names.append(f"{ext}:{lead_names[lead] if 0 <= lead < len(lead_names) else lead}")
    return names


@dataclass(eq=False)
class Document:
    """A record opened for delineation.

    Attributes
    ----------
    record : Record
        The signal, ``(n_samples, n_leads)`` float32 in mV.
    tracks : list[Delineation]
        Every annotation track shown, with unique ``.name``s: the reference
        (read-only) tracks read from the files beside the record, and the
        editable one.
    editable_indices : tuple[int, ...]
        Indices in ``tracks`` of the tracks the user edits and Save writes, in
        file order: one global track, or one per-lead track per lead (a
        per-lead ``.ecgs``), or both. Empty when every track is read-only.
    review : ReviewSpans
        Sample spans (half-open) a clinician has marked reviewed.
    record_path : Path
        Record path without extension (``dir/sel100``).
    annotation_ext : str
        Extension Save writes the editable track to (``"ecgs"``).
    annotation_dir : Path | None
        Folder Save writes to; ``None`` means beside the record.
    model_stem : str | None
        Model that produced (or will produce) the editable track's waves.
    notes : list[str]
        One-line remarks gathered while opening (annotation files skipped and why).
    review_info : ReviewInfo
        Who reviewed which spans when, and which model produced the
        unreviewed waves (review sidecar version 2).
    protected_path : Path | None
        An annotation file that holds annotations this document could not
        represent (waves breaking a rule, lone boundary marks): Save does not
        replace it unless the user confirms, so opening and saving never
        loses content.
    disk_state : tuple[int, int] | None
        ``(size, mtime_ns)`` of the annotation file when it was read or last
        written (``None``: it did not exist); Save refuses to replace a file
        that changed since, unless the user confirms.
    review_problem : str | None
        Why the review sidecar could not be read (``None``: read or absent);
        Save then renames that file to ``<name>.unreadable-<time>`` before
        writing a new one, so its marks are never lost.
    """

    record: Record
    tracks: list[Delineation]
    editable_indices: tuple[int, ...]
    review: ReviewSpans
    record_path: Path
    annotation_ext: str = DEFAULT_EXT
    annotation_dir: Path | None = None
    model_stem: str | None = None
    notes: list[str] = field(default_factory=list)
    review_info: ReviewInfo = field(default_factory=ReviewInfo)
    protected_path: Path | None = None
    disk_state: tuple[int, int] | None = None
    review_problem: str | None = None

    @property
    def name(self) -> str:
        """Record name (``"sel100"``)."""
        return self.record.name

    @property
    def fs(self) -> float:
        """Sampling frequency in Hz."""
        return self.record.fs

    @property
    def n_samples(self) -> int:
        """Record length in samples."""
        return self.record.n_samples

    @property
    def editable_index(self) -> int | None:
        """Index of the first editable track (the global one when there is one), or ``None``."""
        return self.editable_indices[0] if self.editable_indices else None

    @property
    def editable_track(self) -> Delineation | None:
        """The first editable track (see :attr:`editable_index`), or ``None`` when all are read-only."""
        index = self.editable_index
        return None if index is None else self.tracks[index]

    @property
    def editable_tracks(self) -> list[Delineation]:
        """Every track Save writes, in file order."""
        return [self.tracks[i] for i in self.editable_indices]

    def editable_track_for(self, lead: int | None) -> Delineation | None:
        """The editable track of ``lead`` (``None``: the global one), if there is one."""
        for track in self.editable_tracks:
            if track.lead == lead:
                return track
        return None

    @property
    def reference_tracks(self) -> list[Delineation]:
        """The read-only tracks, in display order."""
        return [t for i, t in enumerate(self.tracks) if i not in self.editable_indices]

    def annotation_path(self, ext: str | None = None, out_dir: Path | None = None) -> Path:
        """Path of the annotation file Save writes (``<dir>/<record>.<ext>``)."""
        folder = out_dir or self.annotation_dir or self.record_path.parent
        return Path(folder) / f"{self.record_path.name}.{ext or self.annotation_ext}"

    def track_named(self, name: str) -> Delineation | None:
        """The track called ``name``, or ``None``."""
        for track in self.tracks:
            if track.name == name:
                return track
        return None

    def unique_track_name(self, wanted: str) -> str:
        """``wanted``, or ``wanted-2``, ``wanted-3``... if a track already has that name."""
        names = {t.name for t in self.tracks}
        if wanted not in names:
            return wanted
        i = 2
        while f"{wanted}-{i}" in names:
            i += 1
        return f"{wanted}-{i}"
