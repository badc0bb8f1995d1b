"""Dragging boundaries with real mouse events, selection gestures and undo through the session, as in the window."""

from __future__ import annotations

from pathlib import Path

import pytest
from PyQt5 import QtCore, QtGui, QtWidgets

from ecgstudio.app.document import Document
from ecgstudio.app.editing import EditingSession
from ecgstudio.core.edits import MoveBoundary
from ecgstudio.core.review import ReviewSpans
from ecgstudio.core.waves import WaveKind
from ecgstudio.gui.commands import SessionCommand
from tests.gui.test_leads_view import (
    FS,
    make_record,
    make_track,
    make_waves,
    mouse_click,
    mouse_drag,
    new_view,
    settle,
    viewport_pos,
)


@pytest.fixture
def editing(qtbot):
    """A view showing 30 beats with an editable track wired to a session and an undo stack as MainWindow does."""
    record = make_record(30)
    track = make_track(record, make_waves(30))
    view = new_view(qtbot)
    view.set_record(record)
    view.set_tracks([track], 0)
    view.set_view_range(0, 3 * FS)
    settle()
    stack = QtWidgets.QUndoStack(view)
    session = EditingSession(Document(record, [track], (0,), ReviewSpans(), Path("synthetic")))
    edits = []

    def push(edit):
        edits.append(edit)
        stack.push(SessionCommand(session, lambda: session.apply(edit), edit.text))

    view.sigEditRequested.connect(push)
    return view, track, stack, edits


def handle_for(view, wave, field):
    return next(h for h in view.rows[0].tracks.visible_handles() if h.wave == wave and h.field == field)


def drag_x(view, from_sample, to_sample, steps=4, lead=0, y=0.6):
    start = viewport_pos(view, lead, from_sample, y)
    end = viewport_pos(view, lead, to_sample, y)
    points = [start + (end - start) * (i / steps) for i in range(steps + 1)]
    mouse_drag(view, lead, points)


def test_drag_emits_one_move_and_undo_restores(editing):
    view, track, stack, edits = editing
    qrs = track[4]  # QRS of beat 1
    assert qrs.kind is WaveKind.QRS
    drag_x(view, qrs.offset, qrs.offset + 10)
    assert len(edits) == 1
    edit = edits[0]
    assert isinstance(edit, MoveBoundary) and edit.field == "offset" and edit.clamp
    assert edit.wave == qrs and abs(edit.sample - (qrs.offset + 10)) <= 1
    moved = track[4]
    assert moved.offset == edit.sample and stack.count() == 1
    # the handle follows the model, also after undo
    assert handle_for(view, moved, "offset").value() == moved.offset
    stack.undo()
    settle()
    assert track[4] == qrs
    assert handle_for(view, qrs, "offset").value() == qrs.offset
    stack.redo()
    assert track[4] == moved


def test_drag_past_a_neighbour_is_clamped(editing):
    view, track, stack, edits = editing
    qrs, t_wave = track[4], track[5]
    drag_x(view, qrs.offset, t_wave.offset + 40, steps=6)
    assert len(edits) == 1
    limit = track.boundary_limits(qrs, "offset")[1] if track[4] == qrs else None
    moved = track[4]
    assert moved.offset <= t_wave.start or limit is None
    assert moved.offset == qrs.offset + (t_wave.start - qrs.offset)  # stopped at the neighbour


def test_click_on_empty_space_and_on_a_wave_selects(editing):
    view, track, _, _ = editing
    seen = []
    view.sigSelectionChanged.connect(seen.append)
    p_wave = track[3]
    mouse_click(view, 0, viewport_pos(view, 0, (p_wave.onset + p_wave.offset) / 2 + 3, 0.2))
    assert view.selected_wave() == p_wave and seen[-1] == p_wave
    mouse_click(view, 0, viewport_pos(view, 0, p_wave.offset + 10, 0.2))
    assert view.selected_wave() is None and seen[-1] is None


