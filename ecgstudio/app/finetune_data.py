"""Training material for fine-tuning: reviewed spans of corrected annotation files.

Which annotations count as reviewed (per record, first match wins)
------------------------------------------------------------------
1. ECG Studio's own file ``<record>.ecgs`` with its review sidecar
   ``<record>.ecgs.review.json``: only the reviewed spans of the sidecar.
2. With ``ann_ext`` (e.g. ``q1c``, or a per-lead file such as LUDB's ``ii``):
   ``<record>.<ann_ext>``; the spans of its own sidecar when it has one, else
   the file's whole annotated extent.
3. With ``ann_ext="leads"`` (:data:`ALL_LEADS_EXT`): every per-lead file named
   after a lead of the record (LUDB ``N.i`` ... ``N.v6``), each labelling its
   own lead only, each with its own sidecar's spans or its whole extent. All
   leads of a 12-lead record are then trained, each by its own corrections.
4. Otherwise the record has no reviewed beats.

"No P wave annotated" (a track without any P wave)
------------------------------------------------
Its T-offset -> QRS-onset gaps would be labelled TP. That is a statement only
where someone said so: in spans reviewed in the editor (sidecar), or when the
record's header names a rhythm without P waves (atrial fibrillation or
flutter: :data:`NO_P_RHYTHM_WORDS`). Elsewhere (a reference file such as
LUDB's, whose sinus-rhythm paced records leave their P waves unannotated)
those TP samples are unlabelled: learning them as "TP" taught the model that
P waves are baseline and cost 7 % of P waves on other LUDB records and 20 %
on QTDB (issue 9; ``no_p`` = :data:`NO_P_POLICIES`).

Labels come from :func:`ecgstudio.app.dataset.load_labelled_leads` (the same
masks as full training: :func:`~ecgstudio.core.masks.to_mask` with the
record's known beats, so skipped beats and far-apart regions stay unlabelled;
a global track labels every lead, a per-lead track its own lead; prepared at
:data:`~ecgstudio.ml.preprocess.MODEL_FS`). Fine-tuning then zeroes the
weight of every sample outside the reviewed spans.

What is made of the material lives beside this module and is re-exported
here: windows in :mod:`ecgstudio.app.finetune_windows` (:func:`build_windows`),
held-out scores in :mod:`ecgstudio.app.finetune_scores`
(:func:`held_out_scores`), distillation toward the base model in
:mod:`ecgstudio.app.finetune_distill` (:func:`with_distillation`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ecgstudio.app.dataset import LabelledLead, load_labelled_leads
from ecgstudio.app.finetune_distill import DISTILL_MIN_CONFIDENCE as DISTILL_MIN_CONFIDENCE
from ecgstudio.app.finetune_distill import with_distillation as with_distillation
from ecgstudio.app.finetune_scores import SCORE_CONTEXT_S as SCORE_CONTEXT_S
from ecgstudio.app.finetune_scores import SCORE_GAP_S as SCORE_GAP_S
from ecgstudio.app.finetune_scores import held_out_scores as held_out_scores
from ecgstudio.app.finetune_windows import MIN_WEIGHTED_FRACTION as MIN_WEIGHTED_FRACTION
from ecgstudio.app.finetune_windows import build_windows as build_windows
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import AnnotationError
from ecgstudio.core.review import ReviewSpans
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.io.annotations import DEFAULT_EXT, read_tracks
from ecgstudio.io.records import read_header, resolve_record_path
from ecgstudio.io.review import read_review
from ecgstudio.ml.preprocess import MODEL_FS

#: ``ann_ext`` value that uses every per-lead annotation file of a record (one per lead, named after the lead).
ALL_LEADS_EXT = "leads"

#: Words of a header's rhythm line that state "no P waves" (lower case).
NO_P_RHYTHM_WORDS = ("fibrillation", "flutter")

#: How the TP gaps of a track without P waves are treated: ``"rhythm"`` (a statement in reviewed spans
#: and in records whose header names AF/flutter; otherwise unlabelled), ``"statement"`` (always
#: labelled TP: the behaviour that lost P waves), ``"unlabelled"`` (never labelled).
NO_P_POLICIES = ("rhythm", "statement", "unlabelled")

#: Which leads a track labels: ``"own"`` (per-lead: its lead; global: all) or ``"all"`` (every track, all leads).
LABEL_LEADS = ("own", "all")


def rhythm_states_no_p(comments: Iterable[str]) -> bool:
    """Whether header comment lines name a rhythm without P waves (atrial fibrillation/flutter).

    Lines starting with ``Rhythm`` decide when there are any; otherwise any line counts.
    """
    lines = [c.strip().lstrip("#").strip().lower() for c in comments]
    rhythm = [c for c in lines if c.startswith("rhythm")] or lines
    return any(word in c for c in rhythm for word in NO_P_RHYTHM_WORDS)


@dataclass(frozen=True)
class ReviewedSource:
    """The annotation file of a record that counts as reviewed.

    Attributes
    ----------
    ext : str
        Annotation extension (``"ecgs"``, ``"q1c"``, ``"ii"`` ...), or
        :data:`ALL_LEADS_EXT` for every per-lead file of the record.
    spans : ReviewSpans | None
        Reviewed spans in record samples, from the review sidecar;
        ``None``: the whole annotated extent counts (:data:`ALL_LEADS_EXT`:
        see ``files``).
    files : tuple[tuple[str, ReviewSpans | None], ...]
        :data:`ALL_LEADS_EXT` only: ``(extension, sidecar spans or None)`` of
        each per-lead file used, in lead order.
    """

    ext: str
    spans: ReviewSpans | None
    files: tuple[tuple[str, ReviewSpans | None], ...] = ()

    @property
    def kind(self) -> str:
        """``"review"`` (sidecar spans) or ``"extent"`` (whole annotated extent)."""
        if self.files:
            return "extent" if all(sp is None for _, sp in self.files) else "review"
        return "extent" if self.spans is None else "review"

    def parts(self) -> tuple[tuple[str, ReviewSpans | None], ...]:
        """``(extension, spans)`` of every annotation file this source reads."""
        return self.files if self.files else ((self.ext, self.spans),)


@dataclass(frozen=True)
class RecordMaterial:
    """The reviewed training material of one record.

    Attributes
    ----------
    path : Path
        Record path without extension.
    name : str
        Record name.
    fs : float
        Sampling frequency in Hz.
    n_samples : int
        Record length in samples.
    source : ReviewedSource | None
        Where the labels come from (``None``: nothing reviewed).
    beat_samples : np.ndarray
        int64, sorted: R peak (or QRS middle) of every reviewed beat, in
        record samples (per-lead tracks: the track with most beats).
    tracks : tuple[Delineation, ...]
        The tracks of the reviewed annotation file.
    part : tuple[int, int]
        Record samples ``[lo, hi)`` whose labels count (all, unless split in time).
    leads : tuple[LabelledLead, ...]
        Prepared leads at :data:`MODEL_FS`, weight 0 outside reviewed spans
        and ``part``. Empty when only the beats were counted.
    track_spans : tuple[ReviewSpans | None, ...]
        Reviewed spans of each of ``tracks`` (empty: ``source.spans`` for all).
    """

    path: Path
    name: str
    fs: float
    n_samples: int
    source: ReviewedSource | None
    beat_samples: np.ndarray
    tracks: tuple[Delineation, ...] = ()
    part: tuple[int, int] = (0, 0)
    leads: tuple[LabelledLead, ...] = ()
    track_spans: tuple[ReviewSpans | None, ...] = ()

    def spans_of(self, track: Delineation) -> ReviewSpans | None:
        """Reviewed spans of one of :attr:`tracks` (``None``: its whole extent)."""
        for t, spans in zip(self.tracks, self.track_spans, strict=False):
            if t is track:
                return spans
        return self.source.spans if self.source is not None else ReviewSpans()

    @property
    def n_beats(self) -> int:
        """Number of reviewed beats (QRS complexes wholly inside the reviewed spans)."""
        return int(self.beat_samples.size)

    def restricted(self, lo: int, hi: int) -> RecordMaterial:
        """The same material with weight only inside record samples ``[lo, hi)``."""
        leads = tuple(replace(lead, weights=lead.weights * _span_mask(lead.weights.size, [(lo, hi)], self.fs))
                      for lead in self.leads)
        beats = self.beat_samples[(self.beat_samples >= lo) & (self.beat_samples < hi)]
        part = (max(lo, self.part[0]), min(hi, self.part[1]))
        return replace(self, leads=leads, beat_samples=beats, part=part)

    def reviewed_waves(self, track: Delineation) -> list[Wave]:
        """Waves of ``track`` wholly inside the reviewed spans and :attr:`part`."""
        spans = self.spans_of(track)
        lo, hi = self.part
        return [w for w in track.waves if lo <= w.start and w.offset < hi and _inside(w.start, w.offset, spans)]


def _reviewed(annotation_path: Path, fs: float) -> ReviewSpans | None:
    """Spans of the annotation file's review sidecar; ``None`` without one or when it is empty."""
    review = read_review(annotation_path, fs=fs)
    return review if review else None


