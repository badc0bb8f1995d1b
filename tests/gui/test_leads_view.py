"""LeadsView: leads, zoom/pan, overview, tracks, palette, grid, lead visibility.

Helpers at the top (synthetic record and tracks, mouse gestures) are shared
with the drag tests.
"""

from __future__ import annotations

import numpy as np
import pytest
from PyQt5 import QtCore, QtGui, QtWidgets

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.record import Record
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.gui.leads_view import LeadsView

FS = 360.0
RR = 288  # samples between beats (0.8 s)
CENTRE = 115  # R peak inside each beat period


def make_record(n_beats: int, n_leads: int = 2, fs: float = FS) -> Record:
    """A clean synthetic ECG: P, QRS, T Gaussians repeated every RR samples."""
    t = (np.arange(RR) - CENTRE) / fs

    def bump(c: float, w: float, a: float) -> np.ndarray:
        return a * np.exp(-0.5 * ((t - c) / w) ** 2)

    beat = bump(-0.2, 0.025, 0.15) + bump(0, 0.012, 1.2) - bump(0.03, 0.01, 0.3) + bump(0.3, 0.05, 0.3)
    one = np.tile(beat, n_beats).astype(np.float32)
    signal = np.stack([one * (1 - 0.3 * i) for i in range(n_leads)], axis=1)
    return Record("synth", signal, fs, tuple(f"L{i}" for i in range(n_leads)))


def make_waves(n_beats: int, confidence: float | None = None, lead: int | None = None) -> list[Wave]:
    """P, QRS, T waves of every synthetic beat (T onset unknown)."""
    waves = []
    for b in range(n_beats):
        c = b * RR + CENTRE
        waves += [Wave(WaveKind.P, c - 90, c - 72, c - 54, lead, confidence=confidence),
                  Wave(WaveKind.QRS, c - 18, c, c + 18, lead, confidence=confidence),
                  Wave(WaveKind.T, None, c + 108, c + 151, lead, confidence=confidence)]
    return waves


def make_track(record: Record, waves: list[Wave], name: str = "ecgs", lead: int | None = None) -> Delineation:
    return Delineation(waves, n_samples=record.n_samples, fs=record.fs, lead=lead, name=name)


