"""Best-lead protocol, mean per-record SD and per-beat QT errors (core.protocols)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.metrics import Fiducial, score_tracks
from ecgstudio.core.protocols import best_lead, mean_record_sd, pool_qt, qt_pairs, score_qt
from ecgstudio.core.waves import Wave, WaveKind

FS = 250.0


def _track(shift_qrs_on: int = 0, shift_t_off: int = 0, beats: int = 5, lead: int | None = None) -> Delineation:
    waves = []
    for k in range(beats):
        base = 50 + 200 * k
        waves += [Wave(WaveKind.P, base, base + 10, base + 20, lead),
                  Wave(WaveKind.QRS, base + 40 + shift_qrs_on, base + 50, base + 60, lead),
                  Wave(WaveKind.T, None, base + 100, base + 130 + shift_t_off, lead)]
    return Delineation(waves, n_samples=1200, fs=FS, lead=lead)


def test_best_lead_takes_per_fiducial_the_lead_closest_to_the_reference() -> None:
    ref = _track()
    lead0 = _track(shift_qrs_on=2, shift_t_off=10, lead=0)  # good QRS onset, poor T end
    lead1 = _track(shift_qrs_on=5, shift_t_off=1, lead=1)  # poorer QRS onset, good T end
    score, chosen = best_lead([score_tracks(ref, lead0), score_tracks(ref, lead1)])
    order = list(Fiducial)
    assert chosen[order.index(Fiducial.QRS_ON)] == 0
    assert chosen[order.index(Fiducial.T_OFF)] == 1
    assert score[Fiducial.QRS_ON].mean_error_ms == pytest.approx(2 * 1000 / FS)
    assert score[Fiducial.T_OFF].mean_error_ms == pytest.approx(1000 / FS)
    with pytest.raises(ValueError):
        best_lead([])


def test_mean_record_sd_averages_each_records_own_spread() -> None:
    ref = _track()
    jitter = Delineation([Wave(w.kind, w.onset, w.peak, w.offset + (k % 2) * 2 if w.kind is WaveKind.T else w.offset)
                          for k, w in enumerate(ref)], n_samples=1200, fs=FS)
    constant_bias = _track(shift_t_off=20)  # biased but no spread: SD 0
    sds = mean_record_sd([score_tracks(ref, jitter), score_tracks(ref, constant_bias)])
    single = score_tracks(ref, jitter)[Fiducial.T_OFF].sd_error_ms
    assert single > 0
    assert sds[Fiducial.T_OFF] == pytest.approx(single / 2)
    assert math.isnan(mean_record_sd([])[Fiducial.T_OFF])


def test_qt_errors_are_per_beat_interval_differences() -> None:
    ref = _track()
    assert qt_pairs(ref).shape == (5, 2)
    test = _track(shift_qrs_on=-2, shift_t_off=3)  # QT longer by 5 samples = 20 ms
    qt = score_qt(ref, test, tolerance_s=0.15)
    assert qt.n_reference == 5 and qt.n_matched == 5
    assert qt.mean_ms == pytest.approx(20.0) and qt.sd_ms == pytest.approx(0.0)
    assert qt.share_within(10.0) == 0.0 and qt.share_within(20.0) == 1.0
    far = score_qt(ref, _track(shift_t_off=60), tolerance_s=0.15)  # T end 240 ms away: unmatched
    assert far.n_matched == 0 and far.share_within(20.0) == 0.0
    pooled = pool_qt([qt, far])
    assert pooled.n_reference == 10 and pooled.share_within(20.0) == pytest.approx(0.5)
    assert np.isfinite(pooled.summary()["sd_error_ms"])
