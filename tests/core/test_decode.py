"""decode: probabilities -> valid waves (exact on clean masks, robust to noise)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecgstudio.core.decode import (
    ALLOWED_TRANSITIONS,
    DecodeConfig,
    decode,
    find_peaks_in_segments,
    viterbi_path,
)
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.masks import to_mask
from ecgstudio.core.waves import SegmentClass, Wave, WaveKind

FS = 250.0


def _beats(n: int, rr: int = 200, first: int = 100, jitter: int = 0, seed: int = 0) -> Delineation:
    """A regular rhythm of complete beats (P, QRS, T with onset) over ``n`` samples."""
    rng = np.random.default_rng(seed)
    waves = []
    t = first
    while t + rr < n:
        j = int(rng.integers(-jitter, jitter + 1)) if jitter else 0
        waves += [
            Wave(WaveKind.P, t, t + 12, t + 25),
            Wave(WaveKind.QRS, t + 40 + j, t + 50 + j, t + 62 + j),
            Wave(WaveKind.T, t + 80 + j, t + 110 + j, t + 140 + j),
        ]
        t += rr + 2 * j
    return Delineation(waves, n_samples=n, fs=FS)


def _one_hot(track: Delineation) -> np.ndarray:
    classes, _ = to_mask(track)
    return np.eye(6, dtype=np.float32)[classes]


def _bump_signal(track: Delineation, leads: int = 1) -> np.ndarray:
    """Gaussian bumps at each wave's peak on a tilted baseline."""
    n = track.n_samples
    t = np.arange(n, dtype=np.float64)
    sig = 0.0005 * t  # a drifting baseline the chord method must ignore
    heights = {WaveKind.P: 0.15, WaveKind.QRS: 1.2, WaveKind.T: -0.3}  # inverted T
    widths = {WaveKind.P: 4.0, WaveKind.QRS: 2.5, WaveKind.T: 8.0}
    for w in track:
        sig += heights[w.kind] * np.exp(-0.5 * ((t - w.peak) / widths[w.kind]) ** 2)
    return np.repeat(sig[:, None], leads, axis=1).astype(np.float32)


def _boundaries(track: Delineation, kind: WaveKind) -> list[tuple[int | None, int]]:
    return [(w.onset, w.offset) for w in track if w.kind is kind]


def test_clean_masks_give_the_exact_boundaries_across_chunks() -> None:
    ref = _beats(int(90 * FS), jitter=6)  # 90 s: many Viterbi chunks
    out = decode(_one_hot(ref), np.zeros(ref.n_samples), FS)
    assert _boundaries(out, WaveKind.P) == _boundaries(ref, WaveKind.P)
    assert _boundaries(out, WaveKind.QRS) == _boundaries(ref, WaveKind.QRS)
    assert [w.offset for w in out if w.kind is WaveKind.T] == [w.offset for w in ref if w.kind is WaveKind.T]
    assert all(w.onset is None for w in out if w.kind is WaveKind.T)
    assert all(w.confidence == pytest.approx(1.0) for w in out)
    assert out.name == "model" and out.lead is None


def test_float16_probabilities_give_the_same_track() -> None:
    ref = _beats(int(30 * FS), jitter=3)
    probs = 0.8 * _one_hot(ref) + 0.2 / 6
    signal = _bump_signal(ref)
    half = decode(probs.astype(np.float16), signal, FS)
    full = decode(probs, signal, FS)
    assert [(w.kind, w.onset, w.peak, w.offset) for w in half] == [(w.kind, w.onset, w.peak, w.offset) for w in full]


def test_peaks_are_found_on_the_signal_despite_baseline_drift() -> None:
    ref = _beats(int(30 * FS), jitter=4)
    out = decode(_one_hot(ref), _bump_signal(ref, leads=2), FS, lead=None)
    ref_peaks = [(w.kind, w.peak) for w in ref]
    assert [(w.kind, w.peak) for w in out] == ref_peaks


