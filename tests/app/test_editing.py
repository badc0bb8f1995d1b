"""The headless editing session: a script edits, undoes, reviews, re-annotates and saves like the editor."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import wfdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecgstudio.app.editing import EditingSession
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.edits import DeleteWaves, MoveBoundary, Relabel
from ecgstudio.core.errors import EditError, SaveError
from ecgstudio.core.waves import WaveKind
from ecgstudio.io.annotations import write_tracks
from ecgstudio.paths import resources_dir

DATA = Path(__file__).resolve().parents[1] / "data"
LUDB_LEADS = ("i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6")


@pytest.fixture
def excerpt(tmp_path: Path) -> Path:
    """The 30 s sel100 excerpt (with q1c and pu) in a writable folder."""
    for name in ("sel100x.hea", "sel100x.dat", "sel100x.q1c", "sel100x.pu"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path / "sel100x"


@pytest.fixture
def ludb(tmp_path: Path) -> Path:
    """LUDB record 1 (12 leads, 500 Hz, per-lead cardiologist files) in a writable folder."""
    for path in (DATA / "ludb").glob("1.*"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path / "1"


def _prediction(session: EditingSession, shift: int = 0) -> list[Delineation]:
    """A stand-in for the model: the q1c reference, shifted by ``shift`` samples."""
    ref = session.document.track_named("q1c")
    assert ref is not None
    waves = [w.shifted(shift) for w in ref.waves if w.start + shift >= 0 and w.offset + shift < ref.n_samples]
    return [Delineation(waves, n_samples=ref.n_samples, fs=ref.fs, name="model")]


def _fiducials(track: Delineation) -> list[tuple]:
    return [(w.kind, w.onset, w.peak, w.offset, w.lead, w.peak_symbol) for w in track]


def test_a_script_edits_undoes_reviews_and_saves_with_the_editors_semantics(excerpt: Path):
    session = EditingSession.open(excerpt)
    changes = []
    session.subscribe(changes.append)
    assert not session.dirty
    session.apply_prediction(_prediction(session), model="default")
    track = session.track()
    qrs = next(w for w in track.waves if w.kind is WaveKind.QRS)
    before = _fiducials(track)
    session.apply(MoveBoundary(qrs, "onset", qrs.onset - 3, clamp=True))
    assert _fiducials(session.track()) != before and session.dirty
    session.undo()
    assert _fiducials(session.track()) == before
    session.redo()
    session.mark_reviewed(0, 2500, reviewer="anna")
    path = session.save()
    assert not session.dirty
    assert [c.kind for c in changes] == ["edit", "edit", "undo", "redo", "edit", "save"]
    assert changes[-2].dirty and not changes[-1].dirty

    reopened = EditingSession.open(excerpt)
    assert _fiducials(reopened.track()) == _fiducials(session.track())
    assert reopened.document.review.spans == ((0, 2500),)
    sidecar = json.loads(path.with_name(path.name + ".review.json").read_text())
    assert sidecar["marks"][0]["reviewer"] == "anna" and sidecar["marks"][0]["start"] == 0
    assert sidecar["unreviewed_source"]["model"] == "default"


def test_undoing_back_to_the_saved_state_is_clean_and_a_cut_off_save_stays_dirty(excerpt: Path):
    session = EditingSession.open(excerpt)
    session.apply_prediction(_prediction(session), model="m")
    session.save()
    first = session.track().waves[0]
    session.apply(DeleteWaves((first,)))
    assert session.dirty
    session.undo()
    assert not session.dirty
    session.undo()  # before the save
    assert session.dirty
    session.apply_prediction(_prediction(session, 2), model="m")  # the saved state is now unreachable
    while session.undo():
        pass
    assert session.dirty


def test_reannotation_keeps_reviewed_corrections_exactly(excerpt: Path):
    session = EditingSession.open(excerpt)
    session.apply_prediction(_prediction(session), model="m")
    qrs = next(w for w in session.track().waves if w.kind is WaveKind.QRS and w.start > 500)
    session.apply(Relabel(qrs, WaveKind.QRS, "V"))
    span = (qrs.start - 200, qrs.offset + 200)
    session.mark_reviewed(*span, reviewer="anna")
    reviewed = [w for w in session.track().waves if w.offset >= span[0] and w.start < span[1]]
    report = session.apply_prediction(_prediction(session, 4), model="m2")
    after = session.track().waves
    assert all(w in after for w in reviewed)
    assert report.n_kept == len(reviewed) and report.n_predicted > 0
    outside = [w for w in after if w.offset < span[0] - 100 or w.start > span[1] + 100]
    shifted = {(w.kind, w.onset, w.offset) for w in _prediction(session, 4)[0].waves}
    assert outside and all((w.kind, w.onset, w.offset) in shifted for w in outside)
    assert session.document.review.spans == (span,)
    session.undo()  # one step
    assert next(w for w in session.track().waves if w.start == qrs.start).symbol == "V"


def test_replacing_reviewed_work_clears_the_review_marks(excerpt: Path):
    session = EditingSession.open(excerpt)
    session.apply_prediction(_prediction(session), model="m")
    session.mark_reviewed(0, 3000)
    report = session.apply_prediction(_prediction(session, 4), model="m2", replace_reviewed=True)
    assert report.replaced_reviewed and not session.document.review
    assert session.document.review_info.model == "m2" and not session.document.review_info.marks
    session.undo()
    assert session.document.review.spans == ((0, 3000),)


def test_a_ludb_record_edited_per_lead_saves_every_lead(ludb: Path):
    session = EditingSession.open(ludb)
    names = [f"{lead}" for lead in LUDB_LEADS]
    assert all(session.document.track_named(n) is not None for n in names)
    n_copied = session.copy_reference(names)
    editable = session.document.editable_tracks
    assert [t.lead for t in editable] == list(range(12)) and n_copied == sum(len(t) for t in editable)
    v5 = session.track(10)
    wave = next(w for w in v5.waves if w.kind is WaveKind.T and w.onset is not None)
    session.apply(MoveBoundary(wave, "offset", wave.offset + 5, clamp=True))
    assert session.track(10).waves != v5.waves or session.track(10) is v5
    path = session.save()

    ann = wfdb.rdann(str(ludb), "ecgs")
    assert sorted(set(np.asarray(ann.chan).tolist())) == list(range(12))
    reopened = EditingSession.open(ludb)
    assert [t.lead for t in reopened.document.editable_tracks] == list(range(12))
    for lead, name in enumerate(LUDB_LEADS):
        saved = _fiducials(reopened.track(lead))
        if lead == 10:
            assert saved == _fiducials(session.track(10))
            assert saved != _fiducials(reopened.document.track_named(name))
        else:
            assert saved == _fiducials(reopened.document.track_named(name)), name
    assert path == ludb.with_name("1.ecgs")
    # the cardiologists' files are untouched
    for name in LUDB_LEADS:
        assert (ludb.with_name(f"1.{name}")).read_bytes() == (DATA / "ludb" / f"1.{name}").read_bytes()


@pytest.mark.parametrize("leads", [("ii",), ("i", "v5")])
def test_copied_tracks_are_named_as_the_saved_file_reads_back(ludb: Path, leads: tuple[str, ...]):
    """One naming rule (app.document.track_names) for copies and for files read: a single lead's copy is
    ``ecgs`` (as the one-track file reads back), several are ``ecgs:<lead>``."""
    session = EditingSession.open(ludb)
    session.copy_reference(list(leads))
    names = [t.name for t in session.document.editable_tracks]
    assert names == (["ecgs"] if len(leads) == 1 else ["ecgs:i", "ecgs:v5"])
    session.save()
    assert [t.name for t in EditingSession.open(ludb).document.editable_tracks] == names


def test_a_per_lead_ecgs_opens_with_every_lead_editable_and_save_keeps_them(excerpt: Path):
    session = EditingSession.open(excerpt)
    pu = [session.document.track_named("pu0"), session.document.track_named("pu1")]
    per_lead = [t for t in session.document.tracks if t.lead is not None][:2]
    assert len(per_lead) == 2 and pu
    write_tracks(excerpt, "ecgs", per_lead)
    session = EditingSession.open(excerpt)
    assert [t.lead for t in session.document.editable_tracks] == [0, 1]
    victim = session.track(1).waves[3]
    session.apply(DeleteWaves((victim,)))
    session.save()
    again = EditingSession.open(excerpt)
    assert len(again.track(0)) == len(per_lead[0])
    assert len(again.track(1)) == len(per_lead[1]) - 1


def test_an_edit_that_breaks_a_rule_changes_nothing(excerpt: Path):
    session = EditingSession.open(excerpt)
    session.apply_prediction(_prediction(session), model="m")
    first, second = session.track().waves[:2]
    before = session.track().waves
    with pytest.raises(EditError):
        session.apply(MoveBoundary(first, "offset", second.offset + 5))
    assert session.track().waves == before and session.undo_text.startswith("Pre-annotate")


def test_a_failed_save_keeps_the_old_file_and_the_edits(excerpt: Path, monkeypatch):
    session = EditingSession.open(excerpt)
    session.apply_prediction(_prediction(session), model="m")
    path = session.save()
    old = path.read_bytes()
    session.apply(DeleteWaves((session.track().waves[0],)))

    import ecgstudio.atomic as atomic

    def full_disk(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", full_disk)
    with pytest.raises(SaveError):
        session.save()
    monkeypatch.undo()
    assert path.read_bytes() == old and session.dirty


def test_nothing_is_saved_inside_the_program(tmp_path: Path):
    for path in resources_dir().glob("sel100.*"):
        shutil.copy(path, tmp_path / path.name)
    session = EditingSession.open(tmp_path / "sel100")
    with pytest.raises(SaveError, match="Save As"):
        session.save(out_dir=resources_dir())
    assert not (resources_dir() / "sel100.ecgs").exists()


def test_recovery_restores_every_editable_track_as_one_step(ludb: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("ECGSTUDIO_HOME", str(tmp_path / "home"))
    session = EditingSession.open(ludb)
    session.copy_reference(list(LUDB_LEADS))
    session.mark_reviewed(0, 1000)
    session.autosave()
    crashed = [_fiducials(t) for t in session.document.editable_tracks]
    fresh = EditingSession.open(ludb)
    pending = fresh.pending_recovery()
    assert pending is not None
    fresh.restore(pending)
    assert [_fiducials(t) for t in fresh.document.editable_tracks] == crashed
    assert fresh.document.review.spans == ((0, 1000),)
    fresh.undo()
    assert len(fresh.document.editable_tracks) == 1 and not fresh.document.review


_EDITS = st.lists(st.tuples(st.sampled_from(["move", "delete", "relabel", "review", "undo", "redo"]),
                            st.integers(0, 10_000), st.integers(-40, 40)), max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=_EDITS)
def test_undo_and_redo_are_exact_after_any_edit_sequence(excerpt: Path, script):
    session = EditingSession.open(excerpt)
    initial = (session.track().waves, session.document.review)
    session.apply_prediction(_prediction(session), model="m")
    for action, pick, delta in script:
        waves = session.track().waves
        wave = waves[pick % len(waves)] if waves else None
        try:
            if action == "move" and wave is not None:
                field = ("onset", "peak", "offset")[pick % 3]
                if getattr(wave, field) is not None:
                    session.apply(MoveBoundary(wave, field, getattr(wave, field) + delta, clamp=True))
            elif action == "delete" and wave is not None:
                session.apply(DeleteWaves((wave,)))
            elif action == "relabel" and wave is not None and wave.kind is WaveKind.QRS:
                session.apply(Relabel(wave, WaveKind.QRS, "V"))
            elif action == "review":
                session.mark_reviewed(pick, pick + 500)
            elif action == "undo":
                session.undo()
            elif action == "redo":
                session.redo()
        except EditError:
            pass
        session.track().check()
    final = (session.track().waves, session.document.review)
    n_undone = 0
    while session.undo():
        n_undone += 1
    assert (session.track().waves, session.document.review) == initial and not session.dirty
    for _ in range(n_undone):
        session.redo()
    assert (session.track().waves, session.document.review) == final


def test_review_marks_of_another_version_of_the_file_are_never_applied(excerpt: Path):
    session = EditingSession.open(excerpt)
    session.apply_prediction(_prediction(session), model="m")
    session.mark_reviewed(0, 2000)
    path = session.save()
    # a save cut short between the two files: the annotation file is new, the sidecar old
    other = EditingSession.open(excerpt)
    other.apply(DeleteWaves(other.track().waves[:3]))
    write_tracks(excerpt, "ecgs", other.document.editable_tracks)
    reopened = EditingSession.open(excerpt)
    assert not reopened.document.review
    assert any("another version" in note for note in reopened.document.notes)
    assert path.is_file()
