"""Beat labels from a beat annotation file onto QRS complexes: matching rules (core.beat_labels)."""

from __future__ import annotations

import numpy as np
import pytest

from ecgstudio.core.beat_labels import label_qrs, match_beats
from ecgstudio.core.waves import Wave, WaveKind

FS = 250.0


def beat(peak: int, symbol: str | None = None) -> list[Wave]:
    """P, QRS (peak at ``peak``, 80 ms wide) and T of one beat."""
    return [Wave(WaveKind.P, peak - 60, peak - 45, peak - 30), Wave(WaveKind.QRS, peak - 10, peak, peak + 10,
            symbol=symbol), Wave(WaveKind.T, peak + 30, peak + 60, peak + 90)]


def qrs_symbols(waves: list[Wave]) -> list[str]:
    return [w.peak_symbol for w in waves if w.kind is WaveKind.QRS]


def test_each_qrs_takes_the_symbol_of_the_nearest_beat_annotation() -> None:
    waves = beat(200) + beat(400) + beat(600)
    out, n = label_qrs(waves, np.array([203, 398, 601]), ["V", "N", "A"], FS)
    assert qrs_symbols(out) == ["V", "N", "A"] and n == 3
    assert out[4].symbol is None  # N is the default: stored as no symbol, as a file read back holds it
    # P and T waves (and the unchanged QRS) are the very objects given
    assert all(out[i] is waves[i] for i in range(len(waves)) if i not in (1, 7))


def test_beats_outside_the_tolerance_do_not_match_and_unmatched_qrs_keep_their_symbol() -> None:
    waves = beat(200, symbol="L") + beat(500)
    # 40 samples = 160 ms from the first peak (outside the QRS): no match at 150 ms, a match at 200 ms
    out, n = label_qrs(waves, np.array([160]), ["V"], FS)
    assert qrs_symbols(out) == ["L", "N"] and n == 0
    out, n = label_qrs(waves, np.array([160]), ["V"], FS, tolerance_s=0.2)
    assert qrs_symbols(out) == ["V", "N"] and n == 1


def test_a_beat_inside_a_wide_qrs_matches_even_far_from_its_peak() -> None:
    wide = [Wave(WaveKind.QRS, 100, 105, 160)]  # 240 ms wide, peak near the onset
    out, n = label_qrs(wide, np.array([158]), ["V"], FS, tolerance_s=0.05)
    assert qrs_symbols(out) == ["V"] and n == 1


def test_the_nearest_of_two_candidates_wins_and_a_beat_labels_one_qrs_only() -> None:
    waves = beat(200) + beat(240)  # two QRS 160 ms apart (a split complex)
    out, _ = label_qrs(waves, np.array([190, 236]), ["A", "V"], FS)
    assert qrs_symbols(out) == ["A", "V"]
    out, n = label_qrs(waves, np.array([225]), ["V"], FS)  # between both, nearer the second
    assert qrs_symbols(out) == ["N", "V"] and n == 1


def test_qrs_without_peak_is_located_at_its_centre() -> None:
    waves = [Wave(WaveKind.QRS, 100, None, 120)]
    out, _ = label_qrs(waves, np.array([145]), ["V"], FS, tolerance_s=0.15)  # 35 samples from 110
    assert qrs_symbols(out) == ["V"]


def test_non_beat_symbols_and_unsorted_input_are_handled() -> None:
    waves = beat(200) + beat(400)
    out, n = label_qrs(waves, np.array([401, 150, 199]), ["A", "+", "V"], FS)
    assert qrs_symbols(out) == ["V", "A"] and n == 2


def test_nothing_to_match() -> None:
    waves = beat(200)
    assert label_qrs(waves, np.zeros(0, np.int64), [], FS) == (waves, 0)
    assert label_qrs([], np.array([5]), ["V"], FS) == ([], 0)
    assert match_beats(np.zeros(0), np.zeros(0), np.zeros(0), np.array([1]), 5.0).shape == (0,)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="symbols"):
        label_qrs(beat(200), np.array([1, 2]), ["V"], FS)
    with pytest.raises(ValueError, match="sampling"):
        label_qrs(beat(200), np.array([1]), ["V"], 0.0)
    with pytest.raises(ValueError, match="tolerance"):
        label_qrs(beat(200), np.array([1]), ["V"], FS, tolerance_s=-1)


def test_many_beats_match_one_to_one_in_order() -> None:
    rng = np.random.default_rng(0)
    peaks = np.cumsum(rng.integers(150, 300, size=500)) + 100
    waves = [w for p in peaks.tolist() for w in beat(p)]
    symbols = rng.choice(list("NVAL"), size=peaks.size).tolist()
    jitter = rng.integers(-8, 9, size=peaks.size)
    out, n = label_qrs(waves, peaks + jitter, symbols, FS)
    assert n == peaks.size and qrs_symbols(out) == symbols
