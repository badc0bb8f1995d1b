"""The headless editing session: one document, its edits, review, pre-annotation, saving and recovery (no Qt).

Everything that decides what happens to a clinician's corrections lives here,
so the editor window, the CLI and scripts get exactly the same semantics
(docs/ARCHITECTURE.md, "Editing session"):

* **history** — every change is a step of edit values with their inverses
  (:mod:`ecgstudio.core.edits`; review changes and whole-track swaps too);
  :meth:`EditingSession.undo` / :meth:`~EditingSession.redo` replay them
  exactly; a step that fails leaves the document unchanged (the history,
  revision, dirty state and notifications:
  :class:`~ecgstudio.app.session_history.SessionHistory`, the base class);
* **revision and dirty state** — ``revision`` counts changes; ``dirty`` is
  whether the state differs from the last save (undoing back to it is clean);
* **one change notification** — :meth:`EditingSession.subscribe`;
* **every editable track** — a global track and/or one per lead; an edit goes
  to the track of its wave's lead; Save writes all of them;
* **pre-annotation keeps reviewed work** — :meth:`~EditingSession.apply_prediction`
  replaces only unreviewed spans unless told ``replace_reviewed=True`` (then
  the review marks go too, so nothing claims reviewed what a model wrote);
* **save, autosave and recovery** — :meth:`~EditingSession.save` (or
  :meth:`~EditingSession.prepare_save`, :class:`~ecgstudio.app.save_job.SaveJob`
  in any thread, :meth:`~EditingSession.finish_save`),
  :meth:`~EditingSession.recovery_snapshot`, :meth:`~EditingSession.restore`.

A script::

    session = EditingSession.open("data/sel100")
    session.apply_prediction(preannotate(session.document.record), model="default")
    qrs = next(w for w in session.track().waves if w.kind is WaveKind.QRS)
    session.apply(MoveBoundary(qrs, "onset", qrs.onset - 2, clamp=True))
    session.undo()
    session.mark_reviewed(0, 2500, reviewer="anna")
    session.save()
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ecgstudio.app import autosave
from ecgstudio.app import session as files
from ecgstudio.app.autosave import PendingRecovery  # the class body's `autosave` is the method
from ecgstudio.app.document import DEFAULT_EXT, track_names
from ecgstudio.app.history import (
    PredictionReport,
    ReviewChange,
    SessionChange,
    SetEditable,
    TrackEdit,
    TrackSwap,
    default_reviewer,
    edit_lead,
    now_iso,
)
from ecgstudio.app.save_job import SaveJob as SaveJob
from ecgstudio.app.session_history import Listener as Listener
from ecgstudio.app.session_history import SessionHistory
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.edits import Edit
from ecgstudio.core.errors import EditError, SaveError
from ecgstudio.core.merge import merge_prediction
from ecgstudio.core.review import ReviewInfo, ReviewMark, ReviewSpans

__all__ = ["EditingSession", "PredictionReport", "SaveJob", "SessionChange", "edit_lead"]


class EditingSession(SessionHistory):
    """One open document with undo/redo, dirty state, saving and recovery.

    Parameters
    ----------
    document : Document
        The document (from :func:`ecgstudio.app.session.open_document`); the
        session changes it in place.
    """

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, ext: str = DEFAULT_EXT,
             model_stem: str | None = None) -> EditingSession:
        """Open a record with its annotation files (see :func:`ecgstudio.app.session.open_document`)."""
        return cls(files.open_document(path, ext=ext, model_stem=model_stem))

    # ------------------------------------------------------------------ tracks
    def track(self, lead: int | None = None) -> Delineation:
        """The editable track of ``lead`` (``None``: the global one, else the first editable track).

        Raises
        ------
        EditError
            If the document has no editable track for that lead.
        """
        doc = self.document
        found = doc.editable_track_for(lead)
        if found is None and lead is None and doc.editable_tracks:
            found = doc.editable_tracks[0]
        if found is None:
            where = "global" if lead is None else doc.record.lead_names[lead] if \
                0 <= lead < doc.record.n_leads else f"lead {lead}"
            raise EditError(f"{doc.name}: no editable {where} track")
        return found

    def _index_of(self, lead: int | None) -> int:
        track = self.track(lead)
        return next(i for i in self.document.editable_indices if self.document.tracks[i] is track)

    # ------------------------------------------------------------------ edits
    def apply(self, edit: Edit, *, lead: int | None | str = "auto", text: str | None = None) -> None:
        """Apply an edit value to an editable track as one undo step.

        Parameters
        ----------
        edit : Edit
            A :mod:`ecgstudio.core.edits` value.
        lead : int | None | "auto"
            The editable track to change: ``"auto"`` takes the lead of the
            edit's wave(s) (:func:`edit_lead`).
        text : str | None
            Undo text; ``edit.text`` by default.

        Raises
        ------
        EditError
            If the edit breaks a rule; nothing changed.
        """
        self._check_writable()
        target = edit_lead(edit) if lead == "auto" else lead
        index = self._index_of(target)  # type: ignore[arg-type]
        track = self.document.tracks[index]
        revision = track.revision
        backward = self._run([TrackEdit(index, edit)])
        if track.revision == revision:
            return  # nothing changed (a clamped move that stayed put): no undo step, not dirty
        if self._group is not None:
            self._group.append(((TrackEdit(index, edit),), backward))
            return
        self._record(text or edit.text, (TrackEdit(index, edit),), backward)

    # ------------------------------------------------------------------ review
    def set_review(self, spans: ReviewSpans, text: str = "Mark reviewed", *,
                   info: ReviewInfo | None = None) -> None:
        """Replace the reviewed spans (and optionally their provenance) as one undo step."""
        doc = self.document
        self._commit(text, [ReviewChange(spans, info if info is not None else doc.review_info)])

    def mark_reviewed(self, start: int, stop: int, *, reviewer: str | None = None,
                      text: str = "Mark reviewed") -> None:
        """Mark samples ``[start, stop)`` reviewed by ``reviewer`` now, as one undo step."""
        doc = self.document
        start, stop = max(0, int(start)), min(doc.n_samples, int(stop))
        if stop <= start:
            return
        mark = ReviewMark(start, stop, reviewer or default_reviewer(), now_iso())
        self.set_review(doc.review.add(start, stop), text, info=doc.review_info.with_mark(mark))

    def unmark_reviewed(self, start: int, stop: int) -> None:
        """Mark samples ``[start, stop)`` not reviewed, as one undo step."""
        self.set_review(self.document.review.remove(int(start), int(stop)), "Unmark reviewed")

    # ------------------------------------------------------------------ whole tracks
    def _swap(self, index: int, waves: Sequence, text: str) -> None:
        old = self.document.tracks[index]
        new = Delineation(waves, n_samples=old.n_samples, fs=old.fs, lead=old.lead, name=old.name)
        self._commit(text, [TrackSwap(index, new)])

    @property
    def prediction_per_lead(self) -> bool:
        """Whether pre-annotation should produce per-lead tracks (every editable track is per-lead)."""
        tracks = self.document.editable_tracks
        return bool(tracks) and all(t.lead is not None for t in tracks)

    def has_reviewed_work(self) -> bool:
        """Whether some editable wave lies in a reviewed span (re-annotation would keep it)."""
        return bool(self.document.review) and any(len(t) for t in self.document.editable_tracks)

    def apply_prediction(self, predicted: Sequence[Delineation], *, model: str,
                         replace_reviewed: bool = False) -> PredictionReport:
        """Put a model's tracks into the editable tracks as one undo step.

        By default only unreviewed spans change: every wave touching a
        reviewed span is kept exactly (:func:`ecgstudio.core.merge.merge_prediction`).
        With ``replace_reviewed=True`` the prediction replaces everything and
        the review marks are cleared in the same step (a model's output is
        never left marked reviewed). The review sidecar's provenance names
        ``model`` as the source of the unreviewed waves.

        Parameters
        ----------
        predicted : Sequence[Delineation]
            The model's tracks: a global one and/or per-lead ones. Each
            editable track takes the predicted track of its lead, else the
            global one.
        model : str
            Model name recorded as the source of the unreviewed waves.
        replace_reviewed : bool
            Replace reviewed work too (the editor asks first; the CLI needs
            ``--replace-reviewed``).

        Raises
        ------
        EditError
            If no predicted track fits an editable track.
        """
        doc = self.document
        if not predicted:
            raise EditError(f"{doc.name}: the model returned no track")
        by_lead = {t.lead: t for t in predicted}
        had_review = bool(doc.review)
        review = ReviewSpans() if replace_reviewed else doc.review
        n_kept = n_pred = n_drop = 0
        editable = doc.editable_tracks
        fits = all(t.lead in by_lead or None in by_lead for t in editable)
        with self.group(f"Pre-annotate with {model}"):
            if not fits and not any(len(t) for t in editable):
                # an empty global track and a per-lead prediction (or the reverse): take the model's layout
                self._commit("", [SetEditable(self._named_copies(predicted))])
                n_pred = sum(len(t) for t in predicted)
            else:
                for index in doc.editable_indices:
                    track = doc.tracks[index]
                    source = by_lead.get(track.lead, by_lead.get(None))
                    if source is None:
                        continue  # no prediction for this lead: left as it is
                    result = merge_prediction(track, source.waves, review)
                    n_kept += result.n_kept
                    n_pred += result.n_predicted
                    n_drop += result.n_seam_dropped
                    self._swap(index, result.waves, "Pre-annotate")
            marks = () if replace_reviewed else doc.review_info.marks  # replaced work is no longer reviewed
            info = ReviewInfo(marks, model, now_iso())
            self._commit("", [ReviewChange(review, info)])
        n_waves = sum(len(t) for t in doc.editable_tracks)
        return PredictionReport(n_waves, n_kept, n_pred, n_drop, replace_reviewed and had_review)

    def _named_copies(self, tracks: Sequence[Delineation]) -> tuple[Delineation, ...]:
        """Copies of ``tracks`` named as the editable file's tracks (:func:`~ecgstudio.app.document.track_names`)."""
        doc = self.document
        names = track_names(doc.annotation_ext, [t.lead for t in tracks], doc.record.lead_names)
        return tuple(t.copy(name) for t, name in zip(tracks, names, strict=True))

    def copy_reference(self, names: Sequence[str], text: str = "Edit a copy of the reference") -> int:
        """Make copies of reference tracks the editable tracks (e.g. LUDB's lead files), one undo step.

        The editable file then holds one track per lead of the copied tracks
        (a global reference becomes the global editable track). Reference
        files themselves are never changed. The reviewed spans are cleared in
        the same step (they described the replaced waves), and the sidecar
        names the copied files as the source of the unreviewed waves.

        Returns
        -------
        int
            Number of waves copied.
        """
        doc = self.document
        chosen = [t for t in doc.reference_tracks if t.name in set(names)]
        if not chosen:
            raise EditError(f"{doc.name}: no reference track named {', '.join(names)}")
        by_lead: dict[int | None, Delineation] = {}
        for track in chosen:
            by_lead.setdefault(track.lead, track)
        new_tracks = self._named_copies([by_lead[lead] for lead in sorted(by_lead, key=lambda k: -1 if k is None else k)])
        source = "copy of " + ", ".join(sorted({t.name for t in chosen}))[:150]
        info = ReviewInfo((), source, now_iso())
        self._commit(text, [SetEditable(new_tracks), ReviewChange(ReviewSpans(), info)])
        return sum(len(t) for t in new_tracks)

    # ------------------------------------------------------------------ saving
    def would_overwrite_reference(self, ext: str | None = None, out_dir: Path | None = None) -> bool:
        """Whether saving to ``ext``/``out_dir`` would replace a reference file (ask first)."""
        return files.would_overwrite_reference(self.document, ext=ext, out_dir=out_dir)

    def save_conflict(self, ext: str | None = None, out_dir: Path | None = None) -> str | None:
        """Why Save to ``ext``/``out_dir`` needs the user's confirmation, or ``None``.

        The target holds annotations this document could not open, or it
        changed on disk since it was read or last written (another editor or
        program saved it).
        """
        doc = self.document
        target = doc.annotation_path(ext, out_dir)
        if doc.protected_path is not None and target.absolute() == doc.protected_path.absolute():
            return (f"{target.name} holds annotations that could not be opened here; replacing it loses them "
                    "(Save As keeps it)")
        if files.changed_on_disk(doc, ext, out_dir):
            return f"{target.name} changed on disk since it was opened (another editor or program saved it)"
        return None

    def prepare_save(self, *, ext: str | None = None, out_dir: str | os.PathLike[str] | None = None,
                     overwrite_reference: bool = False, confirmed: bool = False) -> SaveJob:
        """A save that can run in another thread (:meth:`SaveJob.run`), then :meth:`finish_save`."""
        doc = self.document
        if self.read_only_reason is not None:
            raise SaveError(f"{doc.name} is open read-only ({self.read_only_reason})")
        tracks = [t.copy() for t in doc.editable_tracks]
        n = len(doc.tracks) - len(tracks)
        refs = doc.reference_tracks
        snapshot = replace(doc, tracks=[*refs, *tracks], editable_indices=tuple(range(n, n + len(tracks))),
                           notes=[])
        return SaveJob(snapshot, self._position(), ext, None if out_dir is None else Path(out_dir),
                       overwrite_reference, confirmed)

    def finish_save(self, job: SaveJob) -> None:
        """Record a finished :class:`SaveJob`: later saves go to the same place; clean if nothing changed since."""
        doc = self.document
        old_key = (doc.record_path, doc.annotation_ext)
        doc.annotation_ext, doc.annotation_dir = job.document.annotation_ext, job.document.annotation_dir
        doc.protected_path, doc.disk_state = job.document.protected_path, job.document.disk_state
        doc.review_problem = job.document.review_problem
        self._saved_serial = job.position
        autosave.discard_recovery(*old_key)
        autosave.discard_recovery(doc.record_path, doc.annotation_ext)
        self._notify("save", "", False)

    def save(self, *, ext: str | None = None, out_dir: str | os.PathLike[str] | None = None,
             overwrite_reference: bool = False, confirmed: bool = False) -> Path:
        """Write every editable track and the review sidecar; the document becomes clean.

        Raises
        ------
        SaveError
            No editable track, a reference file in the way, the program's own
            folder, a :meth:`save_conflict` not ``confirmed``, or an unwritable
            folder (the old file stays intact).
        """
        job = self.prepare_save(ext=ext, out_dir=out_dir, overwrite_reference=overwrite_reference,
                                confirmed=confirmed)
        path = job.run()
        self.finish_save(job)
        return path

    # ------------------------------------------------------------------ autosave and recovery
    def recovery_snapshot(self) -> autosave.Snapshot | None:
        """What the recovery file should hold now, or ``None`` when nothing is unsaved."""
        doc = self.document
        if not self.dirty or not doc.editable_tracks:
            return None
        return autosave.Snapshot.of(doc.editable_tracks, doc.review.spans)

    def autosave(self) -> Path | None:
        """Write the recovery file now (synchronously) if there are unsaved changes."""
        snap = self.recovery_snapshot()
        if snap is None:
            return None
        return autosave.write_recovery(self.document.record_path, self.document.annotation_ext, snap)

    def pending_recovery(self) -> PendingRecovery | None:
        """A recovery file newer than the saved annotations, if there is one."""
        return autosave.pending_recovery(self.document)

    def restore(self, pending: PendingRecovery) -> None:
        """Put a recovery's tracks and review spans into the document as one undo step."""
        doc = self.document
        tracks = pending.tracks or [pending.track]
        by_lead = {t.lead: t for t in tracks}
        with self.group("Restore autosaved edits"):
            if {t.lead for t in doc.editable_tracks} == set(by_lead):
                for index in doc.editable_indices:
                    self._swap(index, by_lead[doc.tracks[index].lead].waves, "Restore")
            else:
                self._commit("", [SetEditable(tuple(t.copy() for t in tracks))])
            self._commit("", [ReviewChange(ReviewSpans(pending.recovery.reviewed), doc.review_info)])
        autosave.adopt(pending)  # its file is now this session's: deleted when this session saves

    def decline_recovery(self, pending: PendingRecovery) -> bool:
        """The user does not want ``pending``: delete its file (only that file); ``True`` if deleted."""
        return autosave.decline(pending)

    def discard_recovery(self) -> None:
        """Delete the document's recovery file (the user declined it or closed without saving)."""
        autosave.discard_recovery(self.document.record_path, self.document.annotation_ext)