def per_lead_files(record_path: Path, lead_names: Iterable[str]) -> list[str]:
    """Extensions of the record's per-lead annotation files (named after a lead, case-insensitive), in lead order."""
    present = {p.name[len(record_path.name) + 1:].lower(): p.name[len(record_path.name) + 1:]
               for p in record_path.parent.glob(f"{record_path.name}.*")
               if p.is_file() and not p.name.endswith(".review.json")}
    return [present[name.lower()] for name in lead_names if name.lower() in present]


def find_source(record_path: Path, ann_ext: str | None, fs: float,
                lead_names: Iterable[str] = ()) -> ReviewedSource | None:
    """Which annotation file(s) count as reviewed for a record (see the module docstring).

    Returns
    -------
    ReviewedSource | None
        ``None`` when the record has no usable annotation.
    """
    own = record_path.with_name(f"{record_path.name}.{DEFAULT_EXT}")
    if own.is_file():
        spans = _reviewed(own, fs)
        if spans is not None:
            return ReviewedSource(DEFAULT_EXT, spans)
    if ann_ext == ALL_LEADS_EXT:
        exts = per_lead_files(record_path, lead_names)
        if not exts:
            return None
        return ReviewedSource(ALL_LEADS_EXT, None, tuple(
            (ext, _reviewed(record_path.with_name(f"{record_path.name}.{ext}"), fs)) for ext in exts))
    if ann_ext:
        ref = record_path.with_name(f"{record_path.name}.{ann_ext}")
        if ref.is_file():
            return ReviewedSource(ann_ext, _reviewed(ref, fs))
    return None


