"""core.peaks: the one peak rule (largest deviation from the chord), for the decoder and for a wave added by hand."""

from __future__ import annotations

import numpy as np

from ecgstudio.core.peaks import find_peaks_in_segments, segment_peak


def test_a_spike_on_a_slope_is_the_peak_not_the_higher_end() -> None:
    sig = np.linspace(0.0, 2.0, 100).astype(np.float32)  # the end is higher than the spike
    sig[40] += 0.5
    assert segment_peak(sig, 10, 90) == 40
    assert segment_peak(sig, 10, 90) == int(find_peaks_in_segments(sig, np.array([10]), np.array([90]))[0])


def test_all_leads_combine_so_the_larger_wave_leads() -> None:
    sig = np.zeros((100, 2), dtype=np.float32)
    sig[30, 0] = 0.2
    sig[60, 1] = -1.0  # a larger (negative) deflection on the second lead
    assert segment_peak(sig, 10, 90) == 60
    assert segment_peak(sig[:, 0], 10, 90) == 30


def test_a_flat_or_empty_segment_peaks_in_its_middle_or_at_its_start() -> None:
    flat = np.ones(50, dtype=np.float32)
    assert segment_peak(flat, 10, 30) == 20
    assert segment_peak(flat, 12, 12) == 12
    nan = np.full(50, np.nan, dtype=np.float32)
    assert 10 <= segment_peak(nan, 10, 30) <= 30