def test_a_flat_lead_does_not_hide_the_peaks_of_the_other() -> None:
    ref = _beats(int(20 * FS))
    sig = _bump_signal(ref, leads=2)
    sig[:, 1] = np.random.default_rng(3).normal(0.0, 0.001, ref.n_samples)
    out = decode(_one_hot(ref), sig, FS)
    assert [w.peak for w in out if w.kind is WaveKind.QRS] == [w.peak for w in ref if w.kind is WaveKind.QRS]


def test_r_peak_is_the_models_qr_rs_boundary_unless_the_signal_is_asked_for() -> None:
    ref = _beats(int(20 * FS))
    moved = Delineation([w if w.kind is not WaveKind.QRS else Wave(w.kind, w.onset, w.peak - 4, w.offset)
                         for w in ref], n_samples=ref.n_samples, fs=FS)
    sig = _bump_signal(moved, leads=2)  # the signal peaks 4 samples before the model's QR -> RS boundary
    ref_r = [w.peak for w in ref if w.kind is WaveKind.QRS]
    by_model = decode(_one_hot(ref), sig, FS)
    by_signal = decode(_one_hot(ref), sig, FS, config=DecodeConfig(r_peak="signal"))
    assert [w.peak for w in by_model if w.kind is WaveKind.QRS] == ref_r
    assert [w.peak for w in by_signal if w.kind is WaveKind.QRS] == [r - 4 for r in ref_r]
    assert [w.peak for w in by_model if w.kind is not WaveKind.QRS] == [
        w.peak for w in by_signal if w.kind is not WaveKind.QRS]
    with pytest.raises(ValueError, match="r_peak"):
        DecodeConfig(r_peak="largest")


def test_noisy_probabilities_still_give_the_waves_within_a_few_samples() -> None:
    ref = _beats(int(60 * FS), jitter=5, seed=1)
    rng = np.random.default_rng(7)
    clean = _one_hot(ref)
    noisy = 0.45 * clean + 0.55 * rng.dirichlet(np.ones(6), ref.n_samples).astype(np.float32)
    flips = rng.random(ref.n_samples) < 0.03  # isolated samples where a wrong class wins
    wrong = np.eye(6, dtype=np.float32)[rng.integers(0, 6, flips.sum())]
    noisy[flips] = 0.3 * clean[flips] + 0.7 * wrong
    no_signal_refinement = DecodeConfig(t_end=None)  # what the decoder itself makes of noisy probabilities
    out = decode(noisy, _bump_signal(ref), FS, config=no_signal_refinement)
    for kind in WaveKind:
        got = [w for w in out if w.kind is kind]
        want = [w for w in ref if w.kind is kind]
        assert len(got) == len(want), kind
        assert max(abs(g.offset - w.offset) for g, w in zip(got, want, strict=True)) <= 3
        if kind is not WaveKind.T:
            assert max(abs(g.onset - w.onset) for g, w in zip(got, want, strict=True)) <= 3
    assert all(0.0 <= w.confidence < 1.0 for w in out)


def test_pure_noise_never_gives_an_impossible_sequence() -> None:
    rng = np.random.default_rng(11)
    n = int(40 * FS)
    probs = rng.dirichlet(np.full(6, 0.3), n).astype(np.float32)
    path = viterbi_path(probs, FS)
    changes = np.flatnonzero(np.diff(path)) + 1
    pairs = {(SegmentClass(a), SegmentClass(b)) for a, b in zip(path[changes - 1], path[changes], strict=True)}
    assert pairs <= ALLOWED_TRANSITIONS
    out = decode(probs, rng.normal(size=(n, 2)), FS)
    out.check()
    kinds = [w.kind for w in out]
    assert all(not (a is WaveKind.P and b is WaveKind.T) for a, b in zip(kinds, kinds[1:], strict=False))