def _as_global(track: Delineation) -> Delineation:
    """The same waves as a global track (``lead=None``)."""
    if track.lead is None:
        return track
    out, _ = Delineation.from_waves_lenient(list(track.waves), n_samples=track.n_samples, fs=track.fs,
                                            name=track.name)
    return out


def _span_mask(m: int, spans: Iterable[tuple[int, int]], fs: float) -> np.ndarray:
    """float32 ``(m,)`` on the model grid: 1 inside record-sample spans, 0 elsewhere."""
    mask = np.zeros(m, dtype=np.float32)
    for a, b in spans:
        lo, hi = int(np.ceil(a * MODEL_FS / fs)), int(np.ceil(b * MODEL_FS / fs))
        mask[max(0, lo): max(0, min(m, hi))] = 1.0
    return mask


def _inside(wave_start: int, wave_stop: int, spans: ReviewSpans | None) -> bool:
    return spans is None or spans.covers(wave_start, wave_stop)


def _beats(tracks: list[Delineation], track_spans: list[ReviewSpans | None]) -> np.ndarray:
    best = np.zeros(0, dtype=np.int64)
    for track, spans in zip(tracks, track_spans, strict=True):
        peaks = np.asarray([
            w.peak if w.peak is not None and w.start <= w.peak <= w.offset else (w.start + w.offset) // 2
            for w in track.waves if w.kind is WaveKind.QRS and _inside(w.start, w.offset, spans)
        ], dtype=np.int64)
        if peaks.size > best.size:
            best = peaks
    return np.sort(best)


