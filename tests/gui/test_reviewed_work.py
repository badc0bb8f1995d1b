"""In the editor, reviewed corrections survive re-annotation, and per-lead tracks are edited and saved per lead."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
import wfdb

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.edits import MoveBoundary, Relabel
from ecgstudio.core.waves import Wave, WaveKind

DATA = Path(__file__).resolve().parents[1] / "data"
BEAT = (Wave(WaveKind.P, 100, 110, 120), Wave(WaveKind.QRS, 150, 160, 170), Wave(WaveKind.T, 200, 230, 260))


_SHIFT = {"samples": 0}


def _fake_model(record, model_stem, *, per_lead=False, progress=None, cancel=None):
    """Four beats, shifted by ``_SHIFT["samples"]`` (the controller keeps the function it was given)."""
    shift = _SHIFT["samples"]
    waves = [w.shifted(shift + k * 400) for k in range(4) for w in BEAT]
    if per_lead:
        return [Delineation([Wave(w.kind, w.onset, w.peak, w.offset, lead) for w in waves],
                            n_samples=record.n_samples, fs=record.fs, lead=lead, name=f"m {lead}")
                for lead in range(record.n_leads)]
    return [Delineation(waves, n_samples=record.n_samples, fs=record.fs, name="model")]


def _preannotate(window, shift: int) -> None:
    _SHIFT["samples"] = shift
    window.annotating.preannotate_fn = _fake_model
    window.annotating.preannotate()
    assert window.annotating.wait(10_000)


@pytest.mark.parametrize("answer", ["keep", "replace", "cancel"])
def test_preannotating_again_asks_and_keeps_reviewed_work(qtbot, make_window, open_and_wait, excerpt: Path,
                                                          dialog_log, answer: str) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    _preannotate(window, 0)
    assert dialog_log.asked_reannotate == []  # nothing reviewed yet: no question
    qrs = window.document.editable_track.waves[1]
    assert window.push_edit(Relabel(qrs, WaveKind.QRS, "V"))
    assert window.mark_reviewed(90, 300)
    reviewed = window.document.editable_track.waves[:3]
    dialog_log.reannotate_answer = answer
    _preannotate(window, 7)
    assert dialog_log.asked_reannotate == ["sel100x"]
    waves = window.document.editable_track.waves
    if answer == "keep":
        assert waves[:3] == reviewed and waves[3] == BEAT[0].shifted(407)
        assert window.document.review.spans == ((90, 300),)
        assert "kept 3 reviewed" in window.status.currentMessage().lower()
    elif answer == "replace":
        assert waves[0] == BEAT[0].shifted(7) and not window.document.review
    else:
        assert waves[:3] == reviewed and waves[3] == BEAT[0].shifted(400)
    window.undo_stack.undo()
    if answer != "cancel":
        assert window.document.editable_track.waves[:3] == reviewed


def test_a_12_lead_record_edits_and_saves_each_leads_track(qtbot, make_window, open_and_wait, tmp_path: Path,
                                                           dialog_log) -> None:
    for path in (DATA / "ludb").glob("1.*"):
        shutil.copy(path, tmp_path / path.name)
    record = tmp_path / "1"
    window = make_window()
    open_and_wait(window, record)
    leads = [t.name for t in window.document.reference_tracks]
    assert window.push_step(lambda: window.session.copy_reference(leads), "Edit a copy")
    window.show_tracks()
    assert [t.lead for t in window.document.editable_tracks] == list(range(12))
    # each row edits its own lead's track
    for row in window.view.rows:
        assert row.tracks.editable is window.document.editable_tracks[row.lead]
    v2 = window.document.editable_tracks[7]
    wave = next(w for w in v2.waves if w.kind is WaveKind.QRS)
    window.view.select_wave(wave)
    assert window.push_edit(MoveBoundary(wave, "onset", wave.onset - 3, clamp=True))
    assert window.document.editable_tracks[7].waves != v2.waves or wave not in v2.waves
    assert window.save()
    ann = wfdb.rdann(str(record), "ecgs")
    assert sorted(set(np.asarray(ann.chan).tolist())) == list(range(12))
    onsets_v2 = [s for s, sym, c in zip(ann.sample, ann.symbol, ann.chan, strict=True) if c == 7 and sym == "("]
    assert wave.onset - 3 in onsets_v2 and wave.onset not in onsets_v2


def test_dragging_a_boundary_on_a_per_lead_track_changes_only_that_lead(qtbot, make_window, open_and_wait,
                                                                        tmp_path: Path, dialog_log) -> None:
    pg.setConfigOptions(mouseRateLimit=0)
    for path in (DATA / "ludb").glob("1.*"):
        shutil.copy(path, tmp_path / path.name)
    window = make_window()
    open_and_wait(window, tmp_path / "1")
    leads = [t.name for t in window.document.reference_tracks]
    window.push_step(lambda: window.session.copy_reference(leads), "Edit a copy")
    before = [t.waves for t in window.document.editable_tracks]
    wave = next(w for w in window.document.editable_tracks[1].waves if w.kind is WaveKind.T)
    window.view.select_boundary(wave, "offset")
    window.editing.nudge(+1)
    after = [t.waves for t in window.document.editable_tracks]
    assert after[1] != before[1]
    assert all(a == b for i, (a, b) in enumerate(zip(after, before, strict=True)) if i != 1)
    window.undo_stack.undo()
    assert [t.waves for t in window.document.editable_tracks] == before


def test_the_menu_copies_ludbs_lead_files_into_per_lead_editable_tracks(qtbot, make_window, open_and_wait,
                                                                        tmp_path: Path, dialog_log,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from ecgstudio.gui import dialogs

    for path in (DATA / "ludb").glob("2.*"):
        shutil.copy(path, tmp_path / path.name)
    offered: list[list[str]] = []
    monkeypatch.setattr(dialogs, "choose_reference", lambda parent, groups: offered.append(groups) or groups[0])
    window = make_window()
    open_and_wait(window, tmp_path / "2")
    window.action_set.copy_reference.trigger()
    assert offered and offered[0][0].startswith("the 12 per-lead files")
    assert [t.lead for t in window.document.editable_tracks] == list(range(12))
    assert [t.name for t in window.document.editable_tracks][:2] == ["ecgs:i", "ecgs:ii"]
    window.undo_stack.undo()
    assert [t.lead for t in window.document.editable_tracks] == [None]


def test_saving_over_another_editors_save_asks_first(qtbot, make_window, open_and_wait, excerpt: Path,
                                                     dialog_log) -> None:
    first, second = make_window(), make_window()
    open_and_wait(first, excerpt)
    dialog_log.take_over_answer = True
    open_and_wait(second, excerpt)
    assert dialog_log.asked_take_over and not second.is_read_only
    _preannotate(first, 0)
    assert first.save()
    saved = excerpt.with_name("sel100x.ecgs").read_bytes()
    _preannotate(second, 9)
    dialog_log.replace_answer = False
    assert not second.save()
    assert dialog_log.asked_replace and "changed on disk" in dialog_log.asked_replace[0]
    assert excerpt.with_name("sel100x.ecgs").read_bytes() == saved and second.is_dirty
    dialog_log.replace_answer = True
    assert second.save() and not second.is_dirty


def test_a_record_in_use_opens_read_only_and_leaves_the_owners_files_alone(qtbot, make_window, open_and_wait,
                                                                          excerpt: Path, dialog_log) -> None:
    owner = make_window()
    open_and_wait(owner, excerpt)
    _preannotate(owner, 0)
    assert owner.save()
    owner.push_edit(Relabel(owner.document.editable_track.waves[1], WaveKind.QRS, "V"))
    recovery = owner.autosave_now(wait=True)
    assert recovery is not None and recovery.is_file()
    dialog_log.take_over_answer = False
    viewer = make_window()
    open_and_wait(viewer, excerpt)
    assert viewer.is_read_only and "[read-only]" in viewer.windowTitle()
    assert dialog_log.asked_restore == []  # the owner's live recovery is not offered...
    assert not viewer.push_edit(Relabel(viewer.document.editable_track.waves[1], WaveKind.QRS, "A"))
    assert "read-only" in viewer.status.currentMessage()
    viewer.close()
    assert recovery.is_file()  # ...nor deleted
    assert owner.save() and not owner.is_dirty