def test_missing_probabilities_do_not_break_decoding() -> None:
    ref = _beats(int(20 * FS))
    probs = _one_hot(ref)
    probs[1000:1100] = np.nan  # e.g. a gap in the signal
    out = decode(probs, np.zeros(ref.n_samples), FS)
    out.check()
    assert all(0.0 <= w.confidence <= 1.0 for w in out)
    want = [w for w in _boundaries(ref, WaveKind.QRS) if w[1] < 950 or w[0] > 1150]
    got = [w for w in _boundaries(out, WaveKind.QRS) if w[1] < 950 or w[0] > 1150]
    assert got == want


@settings(max_examples=40, deadline=None)
@given(
    runs=st.lists(st.tuples(st.integers(0, 5), st.integers(1, 80)), min_size=1, max_size=60),
    fs=st.sampled_from([100.0, 250.0, 500.0]),
    seed=st.integers(0, 2**16),
)
def test_any_label_sequence_decodes_to_a_valid_track(runs: list[tuple[int, int]], fs: float, seed: int) -> None:
    labels = np.concatenate([np.full(length, cls, dtype=np.int8) for cls, length in runs])
    rng = np.random.default_rng(seed)
    probs = 0.6 * np.eye(6, dtype=np.float32)[labels] + 0.4 * rng.dirichlet(np.ones(6), labels.size)
    signal = rng.normal(size=(labels.size, 2))
    out = decode(probs.astype(np.float32), signal, fs)
    out.check()  # sorted, non-overlapping, inside the record, legal order
    for wave in out:
        assert wave.onset is None or 0 < wave.onset
        assert wave.offset < labels.size
        assert wave.peak is not None and 0.0 <= wave.confidence <= 1.0


def test_spurious_blips_inside_the_tp_segment_start_no_wave() -> None:
    ref = _beats(int(20 * FS))
    probs = _one_hot(ref)
    classes, _ = to_mask(ref)
    tp = np.flatnonzero(classes == SegmentClass.TP)
    blips = tp[(tp % 200 == 170)]  # middle of each T-P segment
    for k in range(2):  # two-sample blips of QRS labels
        probs[blips + k] = np.eye(6, dtype=np.float32)[SegmentClass.QR]
    out = decode(probs, np.zeros(ref.n_samples), FS)
    assert _boundaries(out, WaveKind.QRS) == _boundaries(ref, WaveKind.QRS)


def test_waves_cut_by_the_record_ends_are_dropped() -> None:
    n = 300
    classes = np.full(n, SegmentClass.TP, dtype=np.int8)
    classes[:20] = SegmentClass.QR  # a QRS already under way at sample 0
    classes[20:30] = SegmentClass.RS
    classes[30:80] = SegmentClass.ST
    classes[200:240] = SegmentClass.P
    classes[240:260] = SegmentClass.PQ
    classes[260:] = SegmentClass.QR  # a QRS still running at the end
    out = decode(np.eye(6, dtype=np.float32)[classes], np.zeros(n), FS)
    assert [(w.kind, w.onset, w.offset) for w in out] == [
        (WaveKind.T, None, 80), (WaveKind.P, 200, 240)]


def test_per_lead_track_carries_its_lead() -> None:
    ref = _beats(int(10 * FS))
    out = decode(_one_hot(ref), np.zeros(ref.n_samples), FS, lead=1, name="lead 1")
    assert out.lead == 1 and out.name == "lead 1"
    assert all(w.lead == 1 for w in out)


def test_chord_peak_of_a_single_segment() -> None:
    t = np.arange(100, dtype=np.float32)
    sig = 0.02 * t  # a ramp: zero deviation from the chord ...
    sig[60] += 0.5  # ... except one bump
    peaks = find_peaks_in_segments(sig, np.array([10, 70]), np.array([90, 95]))
    assert peaks[0] == 60
    assert 70 <= peaks[1] <= 95


@pytest.mark.parametrize(("probs", "signal"), [
    (np.zeros((10, 5)), np.zeros(10)),
    (np.zeros((10, 6)), np.zeros(9)),
    (np.zeros((0, 6)), np.zeros(0)),
])
def test_bad_shapes_raise(probs: np.ndarray, signal: np.ndarray) -> None:
    with pytest.raises(ValueError):
        decode(probs, signal, FS)
