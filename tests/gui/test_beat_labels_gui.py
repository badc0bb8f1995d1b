"""Beat labels in the editor: letters above the editable band, Ctrl+Shift keys and Edit → Beat label."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import wfdb
from PyQt5.QtCore import Qt

from ecgstudio.core.edits import AddWave
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.gui.actions import BEAT_LABELS
from ecgstudio.gui.leads_view import LeadsView
from tests.gui.test_leads_view import make_record, make_track, make_waves, new_view, settle

CTRL_SHIFT = Qt.ControlModifier | Qt.ShiftModifier


@pytest.fixture
def view(qtbot) -> LeadsView:
    return new_view(qtbot)


def test_labels_other_than_n_are_drawn_above_the_band_only_when_readable(view) -> None:
    n_beats = 3000  # 40 minutes at 360 Hz
    record = make_record(n_beats, n_leads=1)
    waves = [replace(w, symbol="V") if w.kind is WaveKind.QRS and i % 9 == 1 else w
             for i, w in enumerate(make_waves(n_beats))]
    track = make_track(record, waves)
    view.set_record(record)
    view.set_tracks([track], 0)
    view.set_view_range(360_000, 360_000 + 3600)
    settle()
    items = view.rows[0].tracks
    shown = items.visible_symbols()
    expected = [(float(w.peak), "V") for w in track.waves_between(360_000, 363_600) if w.symbol == "V"]
    assert shown and shown == expected
    y = items.geometry.editable[1]
    assert all(t.pos().y() == y for t in items._symbols if t.isVisible())
    pooled = len(items._symbols)
    view.set_view_range(720_000, 720_000 + 3600)  # panning reuses the pooled texts
    settle()
    assert [s for _, s in items.visible_symbols()] == ["V"] * len(expected)
    assert len(items._symbols) == pooled
    view.zoom_seconds(None)  # 2,700 beats on 1,200 pixels: unreadable, nothing drawn
    settle()
    assert items.visible_symbols() == []
    assert items.item_count() < 200


def test_keys_set_the_beat_label_of_the_selected_qrs_and_undo_restores(qtbot, make_window, open_and_wait,
                                                                       excerpt: Path) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    track = window.document.editable_track
    window.push_edit(AddWave(Wave(WaveKind.P, 900, 920, 940)))
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    count = window.undo_stack.count()
    window.view.set_view_range(0, 2500)
    window.view.select_wave(track[1])
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key_V, CTRL_SHIFT)
    assert track[1].symbol == "V" and window.view.selected_wave() == track[1]
    assert window.undo_stack.count() == count + 1
    assert window.undo_stack.undoText() == "Beat label V"
    settle()
    assert window.view.rows[0].tracks.visible_symbols() == [(1010.0, "V")]
    qtbot.keyClick(window.view, Qt.Key_P, CTRL_SHIFT)  # paced
    assert track[1].symbol == "/"
    qtbot.keyClick(window.view, Qt.Key_N, CTRL_SHIFT)  # back to normal: no symbol of its own
    assert track[1].symbol is None and track[1].peak_symbol == "N"
    settle()
    assert window.view.rows[0].tracks.visible_symbols() == []
    window.undo_stack.undo()
    assert track[1].symbol == "/"
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert track[1] == Wave(WaveKind.QRS, 1000, 1010, 1020) and window.undo_stack.count() == count + 3
    # a P wave has no beat label
    window.view.select_wave(track[0])
    qtbot.keyClick(window.view, Qt.Key_A, CTRL_SHIFT)
    assert track[0].kind is WaveKind.P and track[0].symbol is None
    assert "QRS" in window.status.currentMessage()


def test_edit_menu_offers_every_beat_label_and_saving_writes_it(make_window, open_and_wait,
                                                                 excerpt: Path) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    track = window.document.editable_track
    edit_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    beat_menu = next(a.menu() for a in edit_menu.actions() if a.text() == "&Beat label")
    assert [a.shortcut().toString() for a in beat_menu.actions()] == [key for _, _, key in BEAT_LABELS]
    assert len({key for _, _, key in BEAT_LABELS}) == len(BEAT_LABELS)
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    window.push_edit(AddWave(Wave(WaveKind.QRS, 1200, 1212, 1225)))
    window.view.select_wave(track[0])
    window.action_set.beat_label["A"].trigger()
    window.view.select_wave(track[1])
    window.action_set.beat_label["Q"].trigger()
    assert [w.symbol for w in track] == ["A", "Q"]
    assert window.save()
    ann = wfdb.rdann(str(excerpt), "ecgs")
    assert [(int(s), sym) for s, sym in zip(ann.sample, ann.symbol, strict=True) if sym not in "()"] == [
        (1010, "A"), (1212, "Q")]