def collect_record(record: str | os.PathLike[str], ann_ext: str | None = None, *,
                   with_signal: bool = True, no_p: str = "rhythm", label_leads: str = "own") -> RecordMaterial:
    """Read the reviewed material of one record.

    Parameters
    ----------
    record : path
        Record path (``dir/rec`` or ``dir/rec.hea``).
    ann_ext : str | None
        Reference annotator used when the record has no ``ecgs`` review state
        (:data:`ALL_LEADS_EXT`: every per-lead file, each for its own lead).
    with_signal : bool
        Also read and prepare the signal (``False``: count beats only, cheap).
    no_p : str
        One of :data:`NO_P_POLICIES` (see the module docstring).
    label_leads : str
        One of :data:`LABEL_LEADS`: ``"own"`` (a per-lead track labels its
        own lead, a global track every lead) or ``"all"`` (every track labels
        every lead and is held out as a global track: a per-lead file taken
        as the record's boundaries, as QTDB's ``q1c`` is; not with
        :data:`ALL_LEADS_EXT`).

    Returns
    -------
    RecordMaterial
        ``source is None`` and no beats when nothing is reviewed.

    Raises
    ------
    RecordError, AnnotationError
        The record, its annotation file or its review sidecar cannot be read.
    """
    if label_leads not in LABEL_LEADS:
        raise ValueError(f"label_leads must be one of {LABEL_LEADS}, got {label_leads!r}")
    every_lead = label_leads == "all"
    path = resolve_record_path(record)
    info = read_header(path)
    source = find_source(path, ann_ext, info.fs, info.lead_names)
    if every_lead and source is not None and source.files:
        raise AnnotationError(f"labelling every lead needs one annotation file per record, not --ann-ext "
                              f"{ALL_LEADS_EXT}")
    empty = np.zeros(0, dtype=np.int64)
    part = (0, int(info.n_samples))
    if source is None:
        return RecordMaterial(path, info.name, float(info.fs), int(info.n_samples), None, empty, part=part)
    tracks: list[Delineation] = []
    track_spans: list[ReviewSpans | None] = []
    for ext, spans in source.parts():
        file_tracks = read_tracks(path, ext, n_samples=info.n_samples, fs=info.fs, lead_names=info.lead_names)
        if every_lead:
            file_tracks = [_as_global(t) for t in file_tracks]
        tracks += file_tracks
        track_spans += [spans] * len(file_tracks)
    material = RecordMaterial(path, info.name, float(info.fs), int(info.n_samples), source,
                              _beats(tracks, track_spans), tuple(tracks), part, track_spans=tuple(track_spans))
    if not with_signal or material.n_beats == 0:
        return material
    if no_p not in NO_P_POLICIES:
        raise ValueError(f"no_p must be one of {NO_P_POLICIES}, got {no_p!r}")
    leads: list[LabelledLead] = []
    for ext, spans in source.parts():
        file_statement = {"statement": True, "unlabelled": False}.get(
            no_p, spans is not None or rhythm_states_no_p(info.comments))
        file_leads = load_labelled_leads(path, ext, tp_without_p=file_statement, every_lead=every_lead)
        if spans is not None:
            file_leads = [replace(lead, weights=lead.weights * _span_mask(lead.weights.size, spans, info.fs))
                          for lead in file_leads]
        leads += file_leads
    return replace(material, leads=tuple(leads))


def count_reviewed_beats(record_path: str | os.PathLike[str], ann_ext: str | None = None) -> int:
    """Number of reviewed beats fine-tuning would learn from in one record.

    A beat counts when its QRS complex lies wholly inside a reviewed span
    (per-lead files: the lead with most such beats). Only the header, the
    annotation file and its review sidecar are read.

    Parameters
    ----------
    record_path : path
        Record path (``dir/rec`` or ``dir/rec.hea``).
    ann_ext : str | None
        Reference annotator used when the record has no ``ecgs`` review state.

    Returns
    -------
    int
        0 when the record has no reviewed annotation.
    """
    return collect_record(record_path, ann_ext, with_signal=False).n_beats


def split_by_time(material: RecordMaterial, val_fraction: float) -> tuple[RecordMaterial, RecordMaterial, int]:
    """Hold out the last ``val_fraction`` of a record's reviewed beats (single-record fine-tuning).

    The split sample lies half-way between the last training beat and the
    first held-out beat; labels on either side belong to one part only (the
    signal across the split is still seen as context).

    Returns
    -------
    train, validation : RecordMaterial
    split_sample : int
        First record sample of the held-out part.

    Raises
    ------
    ValueError
        With fewer than two reviewed beats.
    """
    beats = material.beat_samples
    if beats.size < 2:
        raise ValueError(f"{material.name}: {beats.size} reviewed beat(s), need at least 2 to hold out a time span")
    n_val = min(beats.size - 1, max(1, int(round(val_fraction * beats.size))))
    k = beats.size - n_val
    split = int((beats[k - 1] + beats[k]) // 2)
    return material.restricted(0, split), material.restricted(split, material.n_samples), split
