"""Counts in the narrow measurements summary column stay readable on 24-hour records."""

from __future__ import annotations

from ecgstudio.gui.measurements_panel import _count


def test_counts_of_a_holter_record_fit_the_column() -> None:
    assert _count(7) == "7" and _count(9876) == "9876"
    assert _count(108_864) == "109k" and len(_count(326_593)) <= 4
