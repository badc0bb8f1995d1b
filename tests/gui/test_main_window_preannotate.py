"""Annotate → Pre-annotate: the model's waves replace the editable track in ONE undo step."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import wfdb

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.edits import AddWave
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.paths import default_model_path

PREDICTED = (
    Wave(WaveKind.P, 100, 110, 120, confidence=0.9),
    Wave(WaveKind.QRS, 150, 160, 170, confidence=0.4),
    Wave(WaveKind.T, 200, 230, 260, confidence=0.8),
)


def _fake_model(record, model_stem, *, per_lead=False, progress=None, cancel=None):
    if progress is not None:
        progress(1.0)
    return [Delineation(PREDICTED, n_samples=record.n_samples, fs=record.fs, name="model")]


def test_prediction_replaces_the_editable_track_in_one_undo_step(qtbot, make_window, open_and_wait,
                                                                 excerpt: Path) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    track = window.document.editable_track
    window.push_edit(AddWave(Wave(WaveKind.QRS, 3000, 3010, 3020)))
    before = track.waves
    window.annotating.preannotate_fn = _fake_model
    steps = window.undo_stack.count()
    window.action_set.preannotate.trigger()
    assert window.annotating.wait(10_000)
    assert window.document.editable_track.waves == PREDICTED
    assert window.undo_stack.count() == steps + 1
    assert window.undo_stack.undoText().startswith("Pre-annotate")
    window.undo_stack.undo()
    assert window.document.editable_track.waves == before
    window.undo_stack.redo()
    assert window.document.editable_track.waves == PREDICTED


def test_failed_prediction_shows_an_error(qtbot, make_window, open_and_wait, excerpt: Path,
                                          dialog_log) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    window = make_window()
    open_and_wait(window, excerpt)
    window.annotating.preannotate_fn = broken
    window.annotating.preannotate()
    assert window.annotating.wait(10_000)
    assert len(dialog_log.errors) == 1 and "boom" in dialog_log.errors[0][1]
    assert len(window.document.editable_track) == 0 and not window.is_dirty


@pytest.mark.slow
@pytest.mark.skipif(not Path(f"{default_model_path()}.keras").is_file(),
                    reason="the shipped model models/default.keras has not been committed yet")
def test_preannotate_with_the_shipped_model(qtbot, make_window, open_and_wait, excerpt: Path,
                                            dialog_log) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    assert window.model_stem == str(default_model_path())
    window.action_set.preannotate.trigger()
    assert window.annotating.wait(180_000)
    assert dialog_log.errors == []
    track = window.document.editable_track
    qrs = [w for w in track if w.kind is WaveKind.QRS]
    assert 25 <= len(qrs) <= 60  # 30 s of sinus rhythm around 75/min
    assert all(w.confidence is not None for w in track)
    assert window.is_dirty and window.undo_stack.count() == 1
    window.undo_stack.undo()
    assert len(window.document.editable_track) == 0 and not window.is_dirty


def test_choose_model_switches_the_model(make_window, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from ecgstudio.gui.model_chooser import ModelChooserDialog

    chosen = str(tmp_path / "mine")
    monkeypatch.setattr(ModelChooserDialog, "choose", classmethod(lambda cls, parent, current: chosen))
    window = make_window()
    window.action_set.choose_model.trigger()
    assert window.model_stem == chosen
    assert window.status.model_label.text() == "model: mine (missing)"  # no mine.keras there


def test_finetune_dialog_opens_on_the_record_folder_and_switches_model(
        qtbot, make_window, open_and_wait, excerpt: Path, dialog_log) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    dialog_log.save_answer = "save"
    window.action_set.finetune.trigger()
    assert excerpt.with_name("sel100x.ecgs").is_file()  # saved first: fine-tuning reads the files
    dialog = window.annotating.finetune_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.sigModelCreated.emit("/somewhere/fine1")
    assert window.model_stem == "/somewhere/fine1"
    dialog.close()


def test_prediction_for_a_record_closed_meanwhile_is_dropped(qtbot, make_window, open_and_wait,
                                                            excerpt: Path) -> None:
    release = threading.Event()

    def slow_model(*args, **kwargs):
        release.wait(10)
        return _fake_model(*args, **kwargs)

    window = make_window()
    open_and_wait(window, excerpt)
    first = window.document
    window.annotating.preannotate_fn = slow_model
    window.annotating.preannotate()
    open_and_wait(window, excerpt)  # the same record again: a new document
    release.set()
    assert window.annotating.wait(10_000)
    assert window.document is not first
    assert len(window.document.editable_track) == 0 and not window.is_dirty


def test_u_goes_to_the_uncertain_wave_and_space_accepts_it(qtbot, make_window, open_and_wait,
                                                           excerpt: Path) -> None:
    from PyQt5.QtCore import Qt

    window = make_window()
    open_and_wait(window, excerpt)
    window.annotating.preannotate_fn = _fake_model
    window.annotating.preannotate()
    assert window.annotating.wait(10_000)
    window.view.set_view_range(0, 2500)
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key_U)
    assert window.view.selected_wave() == PREDICTED[1]  # confidence 0.4 < 0.6
    qtbot.keyClick(window.view, Qt.Key_Space)
    assert window.document.review.covers(PREDICTED[0].onset, PREDICTED[2].offset)
    assert window.undo_stack.undoText() == "Accept beat"


def test_prediction_swaps_the_track_in_one_undo_step(qtbot, make_window, open_and_wait, excerpt: Path) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    window.push_edit(AddWave(Wave(WaveKind.QRS, 3000, 3010, 3020)))
    before = window.document.editable_track
    window.annotating.preannotate_fn = _fake_model
    window.annotating.preannotate()
    assert window.annotating.wait(10_000)
    after = window.document.editable_track
    assert after.waves == PREDICTED and after.name == "ecgs"
    assert window.view.editable_track() is after  # the plot edits the new track
    window.push_edit(AddWave(Wave(WaveKind.QRS, 3000, 3010, 3020)))  # edits go to the new track
    assert len(after) == 4 and len(before) == 1
    window.undo_stack.undo()
    window.undo_stack.undo()  # the whole prediction: one step
    assert window.document.editable_track is before and window.view.editable_track() is before
    window.undo_stack.undo()
    assert len(before) == 0
    for _ in range(3):
        window.undo_stack.redo()
    assert window.document.editable_track is after and len(after) == 4
    assert window.save()
    assert len(wfdb.rdann(str(excerpt), "ecgs").sample) == 4 * 3  # onset, peak, offset of each wave