def test_click_on_a_handle_selects_the_boundary(editing):
    view, track, _, _ = editing
    qrs = track[4]
    mouse_click(view, 0, viewport_pos(view, 0, qrs.onset, 0.6))
    assert view.selected_boundary() == (qrs, "onset")
    assert view.selected_wave() == qrs


def test_shift_drag_selects_a_range(editing):
    view, _, _, edits = editing
    start = viewport_pos(view, 0, 150, 0.9)
    end = viewport_pos(view, 0, 400, 0.9)
    mouse_drag(view, 0, [start, start + (end - start) / 2, end], QtCore.Qt.KeyboardModifier.ShiftModifier)
    a, b = view.selected_range()
    assert a == pytest.approx(150, abs=2) and b == pytest.approx(400, abs=2)
    assert view.view_range()[0] == 0  # did not pan
    assert edits == []


def test_navigation_next_previous_beat_and_uncertain(editing):
    view, track, _, _ = editing
    assert view.goto_beat(+1)
    assert view.selected_wave() == track[1]  # first QRS
    assert view.current_beat_range() == (track[0].start, track[2].offset)
    assert view.goto_beat(+1) and view.selected_wave() == track[4]
    assert view.goto_beat(-1) and view.selected_wave() == track[1]
    assert not view.goto_uncertain()  # manual waves have no confidence
    view.goto_beat(+1)
    for _ in range(20):
        view.goto_beat(+1)
    first, last = view.view_range()
    assert first <= view.selected_wave().peak <= last  # the view followed


def test_band_and_other_lead_follow_the_drag_before_release(editing):
    view, track, _, edits = editing
    qrs = track[4]
    left = QtCore.Qt.MouseButton.LeftButton
    viewport = view.rows[0].widget.viewport()
    start = viewport_pos(view, 0, qrs.offset, 0.6)
    end = viewport_pos(view, 0, qrs.offset + 25, 0.6)

    def send(kind, pos, button, buttons):
        QtWidgets.QApplication.sendEvent(viewport, QtGui.QMouseEvent(
            kind, QtCore.QPointF(pos), button, buttons, QtCore.Qt.KeyboardModifier.NoModifier))

    band_before = view.rows[0].tracks.band_colors().copy()
    send(QtCore.QEvent.Type.MouseButtonPress, start, left, left)
    send(QtCore.QEvent.Type.MouseMove, start + (end - start) / 2, QtCore.Qt.MouseButton.NoButton, left)
    send(QtCore.QEvent.Type.MouseMove, end, QtCore.Qt.MouseButton.NoButton, left)
    assert edits == []  # nothing emitted while dragging
    assert not (view.rows[0].tracks.band_colors() == band_before).all()  # the band previews the move
    other = next(h for h in view.rows[1].tracks.visible_handles() if h.wave == qrs and h.field == "offset")
    assert other.value() == pytest.approx(qrs.offset + 25, abs=1)
    send(QtCore.QEvent.Type.MouseButtonRelease, end, left, QtCore.Qt.MouseButton.NoButton)
    settle()
    assert len(edits) == 1 and track[4].offset == pytest.approx(qrs.offset + 25, abs=1)