def new_view(qtbot) -> LeadsView:
    """A shown 1200x600 LeadsView owned by ``qtbot``."""
    widget = LeadsView()
    qtbot.addWidget(widget)
    widget.resize(1200, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def view(qtbot) -> LeadsView:
    return new_view(qtbot)


def settle() -> None:
    for _ in range(3):
        QtWidgets.QApplication.processEvents()


def viewport_pos(view: LeadsView, lead: int, sample: float, y_mv: float) -> QtCore.QPoint:
    """Viewport pixel of data point ``(sample, y_mv)`` on ``lead``'s row."""
    row = view.rows[lead]
    scene = row.vb.mapViewToScene(QtCore.QPointF(sample, y_mv))
    return row.widget.mapFromScene(scene)


def mouse_drag(view: LeadsView, lead: int, points: list[QtCore.QPoint],
               modifiers: QtCore.Qt.KeyboardModifiers = QtCore.Qt.KeyboardModifier.NoModifier) -> None:
    """Press at ``points[0]``, move through the others with the left button held, release at the last."""
    viewport = view.rows[lead].widget.viewport()
    left = QtCore.Qt.MouseButton.LeftButton
    none = QtCore.Qt.MouseButton.NoButton

    def send(kind: QtCore.QEvent.Type, pos: QtCore.QPoint, button: object, buttons: object) -> None:
        event = QtGui.QMouseEvent(kind, QtCore.QPointF(pos), button, buttons, modifiers)
        QtWidgets.QApplication.sendEvent(viewport, event)

    send(QtCore.QEvent.Type.MouseMove, points[0], none, none)
    send(QtCore.QEvent.Type.MouseButtonPress, points[0], left, left)
    for p in points[1:]:
        send(QtCore.QEvent.Type.MouseMove, p, none, left)
    send(QtCore.QEvent.Type.MouseButtonRelease, points[-1], left, none)
    settle()


def mouse_click(view: LeadsView, lead: int, pos: QtCore.QPoint) -> None:
    mouse_drag(view, lead, [pos])


# ---------------------------------------------------------------------- tests
def test_record_shows_one_row_per_lead_and_ten_seconds(view):
    record = make_record(40, n_leads=3)
    view.set_record(record)
    settle()
    assert len(view.rows) == 3
    first, last = view.view_range()
    assert first == 0 and last == pytest.approx(10 * FS, abs=1)
    x, y = view.rows[1].curve.getData()
    assert x[0] <= 1 and x[-1] >= last - 1
    np.testing.assert_allclose(y[:50], record.signal[int(x[0]):int(x[0]) + 50, 1])


def test_zoom_presets_pan_and_clamping(view):
    record = make_record(200)
    view.set_record(record)
    seen = []
    view.sigViewRangeChanged.connect(lambda a, b: seen.append((a, b)))
    view.zoom_seconds(30)
    first, last = view.view_range()
    assert last - first == pytest.approx(30 * FS, abs=2)
    view.pan_by(0.5)
    assert view.view_range()[0] == pytest.approx(first + 15 * FS, abs=2)
    view.zoom_by(0.5)
    assert view.view_range()[1] - view.view_range()[0] == pytest.approx(15 * FS, abs=2)
    view.pan_by(-100)  # clamped at the record start
    assert view.view_range()[0] == 0
    view.zoom_seconds(None)
    assert view.view_range() == (0, record.n_samples - 1)
    view.set_view_range(100, 101)  # narrower than the minimum
    a, b = view.view_range()
    assert b - a >= 0.25 * FS - 1
    assert seen and seen[-1] == view.view_range()
    assert view.overview.window() == pytest.approx(view._range)


def test_long_window_is_decimated_to_the_pixel_width(view):
    record = make_record(2000, n_leads=1)  # ~27 minutes
    view.set_record(record)
    view.zoom_seconds(None)
    settle()
    row = view.rows[0]
    x, y = row.curve.getData()
    assert len(x) <= 2 * row.n_columns() + 8
    # peaks survive decimation
    assert np.nanmax(y) == pytest.approx(float(np.nanmax(record.signal[:, 0])), rel=1e-6)


def test_overview_drag_and_click_move_the_view(view):
    record = make_record(400)
    view.set_record(record)
    view.overview.region.setRegion((3600, 7200))  # what a region drag does
    assert view.view_range() == (3600, 7200)
    view.overview.centre_on(50_000)
    first, last = view.view_range()
    assert (first + last) / 2 == pytest.approx(50_000, abs=2)


def test_mouse_wheel_zooms_around_the_cursor_and_drag_pans(view, qtbot):
    view.set_record(make_record(200))
    view.zoom_seconds(10)
    view.set_view_range(3600, 7200)
    settle()
    first, last = view.view_range()
    pos = viewport_pos(view, 0, 4500, 0.0)
    qtbot.wait(1)
    wheel = QtGui.QWheelEvent(QtCore.QPointF(pos), QtCore.QPointF(view.rows[0].widget.mapToGlobal(pos)),
                              QtCore.QPoint(0, 0), QtCore.QPoint(0, 120), QtCore.Qt.MouseButton.NoButton,
                              QtCore.Qt.KeyboardModifier.NoModifier, QtCore.Qt.ScrollPhase.NoScrollPhase,
                              False)
    QtWidgets.QApplication.sendEvent(view.rows[0].widget.viewport(), wheel)
    a, b = view.view_range()
    assert b - a < last - first  # zoomed in
    assert a < 4500 < b and (4500 - a) / (b - a) == pytest.approx((4500 - first) / (last - first), abs=0.02)
    before = view.view_range()
    start = viewport_pos(view, 0, 4500, 0.0)
    mouse_drag(view, 0, [start, start + QtCore.QPoint(-50, 0), start + QtCore.QPoint(-200, 0)])
    assert view.view_range()[0] > before[0]  # dragging left shows later samples


def test_tracks_bands_and_only_visible_waves_get_items(view):
    n_beats = 34_000  # 102,000 waves, ~7.5 hours
    record = make_record(n_beats, n_leads=1)
    track = make_track(record, make_waves(n_beats))
    view.set_record(record)
    view.set_tracks([track], 0)
    view.zoom_seconds(10)
    view.set_view_range(5_000_000, 5_000_000 + 3600)
    settle()
    items = view.rows[0].tracks
    handles = items.visible_handles()
    visible = track.waves_between(5_000_000, 5_003_600)
    expected = sum(w.onset is not None for w in visible) + sum(w.peak is not None for w in visible) + len(visible)
    assert len(handles) == expected < 120
    assert items.item_count() < 200
    assert all(5_000_000 - 200 <= h.value() <= 5_003_800 for h in handles)
    colors = items.band_colors()
    assert colors is not None and colors.shape[0] == view.rows[0].n_columns()
    # zoomed out to everything: no handles, bands still drawn
    view.zoom_seconds(None)
    settle()
    assert items.visible_handles() == []
    assert items.band_colors() is not None


def test_per_lead_tracks_show_on_their_lead_only(view):
    record = make_record(30)
    global_ref = make_track(record, make_waves(30), "q1c")
    lead1 = make_track(record, make_waves(30, lead=1), "pu1", lead=1)
    editable = make_track(record, make_waves(30), "ecgs")
    view.set_record(record)
    view.set_tracks([global_ref, lead1, editable], 2)
    assert [t.name for t in view.rows[0].tracks.references] == ["q1c"]
    assert [t.name for t in view.rows[1].tracks.references] == ["q1c", "pu1"]
    assert view.rows[0].tracks.editable is editable and view.rows[1].tracks.editable is editable


def test_show_hide_lead_keeps_the_time_ruler(view):
    view.set_record(make_record(30, n_leads=3))
    settle()
    view.set_lead_visible(2, False)
    settle()
    assert not view.lead_visible(2) and not view.rows[2].widget.isVisible()
    assert view.ruler.isVisible()  # the time axis lives under the rows, not under the last one
    assert not any(row.plot.getAxis("bottom").isVisible() for row in view.rows)
    view.set_lead_visible(2, True)
    settle()
    assert view.rows[2].widget.isVisible() and view.ruler.isVisible()


def test_palette_switch_recolours_the_bands(view):
    record = make_record(30)
    view.set_record(record)
    view.set_tracks([make_track(record, make_waves(30))], 0)
    settle()
    classic = view.rows[0].tracks.band_colors().copy()
    view.set_palette("colorblind")
    assert view.palette_name() == "colorblind"
    assert not np.array_equal(classic, view.rows[0].tracks.band_colors())
    with pytest.raises(ValueError):
        view.set_palette("no-such-palette")


def test_grid_toggle(view):
    view.set_record(make_record(30))
    assert view.grid_visible() and view.rows[0].grid.isVisible()
    view.set_grid_visible(False)
    assert not view.rows[0].grid.isVisible() and not view.rows[1].grid.isVisible()
    view.set_grid_visible(True)
    settle()
    minor, major = view.rows[0].grid.visible_levels()
    assert major  # 10 s on ~1100 px: 0.2 s = 20 px
    view.zoom_seconds(None)
    settle()
    assert not view.rows[0].grid.visible_levels()[0]  # no minor lines when zoomed out


def test_pressing_g_again_and_again_adds_no_redraw_connections(view):
    # G toggled the grid and connected each row's resize to the redraw once more every time
    view.set_record(make_record(30))
    counts = [row.vb.receivers(row.vb.sigResized) for row in view.rows]
    assert all(n >= 1 for n in counts)  # the rows do redraw on resize
    for visible in (False, True) * 3:
        view.set_grid_visible(visible)
    assert [row.vb.receivers(row.vb.sigResized) for row in view.rows] == counts


def test_review_confidence_and_disagreement_markers(view):
    record = make_record(30)
    edited_waves = make_waves(30, confidence=0.9)
    edited_waves[4] = Wave(WaveKind.QRS, edited_waves[4].onset, edited_waves[4].peak, edited_waves[4].offset,
                           confidence=0.2)
    reference_waves = make_waves(30)
    t = reference_waves[5]  # T of beat 1: offset 30 samples (83 ms) later in the reference
    reference_waves[5] = Wave(WaveKind.T, None, t.peak, t.offset + 30)
    view.set_record(record)
    view.set_tracks([make_track(record, reference_waves, "q1c"), make_track(record, edited_waves)], 1)
    view.set_review([(0, 500)])
    view.set_worst_share(0.01)  # 90 waves: the least confident one
    settle()
    items = view.rows[0].tracks
    assert items.low_confidence_count() == 1
    assert items.review_count() == 1
    assert items.tick_positions().tolist() == [t.offset]  # 83 ms early (> 30.6 ms), at the edited boundary


def test_cursor_signal_reports_time_lead_and_amplitude(view, qtbot):
    record = make_record(30)
    view.set_record(record)
    settle()
    pos = viewport_pos(view, 1, 1000, 0.0)
    with qtbot.waitSignal(view.sigCursorMoved, timeout=1000) as blocker:
        QtWidgets.QApplication.sendEvent(
            view.rows[1].widget.viewport(),
            QtGui.QMouseEvent(QtCore.QEvent.Type.MouseMove, QtCore.QPointF(pos), QtCore.Qt.MouseButton.NoButton,
                              QtCore.Qt.MouseButton.NoButton, QtCore.Qt.KeyboardModifier.NoModifier))
    time_s, lead, amplitude = blocker.args
    assert lead == 1 and time_s == pytest.approx(1000 / FS, abs=3 / FS)
    assert amplitude == pytest.approx(float(record.signal[int(round(time_s * FS)), 1]))


def _wheel(view: LeadsView, lead: int, pos: QtCore.QPoint, steps: int,
           modifiers: QtCore.Qt.KeyboardModifiers = QtCore.Qt.KeyboardModifier.NoModifier) -> None:
    widget = view.rows[lead].widget
    event = QtGui.QWheelEvent(QtCore.QPointF(pos), QtCore.QPointF(widget.mapToGlobal(pos)), QtCore.QPoint(0, 0),
                              QtCore.QPoint(0, 120 * steps), QtCore.Qt.MouseButton.NoButton, modifiers,
                              QtCore.Qt.ScrollPhase.NoScrollPhase, False)
    QtWidgets.QApplication.sendEvent(widget.viewport(), event)


def test_ctrl_wheel_scales_every_leads_amplitude_and_fit_resets(view):
    view.set_record(make_record(30))
    settle()
    def mv_shown(lead: int) -> float:
        _, (y0, y1) = view.rows[lead].vb.viewRange()
        return y1 - y0

    before0, before1 = mv_shown(0), mv_shown(1)
    _wheel(view, 0, viewport_pos(view, 0, 1000, 0.5), 2, QtCore.Qt.KeyboardModifier.ControlModifier)
    settle()
    assert view.paper.scale.gain > 1  # magnified: one scale for all leads
    assert mv_shown(0) < before0 and mv_shown(1) < before1  # the other lead too
    assert view.view_range() == (0, int(10 * FS))  # time not zoomed
    view.reset_amplitude()
    settle()
    assert mv_shown(0) == pytest.approx(before0)
    view.fit_amplitude()
    assert view.paper.scale.gain != 1


def test_overview_click_with_the_mouse_recentres(view):
    record = make_record(400)
    view.set_record(record)
    settle()
    ov = view.overview
    target = record.n_samples * 0.75
    pos = ov.mapFromScene(ov.getPlotItem().vb.mapViewToScene(QtCore.QPointF(target, 0.0)))
    left = QtCore.Qt.MouseButton.LeftButton
    for kind, buttons in ((QtCore.QEvent.Type.MouseButtonPress, left),
                          (QtCore.QEvent.Type.MouseButtonRelease, QtCore.Qt.MouseButton.NoButton)):
        QtWidgets.QApplication.sendEvent(ov.viewport(), QtGui.QMouseEvent(
            kind, QtCore.QPointF(pos), left, buttons, QtCore.Qt.KeyboardModifier.NoModifier))
    first, last = view.view_range()
    assert (first + last) / 2 == pytest.approx(target, rel=0.01)


def test_deleted_view_unhooks_from_its_tracks(qtbot):
    from PyQt5 import sip

    record = make_record(30)
    track = make_track(record, make_waves(30))
    widget = LeadsView()
    widget.set_record(record)
    widget.set_tracks([track], 0)
    sip.delete(widget)
    track.replace([track[0]], [])  # must not touch the deleted view
    assert track._listeners == []


def test_selected_per_lead_wave_is_highlighted_on_its_lead_only(view):
    record = make_record(30)
    lead0 = make_track(record, make_waves(30, lead=0), "pu0", lead=0)
    view.set_record(record)
    view.set_tracks([lead0], 0)
    view.select_wave(lead0[1])
    assert view.rows[0].tracks._selected.count() == 1
    assert view.rows[1].tracks._selected.count() == 0
    assert view.rows[1].tracks.editable is None and view.rows[1].tracks.visible_handles() == []


def test_worst_share_changes_the_marks(view):
    record = make_record(30)
    view.set_record(record)
    view.set_tracks([make_track(record, make_waves(30, confidence=0.5))], 0)
    settle()
    assert view.rows[0].tracks.low_confidence_count() >= 1
    view.set_worst_share(0.0)
    assert view.rows[0].tracks.low_confidence_count() == 0


def test_dragging_on_the_overview_moves_the_window_with_the_mouse(view):
    record = make_record(400)
    view.set_record(record)
    settle()
    ov = view.overview
    vb = ov.getPlotItem().vb

    def at(sample: float) -> QtCore.QPoint:
        return ov.mapFromScene(vb.mapViewToScene(QtCore.QPointF(sample, 0.0)))

    left, none = QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.NoButton
    mods = QtCore.Qt.KeyboardModifier.NoModifier
    points = [at(record.n_samples * f) for f in (0.3, 0.4, 0.5, 0.6)]
    send = QtWidgets.QApplication.sendEvent
    send(ov.viewport(), QtGui.QMouseEvent(QtCore.QEvent.Type.MouseButtonPress, QtCore.QPointF(points[0]),
                                          left, left, mods))
    for p in points[1:]:
        send(ov.viewport(), QtGui.QMouseEvent(QtCore.QEvent.Type.MouseMove, QtCore.QPointF(p), none, left, mods))
    send(ov.viewport(), QtGui.QMouseEvent(QtCore.QEvent.Type.MouseButtonRelease, QtCore.QPointF(points[-1]),
                                          left, none, mods))
    first, last = view.view_range()
    assert last - first == pytest.approx(10 * FS, abs=2)  # moved, not resized
    assert (first + last) / 2 == pytest.approx(record.n_samples * 0.6, rel=0.01)


def test_bands_are_painted_where_the_segments_are(view):
    """Pixels of the drawn band carry the class colours (guards the device-space painting)."""
    from ecgstudio.core.waves import SegmentClass
    from ecgstudio.gui.colors import CLASSIC

    record = make_record(30)
    track = make_track(record, make_waves(30))
    view.set_record(record)
    view.set_tracks([track], 0)
    view.set_view_range(0, 600)
    settle()
    row = view.rows[0]
    image = row.widget.viewport().grab().toImage()
    y = sum(row.tracks.geometry.editable) / 2
    qrs, t_wave = track[1], track[2]
    for sample, cls in (((qrs.onset + qrs.peak) / 2, SegmentClass.QR),
                        ((qrs.peak + qrs.offset) / 2, SegmentClass.RS),
                        ((qrs.offset + t_wave.offset) / 2, SegmentClass.ST)):
        color = image.pixelColor(viewport_pos(view, 0, sample, y))
        assert (color.red(), color.green(), color.blue()) == CLASSIC.segments[cls]


def test_long_records_show_the_heart_rate_trend_in_the_overview(qtbot) -> None:
    view = new_view(qtbot)
    n_beats = int(660 * FS / RR) + 1  # 11 minutes
    record = make_record(n_beats, n_leads=1)
    view.set_record(record)
    assert not view.overview.showing_rate_trend()  # no beats yet: the envelope
    view.set_tracks([make_track(record, make_waves(n_beats))], 0)
    assert view.overview.showing_rate_trend()
    assert view.overview._trend_label.toPlainText() == f"HR {60 * FS / RR:.0f}–{60 * FS / RR:.0f} bpm"
    short = make_record(20, n_leads=1)
    view.set_record(short)
    view.set_tracks([make_track(short, make_waves(20))], 0)
    assert not view.overview.showing_rate_trend()  # a 16-s record: the signal itself
