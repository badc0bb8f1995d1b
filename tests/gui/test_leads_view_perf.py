"""Frame time of panning a 24-hour, 2-lead record with ~225k waves (marked slow).

It builds ~170 MB of signal and takes 10-20 s, so it only runs when asked:
``ECGSTUDIO_PERF=1 pytest -s tests/gui/test_leads_view_perf.py`` (prints the figures).
"""

from __future__ import annotations

import os
import time
from dataclasses import replace

import numpy as np
import pytest
from PyQt5 import QtWidgets

from tests.gui.test_leads_view import RR, make_record, make_track, make_waves, new_view

FS_24H = 250.0
N_BEATS_24H = int(24 * 3600 * FS_24H) // RR  # 75,000 beats, 225,000 waves, 21.6 M samples per lead


def _frame_times(view, n_frames: int = 30) -> np.ndarray:
    app = QtWidgets.QApplication.instance()
    times = []
    for i in range(n_frames):
        start = time.perf_counter()
        view.pan_by(0.1 if i % 20 < 10 else -0.1)
        app.processEvents()
        view.grab()
        times.append(time.perf_counter() - start)
    return np.array(times) * 1000


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("ECGSTUDIO_PERF"), reason="set ECGSTUDIO_PERF=1 to measure")
def test_pan_frame_time_on_a_24_hour_record(qtbot):
    record = make_record(N_BEATS_24H, n_leads=2, fs=FS_24H)
    assert record.n_samples == 21_600_000
    waves = make_waves(N_BEATS_24H, confidence=0.9)
    waves[::7] = [replace(w, confidence=0.3) for w in waves[::7]]  # many low-confidence marks
    edited = make_track(record, waves)
    reference = make_track(record, make_waves(N_BEATS_24H), "q1c")
    view = new_view(qtbot)
    view.resize(1600, 800)
    start = time.perf_counter()
    view.set_record(record)
    set_record_s = time.perf_counter() - start
    start = time.perf_counter()
    view.set_tracks([reference, edited], 1)
    set_tracks_s = time.perf_counter() - start
    print(f"\nset_record {set_record_s:.3f} s, set_tracks {set_tracks_s:.3f} s, {len(edited)} waves")
    view.set_review([(b * RR, b * RR + RR - 20) for b in range(0, N_BEATS_24H, 2)])  # 37,500 spans
    view.set_view_range(10_000_000, 10_002_500)
    medians = {}
    for seconds in (10, 60, 1800, None):
        view.zoom_seconds(seconds)
        QtWidgets.QApplication.processEvents()
        view.grab()
        times = _frame_times(view)
        medians[seconds] = float(np.median(times))
        print(f"pan frame, {seconds or 'all'} s visible: median {np.median(times):.1f} ms, "
              f"p90 {np.percentile(times, 90):.1f} ms, max {times.max():.1f} ms")
    assert set_record_s < 3.0
    assert max(medians.values()) < 150  # loose: the test machine is shared
