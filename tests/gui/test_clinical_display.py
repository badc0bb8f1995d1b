"""Clinical display of the plot: calibrated paper, one amplitude scale, rows sized to the window, time ruler."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt5 import QtCore

from ecgstudio.core.record import Record
from ecgstudio.gui.paper import FALLBACK_DPI, PaperScale, px_per_mm_from_dpi
from ecgstudio.gui.paper_layout import BAND_PX
from tests.gui.test_leads_view import (
    FS,
    _wheel,
    make_record,
    make_track,
    make_waves,
    mouse_drag,
    new_view,
    settle,
    viewport_pos,
)


def px_per_mv(row) -> float:
    (_, _), (y0, y1) = row.vb.viewRange()
    return row.vb.height() / (y1 - y0)


def px_per_sample(row) -> float:
    (x0, x1), _ = row.vb.viewRange()
    return row.vb.width() / (x1 - x0)


def twelve_leads(n_beats: int = 12) -> Record:
    base = make_record(n_beats, n_leads=1)
    gains = np.linspace(0.3, 2.0, 12, dtype=np.float32)
    return Record("twelve", base.signal[:, :1] * gains[None, :], FS,
                  ("i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6"))


def test_screen_millimetres_fall_back_to_96_dpi() -> None:
    assert px_per_mm_from_dpi(254.0) == pytest.approx(10.0)
    for bogus in (None, 0.0, -3, 5000.0, float("nan"), "x"):
        assert px_per_mm_from_dpi(bogus) == pytest.approx(FALLBACK_DPI / 25.4)
    scale = PaperScale(px_per_mm=4.0, speed_mm_s=25.0, gain=2.0)
    assert scale.px_per_mv == pytest.approx(80.0)
    assert scale.span_samples(1000, 500) == pytest.approx(1000 / 100 * 500)  # 10 s on 250 mm
    assert scale.grid_steps() == (pytest.approx(0.04), pytest.approx(0.05))
    assert scale.describe() == "25 mm/s · 20 mm/mV"


def test_every_row_shows_the_same_millivolts_per_pixel(qtbot) -> None:
    view = new_view(qtbot)
    record = make_record(30, n_leads=3)
    record.signal[:, 2] *= 4.0  # a much larger lead
    view.set_record(record)
    settle()
    expected = view.paper.scale.px_per_mv
    for row in view.rows:
        assert px_per_mv(row) == pytest.approx(expected, rel=0.005)
    view.paper.set_gain(2.0)
    settle()
    for row in view.rows:
        assert px_per_mv(row) == pytest.approx(2 * expected, rel=0.005)


def test_paper_grid_is_square_at_25_and_50_mm_s_and_any_gain(qtbot) -> None:
    view = new_view(qtbot)
    view.set_record(make_record(60))
    for speed, gain in ((25.0, 1.0), (50.0, 1.0), (25.0, 2.0), (50.0, 0.5)):
        view.paper.set_gain(gain)
        view.paper.set_speed(speed)
        settle()
        row = view.rows[0]
        minor_s, minor_mv = row.grid.steps()
        width_px = minor_s * FS * px_per_sample(row)
        height_px = minor_mv * px_per_mv(row)
        assert width_px == pytest.approx(height_px, rel=0.02)  # square
        assert width_px == pytest.approx(view.paper.scale.px_per_mm, rel=0.02)  # one physical millimetre
        first, last = view.window()
        assert (last - first) / FS == pytest.approx(view.plot_width_px() / view.paper.scale.px_per_mm / speed,
                                                      rel=0.01)


def test_paper_speed_follows_the_width_until_the_user_zooms(qtbot) -> None:
    view = new_view(qtbot)
    view.set_record(make_record(200))
    view.paper.set_speed(25.0)
    settle()
    before = view.window()
    view.pan_by(0.5)  # panning keeps the calibration
    assert view.paper.scale.speed_mm_s == 25.0
    view.resize(900, 600)
    settle()
    first, last = view.window()
    assert last - first < before[1] - before[0]  # narrower plot, same mm/s
    assert (last - first) == pytest.approx(view.paper.calibrated_span(), abs=1)
    changes = []
    view.paper.sigChanged.connect(changes.append)
    view.zoom_by(0.5)
    assert view.paper.scale.speed_mm_s is None and changes[-1].speed_mm_s is None


def test_a_record_shorter_than_the_paper_keeps_its_calibration(qtbot) -> None:
    view = new_view(qtbot)
    view.set_record(make_record(5))  # 4 s: less than the paper width at 25 mm/s
    view.paper.set_speed(25.0)
    settle()
    first, last = view.window()
    assert first == 0 and last > view.record.n_samples
    assert view.paper.scale.speed_mm_s == 25.0


def test_rows_fill_the_window_or_scroll_with_the_time_axis_always_visible(qtbot) -> None:
    view = new_view(qtbot)
    view.set_record(make_record(30, n_leads=2))
    settle()
    available = view.rows_viewport_height()
    assert sum(r.widget.height() for r in view.rows) == pytest.approx(available, abs=2)
    view.set_record(twelve_leads())
    settle()
    heights = {r.widget.height() for r in view.rows}
    assert len(heights) == 1  # equal rows
    height = heights.pop()
    assert height >= max(view.paper.needed_height(r) for r in view.rows) - 1
    scrollbar = view._scroll.verticalScrollBar()
    assert scrollbar.maximum() > 0  # more than fits: the rows scroll
    scrollbar.setValue(scrollbar.maximum())
    settle()
    assert all(not r.plot.getAxis("bottom").isVisible() for r in view.rows)
    ruler = view.ruler
    assert ruler.isVisible() and ruler.height() > 10
    assert ruler.geometry().bottom() <= view.height()
    assert ruler.shown_range() == pytest.approx(view.window(), abs=0.5)
    # the ruler's axis lies exactly under the rows' plotting area
    row = view.rows[-1]
    x_row = row.widget.mapTo(view, QtCore.QPoint(int(row.vb.sceneBoundingRect().left()), 0)).x()
    x_ruler = ruler.mapTo(view, QtCore.QPoint(int(ruler.vb.sceneBoundingRect().left()), 0)).x()
    assert abs(x_row - x_ruler) <= 1
    view.set_lead_visible(11, False)
    settle()
    assert ruler.isVisible()


def test_bands_keep_readable_pixel_height_and_labels(qtbot) -> None:
    view = new_view(qtbot)
    record = make_record(30)
    view.set_record(record)
    view.set_tracks([make_track(record, make_waves(30), "q1c"), make_track(record, make_waves(30))], 1)
    settle()
    items = view.rows[0].tracks
    lo, hi = items.geometry.editable
    assert (hi - lo) * px_per_mv(view.rows[0]) == pytest.approx(BAND_PX, rel=0.01)
    assert items._edit_label.toPlainText() == "ecgs (editable)" and items._edit_label.isVisible()
    assert items._ref_labels[0].toPlainText() == "q1c (reference)" and items._ref_labels[0].isVisible()


def test_reference_bands_of_per_lead_files_are_labelled_with_the_lead_as_printed(qtbot) -> None:
    view = new_view(qtbot)
    record = make_record(10, n_leads=3)
    tracks = [make_track(record, make_waves(10, lead=0), "avr", lead=0),
              make_track(record, make_waves(10, lead=1), "v1", lead=1),
              make_track(record, make_waves(10, lead=2), "pu0", lead=2),
              make_track(record, make_waves(10))]
    view.set_record(record)
    view.set_tracks(tracks, 3)
    settle()
    labels = [[label.toPlainText() for label in row.tracks._ref_labels if label.isVisible()] for row in view.rows]
    assert labels == [["aVR (reference)"], ["V1 (reference)"], ["pu0 (reference)"]]


def test_signal_beyond_the_row_is_cut_with_a_mark(qtbot) -> None:
    view = new_view(qtbot)
    record = make_record(30, n_leads=1)
    record.signal[1000:1004, 0] = 40.0  # far above anything the row shows
    record.signal[2000:2004, 0] = -40.0
    view.set_record(record)
    settle()
    assert view.paper.clip_marks(0) == (1, 1)
    view.set_view_range(3000, 3000 + 10 * FS)
    settle()
    assert view.paper.clip_marks(0) == (0, 0)


def test_ctrl_wheel_changes_the_shared_gain_and_reset_restores_it(qtbot) -> None:
    view = new_view(qtbot)
    view.set_record(make_record(30))
    settle()
    before = view.window()
    _wheel(view, 0, viewport_pos(view, 0, 1000, 0.5), 2, QtCore.Qt.KeyboardModifier.ControlModifier)
    settle()
    assert view.paper.scale.gain > 1.0
    assert px_per_mv(view.rows[0]) == pytest.approx(px_per_mv(view.rows[1]), rel=0.005)
    assert view.window() == before  # time not zoomed
    view.reset_amplitude()
    assert view.paper.scale.gain == 1.0
    view.fit_amplitude()
    settle()
    needed = max(view.paper.needed_height(r) for r in view.rows)
    assert needed * len(view.rows) <= view.rows_viewport_height() + 2


def test_calipers_measure_ms_and_bpm_instead_of_panning(qtbot) -> None:
    view = new_view(qtbot)
    view.set_record(make_record(30))
    view.set_view_range(0, 3 * FS)
    settle()
    readings = []
    view.calipers.sigChanged.connect(readings.append)
    view.calipers.set_enabled(True)
    start, stop = viewport_pos(view, 1, 100, 0.0), viewport_pos(view, 1, 100 + 0.8 * FS, 0.0)
    mouse_drag(view, 1, [start, (start + stop) / 2, stop])
    assert view.window()[0] == 0  # did not pan
    reading = view.calipers.reading()
    assert reading is not None and reading.lead == 1
    assert reading.interval_ms == pytest.approx(800, abs=1000 / FS * 2)
    assert reading.rate_bpm == pytest.approx(75, abs=0.5)
    assert view.calipers.row_text(1) == reading.text() and "ms · " in reading.text()
    assert view.calipers.row_text(0) == ""
    view.calipers.set_enabled(False)
    assert view.calipers.reading() is None and readings[-1] is None
    mouse_drag(view, 1, [stop, start])
    assert view.window()[0] > 0  # a drag pans again


def test_standard_leads_are_found_by_name() -> None:
    from ecgstudio.gui.sheet_12lead import standard_leads

    names = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
    assert standard_leads(names) == {n.lower(): i for i, n in enumerate(names)}
    assert standard_leads(("MLII", "V5")) is None
    assert standard_leads(twelve_leads().lead_names)["v6"] == 11


def test_twelve_lead_sheet_is_3_by_4_plus_rhythm_on_calibrated_paper(qtbot) -> None:
    from ecgstudio.gui.colors import get_palette
    from ecgstudio.gui.sheet_12lead import SHEET_SPEED_MM_S, TwelveLeadSheet, standard_leads

    view = new_view(qtbot)
    view.resize(1300, 700)
    record = twelve_leads(40)  # 32 s
    view.set_record(record)
    sheet = TwelveLeadSheet(get_palette("classic"), view)
    sheet.set_record(record, standard_leads(record.lead_names))
    view.show_sheet(sheet)
    settle()
    assert sheet.isVisible() and not view.ruler.isVisible() and not view.rows[0].widget.isVisible()
    scale = PaperScale(px_per_mm=view.paper.scale.px_per_mm)
    sheet.show_at(20 * FS, scale)
    assert sheet.start_sample() == int(15 * FS)
    assert sheet.labels() == ["I", "aVR", "V1", "V4", "II", "aVL", "V2", "V5", "III", "aVF", "V3", "V6", "II"]
    (x0, x1), (y0, y1) = sheet.vb.viewRange()
    if not sheet.reduced:
        px_per_s = sheet.vb.width() / (x1 - x0) * FS
        assert px_per_s == pytest.approx(SHEET_SPEED_MM_S * scale.px_per_mm, rel=0.01)
        assert sheet.vb.height() / (y1 - y0) == pytest.approx(scale.px_per_mv, rel=0.01)  # 10 mm/mV
    x, _ = sheet._curves[5].getData()  # aVL: the second column
    assert x[0] == pytest.approx(15 * FS + 2.5 * FS) and len(x) == int(2.5 * FS)
    x, _ = sheet._curves[12].getData()  # the rhythm strip: 10 s
    assert len(x) == int(10 * FS)
    view.show_sheet(None)
    assert not sheet.isVisible() and view.ruler.isVisible()


def test_ctrl_l_shows_the_sheet_for_12_leads_only(qtbot, make_window, open_and_wait, excerpt, tmp_path) -> None:
    import shutil
    from pathlib import Path

    window = make_window()
    open_and_wait(window, excerpt)
    window.view.setFocus()
    qtbot.keyClick(window.view, QtCore.Qt.Key.Key_L, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert window.view.sheet_widget is None and "12 standard leads" in window.status.currentMessage()
    assert not window.action_set.sheet.isChecked()
    folder = tmp_path / "ludb"
    folder.mkdir()
    for path in (Path(__file__).resolve().parents[1] / "data" / "ludb").glob("1.*"):
        shutil.copy(path, folder / path.name)
    open_and_wait(window, folder / "1")
    window.action_set.sheet.trigger()
    sheet = window.workflow.sheet
    assert window.view.sheet_widget is sheet and sheet.isVisible() and window.action_set.sheet.isChecked()
    sheet.sigTimeActivated.emit(3.0 * 500, 1)  # double click at 3 s on lead II: back to the rows there
    assert window.view.sheet_widget is None and not window.action_set.sheet.isChecked()
    first, last = window.view.window()
    assert first <= 3.0 * 500 <= last


def _ludb_copy(tmp_path):
    import shutil
    from pathlib import Path

    folder = tmp_path / "ludb"
    folder.mkdir()
    for path in (Path(__file__).resolve().parents[1] / "data" / "ludb").glob("1.*"):
        shutil.copy(path, folder / path.name)
    return folder / "1"


def _row_in_sight(view, lead: int) -> bool:
    widget = view.rows[lead].widget
    top = widget.mapTo(view._scroll.viewport(), QtCore.QPoint(0, 0)).y()
    return widget.isVisible() and top >= 0 and top + widget.height() <= view._scroll.viewport().height()


def test_double_click_on_a_sheet_lead_shows_that_leads_row_at_that_time(qtbot, make_window, open_and_wait,
                                                                       tmp_path) -> None:
    window = make_window()
    open_and_wait(window, _ludb_copy(tmp_path))
    view = window.view
    v6 = [name.lower() for name in view.record.lead_names].index("v6")
    settle()
    assert not _row_in_sight(view, v6)  # 12 rows: V6 is scrolled out of sight at first
    window.action_set.sheet.trigger()
    sheet = window.workflow.sheet
    settle()
    fs = view.record.fs
    # V6 is the third row of the last column: 7.5..10 s of the sheet; click 8.5 s into it, on its strip
    (_, _), (y0, y1) = sheet.vb.viewRange()
    sample = sheet.start_sample() + 8.5 * fs
    y = y1 - 2.5 * (y1 - y0) / 4
    scene = sheet.vb.mapViewToScene(QtCore.QPointF(sample, y))
    pos = sheet.mapFromScene(scene)
    qtbot.mouseDClick(sheet.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=pos)
    settle()
    assert view.sheet_widget is None
    first, last = view.window()
    assert first <= sample <= last
    assert _row_in_sight(view, v6)
    assert view.focus_lead() == v6
    wave = view.selected_wave()
    assert wave is not None and wave.lead == v6  # the beat there, on V6's own (per-lead) track
