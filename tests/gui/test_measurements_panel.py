"""MeasurementsPanel: table and summary of a track, beat activation, CSV export."""

from __future__ import annotations

import csv

import pytest
from PyQt5.QtCore import Qt

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.edits import DeleteWaves
from ecgstudio.core.errors import SaveError
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.gui.measurements_panel import MeasurementsPanel

P, QRS, T = WaveKind.P, WaveKind.QRS, WaveKind.T
FS = 250.0


def _track() -> Delineation:
    waves = []
    for k in range(3):  # beats every 200 samples = 800 ms
        b = 200 * k
        waves += [Wave(P, b + 100, b + 110, b + 125), Wave(QRS, b + 150, b + 160, b + 175),
                  Wave(T, b + 200, b + 230, b + 260)]
    waves.append(Wave(QRS, 800, 810, 825))  # no P, no T, RR 250 samples = 1000 ms
    return Delineation(waves, n_samples=2000, fs=FS, name="ecgs")


@pytest.fixture
def panel(qtbot):
    w = MeasurementsPanel()
    qtbot.addWidget(w)
    w.resize(700, 400)
    return w


def _cell(panel, row, col):
    model = panel._view.model()
    return model.data(model.index(row, col))


def test_table_shows_one_row_per_beat(panel):
    panel.set_track(_track(), FS)
    model = panel._view.model()
    assert model.rowCount() == 4
    # columns: beat, time, RR, HR, PR, QRS, QT, QTcB, QTcF
    assert [_cell(panel, 1, c) for c in range(0, 7)] == ["2", "0:01.4", "800", "75", "200", "100", "440"]
    assert _cell(panel, 0, 2) == "–"  # first beat has no RR
    assert _cell(panel, 3, 4) == "–"  # last beat has no P
    assert _cell(panel, 3, 3) == "60"
    assert panel._summary.item(0, 4).text() == "200"  # median PR
    assert panel._summary.item(2, 4).text() == "3"  # n PR
    assert panel._summary.item(1, 2).text() == "100"  # RR IQR of 800, 800, 1000 (linear interpolation: 900 - 800)
    assert "4 beats" in panel._title.text()


def test_clicking_a_row_activates_the_beat(panel, qtbot):
    panel.set_track(_track(), FS)
    panel.show()
    view = panel._view
    rect = view.visualRect(view.model().index(2, 2))
    with qtbot.waitSignal(panel.sigBeatActivated, timeout=1000) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    assert blocker.args == [560]  # R peak of the third beat


def test_edits_of_the_track_update_the_table(panel, qtbot):
    track = _track()
    panel.set_track(track, FS)
    DeleteWaves((track.waves[-1],)).apply(track)
    qtbot.waitUntil(lambda: panel._view.model().rowCount() == 3, timeout=2000)


def test_set_track_none_clears(panel):
    panel.set_track(_track(), FS)
    panel.set_track(None, FS)
    assert panel._view.model().rowCount() == 0
    assert not panel._export.isEnabled()


def test_export_csv_writes_header_with_units_and_rows(panel, tmp_path):
    panel.set_track(_track(), FS)
    out = panel.export_csv(tmp_path / "m.csv")
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    from ecgstudio.app.beat_table import header

    assert rows[0] == header()  # the columns of `annotate --table`, without record and lead
    assert rows[0][:4] == ["beat", "label", "sample", "time [s]"]
    assert len(rows) == 5
    col = {name: i for i, name in enumerate(rows[0])}
    assert [rows[2][col[k]] for k in ("beat", "sample", "time [s]", "RR [ms]", "HR [bpm]", "PR [ms]", "QRS [ms]",
                                      "QT [ms]")] == ["2", "360", "1.440", "800.0", "75.0", "200.0", "100.0", "440.0"]
    assert rows[1][col["RR [ms]"]] == ""  # NaN -> empty field
    assert float(rows[2][col["QTc Bazett [ms]"]]) == pytest.approx(491.9, abs=0.05)


def test_export_to_missing_folder_raises_save_error(panel, tmp_path):
    panel.set_track(_track(), FS)
    with pytest.raises(SaveError):
        panel.export_csv(tmp_path / "no" / "such" / "m.csv")


def test_screenshot(panel, tmp_path):
    panel.set_track(_track(), FS)
    panel.show()
    assert not panel.grab().isNull()


def test_long_track_is_measured_in_the_background(panel, qtbot, tmp_path):
    from ecgstudio.gui.measurements_panel import SYNC_LIMIT_WAVES

    n_beats = SYNC_LIMIT_WAVES // 3 + 100
    waves = []
    for k in range(n_beats):
        b = 200 * k
        waves += [Wave(P, b + 100, b + 110, b + 125), Wave(QRS, b + 150, b + 160, b + 175),
                  Wave(T, b + 200, b + 230, b + 260)]
    track = Delineation(waves, n_samples=200 * n_beats + 400, fs=FS, name="long")
    panel.set_track(track, FS)
    qtbot.waitUntil(lambda: panel._view.model().rowCount() == n_beats, timeout=10_000)
    assert panel._summary.item(0, 6).text() == "440"  # median QT
    # an edit during the background run is not lost
    DeleteWaves((track.waves[-1], track.waves[-2], track.waves[-3])).apply(track)
    out = panel.export_csv(tmp_path / "long.csv")
    assert len(out.read_text(encoding="utf-8").splitlines()) == n_beats  # header + n_beats - 1 rows


def test_enter_on_a_row_activates_the_beat(panel, qtbot):
    panel.set_track(_track(), FS)
    panel.show()
    view = panel._view
    view.setFocus()
    view.setCurrentIndex(view.model().index(1, 0))
    with qtbot.waitSignal(panel.sigBeatActivated, timeout=1000) as blocker:
        qtbot.keyClick(view, Qt.Key_Return)
    assert blocker.args == [360]