def test_hovering_a_boundary_shows_the_resize_cursor(editing):
    view, track, _, _ = editing
    viewport = view.rows[0].widget.viewport()
    none = QtCore.Qt.MouseButton.NoButton

    def hover(sample):
        pos = QtCore.QPointF(viewport_pos(view, 0, sample, 0.6))
        # Qt finds hovered items from the screen position: give the real one
        screen = QtCore.QPointF(viewport.mapToGlobal(pos.toPoint()))
        QtWidgets.QApplication.sendEvent(viewport, QtGui.QMouseEvent(
            QtCore.QEvent.Type.MouseMove, pos, pos, screen, none, none, QtCore.Qt.KeyboardModifier.NoModifier))
        return viewport.cursor().shape()

    assert hover(track[4].offset + 1) == QtCore.Qt.CursorShape.SizeHorCursor  # within the grab margin
    handle = handle_for(view, track[4], "offset")
    assert handle.toolTip() == f"QRS offset: {track[4].offset / FS:.3f} s (sample {track[4].offset})"
    assert hover((track[5].peak + track[5].offset) // 2) != QtCore.Qt.CursorShape.SizeHorCursor


def test_shift_drag_starting_on_a_boundary_selects_a_range_instead(editing):
    view, track, _, edits = editing
    qrs = track[4]
    start = viewport_pos(view, 0, qrs.offset, 0.6)
    end = viewport_pos(view, 0, qrs.offset + 60, 0.6)
    mouse_drag(view, 0, [start, start + (end - start) / 2, end], QtCore.Qt.KeyboardModifier.ShiftModifier)
    assert edits == [] and track[4] == qrs
    a, b = view.selected_range()
    assert a == pytest.approx(qrs.offset, abs=2) and b == pytest.approx(qrs.offset + 60, abs=2)


def test_goto_beat_centres_the_selected_qrs(editing):
    view, track, _, _ = editing
    view.zoom_seconds(2)
    view.set_view_range(3000, 3000 + 2 * FS)
    assert view.goto_beat(+1)
    qrs = view.selected_wave()
    assert qrs.kind is WaveKind.QRS and qrs.start > 3000
    first, last = view.view_range()
    assert (first + last) / 2 == pytest.approx(qrs.peak, abs=2)


def test_right_click_or_escape_during_a_drag_cancels_it(editing):
    view, track, _, edits = editing
    qrs = track[4]
    viewport = view.rows[0].widget.viewport()
    left, right, none = (QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.RightButton,
                         QtCore.Qt.MouseButton.NoButton)

    def send(kind, pos, button, buttons):
        QtWidgets.QApplication.sendEvent(viewport, QtGui.QMouseEvent(
            kind, QtCore.QPointF(pos), button, buttons, QtCore.Qt.KeyboardModifier.NoModifier))

    start = viewport_pos(view, 0, qrs.offset, 0.6)
    end = viewport_pos(view, 0, qrs.offset + 20, 0.6)
    send(QtCore.QEvent.Type.MouseButtonPress, start, left, left)
    send(QtCore.QEvent.Type.MouseMove, end, none, left)
    send(QtCore.QEvent.Type.MouseButtonPress, end, right, left | right)
    send(QtCore.QEvent.Type.MouseButtonRelease, end, right, left)
    send(QtCore.QEvent.Type.MouseMove, end + QtCore.QPoint(10, 0), none, left)
    send(QtCore.QEvent.Type.MouseButtonRelease, end, left, none)
    settle()
    assert edits == [] and track[4] == qrs
    assert handle_for(view, qrs, "offset").value() == qrs.offset

    send(QtCore.QEvent.Type.MouseButtonPress, start, left, left)
    send(QtCore.QEvent.Type.MouseMove, end, none, left)
    escape = QtGui.QKeyEvent(QtCore.QEvent.Type.KeyPress, QtCore.Qt.Key.Key_Escape,
                             QtCore.Qt.KeyboardModifier.NoModifier)
    QtWidgets.QApplication.sendEvent(view, escape)
    assert escape.isAccepted() and not view.cancel_drag()  # Escape cancelled it already
    send(QtCore.QEvent.Type.MouseButtonRelease, end, left, none)
    settle()
    assert edits == [] and track[4] == qrs


def test_goto_uncertain_walks_the_worst_waves_first_near_and_far(qtbot):
    from dataclasses import replace

    record = make_record(3000, n_leads=1)
    waves = make_waves(3000, confidence=0.9)
    waves[10] = replace(waves[10], confidence=0.2)
    waves[8000] = replace(waves[8000], confidence=0.1)  # far away, but less confident: first
    track = make_track(record, waves)
    view = new_view(qtbot)
    view.set_record(record)
    view.set_tracks([track], 0)
    view.set_worst_share(2 / 9000)
    assert view.goto_uncertain() and view.selected_wave() == waves[8000]
    first, last = view.view_range()
    assert first < waves[8000].start < last
    assert view.goto_uncertain() and view.selected_wave() == waves[10]
    assert not view.goto_uncertain()
