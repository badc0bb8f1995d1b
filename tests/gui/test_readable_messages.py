"""A reviewer reads what the keys found: Holter times with hours, shortcut keys never cut, a status bar that fits."""

from __future__ import annotations

import pytest

from ecgstudio.gui.time_axis import TimeAxisItem, format_time
from ecgstudio.gui.toast import Toast


@pytest.mark.parametrize(("seconds", "spacing", "text"), [
    (787, 60, "0:13:07"), (787.5, 0.5, "0:13:07.5"), (12.5, 0.1, "0:00:12.5"), (3725, 600, "1:02:05"),
    (86399.96, 0.04, "23:59:59.96"),
])
def test_labels_of_a_long_record_always_carry_hours(seconds, spacing, text) -> None:
    assert format_time(seconds, spacing, hours=True) == text


def test_the_axis_adds_hours_from_one_hour_of_record(qtbot) -> None:
    axis = TimeAxisItem(250.0)
    axis.set_fs(250.0, duration_s=15 * 60)
    assert axis.tickStrings([787 * 250.0], 1.0, 60 * 250.0) == ["13:07"]
    axis.set_fs(250.0, duration_s=24 * 3600)
    assert axis.tickStrings([787 * 250.0], 1.0, 60 * 250.0) == ["0:13:07"]


def test_toast_shows_a_long_message_whole_above_the_anchor(qtbot) -> None:
    from PyQt5.QtWidgets import QVBoxLayout, QWidget

    host = QWidget()
    layout = QVBoxLayout(host)
    plot, ruler = QWidget(), QWidget()
    ruler.setFixedHeight(30)
    layout.addWidget(plot, 1)
    layout.addWidget(ruler)
    qtbot.addWidget(host)
    host.resize(900, 500)
    host.show()
    qtbot.waitExposed(host)
    toast = Toast(host, above=ruler)
    text = "QRS on 11 ms later than q1c (tolerance 6.5 ms) (12 of 57)"
    toast.show_text(text, 200)
    assert toast.isVisible() and toast.text() == text
    assert toast.fontMetrics().horizontalAdvance(text) <= toast.contentsRect().width()  # one line, not cut
    assert host.rect().contains(toast.geometry())
    assert toast.geometry().bottom() < ruler.geometry().top()
    host.resize(700, 400)  # follows its host
    qtbot.wait(10)
    assert host.rect().contains(toast.geometry()) and toast.geometry().bottom() < ruler.geometry().top()
    qtbot.waitUntil(lambda: not toast.isVisible(), timeout=2000)


def test_shortcut_keys_are_never_cut(make_window) -> None:
    window = make_window()
    dialog = window.workflow.show_shortcuts()
    table = dialog.table
    for row in range(table.rowCount()):
        text = table.item(row, 2).text()
        assert table.fontMetrics().horizontalAdvance(text) < table.columnWidth(2), text
    rows = dialog.rows()
    for keys in ("D", "Shift+D", "U", "Shift+U", "Ctrl+PgDown"):
        assert any(r[2] == keys for r in rows), keys
    dialog.close()


def test_the_window_fits_a_1366_screen_with_flags_shown(qtbot, make_window, open_and_wait, excerpt) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    window.resize(1366, 768)
    window.flags.legend.setText("▮ 1234 disagreements &nbsp; ▮ 16330 uncertain (5 %)")
    qtbot.wait(50)
    assert window.minimumSizeHint().width() <= 1366
    assert window.flags.legend.isVisible()  # in the toolbar, not squeezed out of the status bar
    legend = window.flags.legend
    assert legend.width() >= legend.sizeHint().width()
    window.status.set_dirty(True)
    label = window.status.dirty_label
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.minimumWidth()
