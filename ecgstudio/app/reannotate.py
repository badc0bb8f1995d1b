"""Headless re-annotation with the editor's rules (``ecgstudio annotate``): reviewed work is kept (no Qt)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ecgstudio.app import locks
from ecgstudio.app import session as files
from ecgstudio.app.document import Document
from ecgstudio.app.editing import EditingSession
from ecgstudio.app.history import PredictionReport
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import AnnotationError
from ecgstudio.core.record import Record
from ecgstudio.core.review import ReviewInfo, ReviewSpans
from ecgstudio.io.annotations import read_annotation_file
from ecgstudio.io.review import StaleReviewError, read_review_full


def write_prediction(
    record: Record,
    record_path: Path,
    predicted: Sequence[Delineation],
    *,
    ext: str,
    out_dir: Path,
    model: str,
    replace_reviewed: bool = False,
    merged: list[Delineation] | None = None,
) -> tuple[Path, PredictionReport]:
    """Headless re-annotation with the editor's rules: write ``predicted`` into ``out_dir/<record>.<ext>``.

    An existing file there (and its review sidecar) is read first and merged
    like :meth:`EditingSession.apply_prediction`: reviewed waves are kept
    exactly unless ``replace_reviewed``; the sidecar is rewritten with the
    spans still true and ``model`` as the source of the unreviewed waves.
    ``merged``, when given, is filled with the tracks as written (reviewed
    waves kept), e.g. to measure them.

    Raises
    ------
    AnnotationError
        If the existing file or sidecar cannot be read, or holds annotations
        that do not form valid waves (it is then left alone: overwriting it
        could destroy corrections; ``replace_reviewed`` replaces a readable
        one anyway).
    SaveError
        If the file cannot be written (the old one stays intact).
    """
    name = record_path.name
    target_stem = Path(out_dir) / name
    owner = locks.read_owner(target_stem.with_name(f"{name}.{ext}"))
    if owner is not None and locks.is_alive(owner):
        raise AnnotationError(f"{name}.{ext} is being edited by {owner.describe()}; not re-annotated")
    existing: list[Delineation] = []
    review, info = ReviewSpans(), ReviewInfo()
    if target_stem.with_name(f"{name}.{ext}").exists():
        found = read_annotation_file(target_stem, ext, n_samples=record.n_samples, fs=record.fs,
                                     lead_names=record.lead_names)
        if found.n_lost and not replace_reviewed:
            raise AnnotationError(f"{found.path}: {found.n_lost} of its {found.n_annotations} annotations do not "
                                  "form valid waves; not re-annotated (check it in the editor, or use "
                                  "--replace-reviewed to replace it)")
        existing = found.tracks
        try:
            full = read_review_full(target_stem.with_name(f"{name}.{ext}"), fs=record.fs)
        except StaleReviewError as exc:
            if not replace_reviewed:
                raise AnnotationError(f"{exc}; not re-annotated (check it in the editor, or use "
                                      "--replace-reviewed)") from None
            full = None
        if full is not None:
            review, info = full
    if not existing:
        existing = [Delineation((), n_samples=record.n_samples, fs=record.fs, name=ext)]
    existing.sort(key=lambda t: -1 if t.lead is None else t.lead)
    doc = Document(record=record, tracks=list(existing), editable_indices=tuple(range(len(existing))),
                   review=review, record_path=record_path, annotation_ext=ext, review_info=info,
                   disk_state=files.disk_state(target_stem.with_name(f"{name}.{ext}")))
    session = EditingSession(doc)
    report = session.apply_prediction(predicted, model=model, replace_reviewed=replace_reviewed)
    same_dir = Path(out_dir).absolute() == record_path.parent.absolute()
    if not same_dir:
        doc.annotation_dir = Path(out_dir)
    written = session.save(confirmed=replace_reviewed)
    if merged is not None:
        merged[:] = list(doc.tracks)
    return written, report
