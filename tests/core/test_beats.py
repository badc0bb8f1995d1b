"""core.beats: one rule for "what is a beat", checked against the rules it replaced (written out here as loops)."""

from __future__ import annotations

import numpy as np
import pytest

from ecgstudio.core.beats import beat_indices, beat_regions, beat_span, wave_arrays
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.measurements import measure_beats
from ecgstudio.core.metrics import annotated_regions
from ecgstudio.core.protocols import qt_pairs
from ecgstudio.core.waves import Wave, WaveKind

FS = 250.0
P, QRS, T = WaveKind.P, WaveKind.QRS, WaveKind.T


def random_track(seed: int, n_waves: int = 120) -> Delineation:
    """A valid track with beats missing P or T waves, lone P/T waves and gaps up to 2 s."""
    rng = np.random.default_rng(seed)
    waves: list[Wave] = []
    t = 5
    previous: WaveKind | None = None
    for _ in range(n_waves):
        # no P directly followed by T, no T followed by T
        choices = [P, QRS] if previous in (P, T) else [P, QRS, T]
        kind = choices[int(rng.integers(len(choices)))]
        t += int(rng.choice([1, 3, 20, 260, 400]))  # some gaps beyond 1 s (250 samples)
        width = int(rng.integers(12, 40))
        onset = None if kind is T and rng.random() < 0.5 else t
        waves.append(Wave(kind, onset, t + width // 2, t + width))
        t += width
        previous = kind
    return Delineation(waves, n_samples=t + 10, fs=FS)


def regions_by_loop(reference: Delineation, margin: int) -> np.ndarray:
    """The loop core.metrics.annotated_regions used before core.beats."""
    max_gap = int(round(1.0 * reference.fs))
    beats: list[list[int]] = []
    previous = None
    for wave in reference:
        same_beat = (previous is not None
                     and (previous.kind, wave.kind) in {(P, QRS), (QRS, T)}
                     and wave.start - previous.offset <= max_gap)
        if same_beat:
            beats[-1][1] = wave.offset
        else:
            beats.append([wave.start, wave.offset])
        previous = wave
    if not beats:
        return np.zeros((0, 2), dtype=np.int64)
    spans = np.array(beats, dtype=np.int64)
    spans[:, 0] -= margin
    spans[:, 1] += margin + 1
    merged = [spans[0].tolist()]
    for start, stop in spans[1:].tolist():
        if start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    return np.array(merged, dtype=np.int64)


def measurement_rule(track: Delineation) -> list[tuple[Wave | None, Wave, Wave | None]]:
    """The rule core.measurements used before core.beats: per QRS, the last P ending by its start and
    starting after the previous QRS's offset; the first T starting at/after its offset, before the next QRS."""
    waves = list(track)
    qrs = [w for w in waves if w.kind is QRS]
    out = []
    for i, q in enumerate(qrs):
        prev_off = qrs[i - 1].offset if i else -np.inf
        next_start = qrs[i + 1].start if i + 1 < len(qrs) else np.inf
        ps = [w for w in waves if w.kind is P and w.offset <= q.start]
        p = ps[-1] if ps and ps[-1].start >= prev_off else None
        ts = [w for w in waves if w.kind is T and w.start >= q.offset]
        t = ts[0] if ts and ts[0].start < next_start else None
        out.append((p, q, t))
    return out


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("margin", [0, 10, 40])
def test_regions_are_the_scoring_loop_s(seed: int, margin: int) -> None:
    track = random_track(seed)
    expected = regions_by_loop(track, margin)
    assert np.array_equal(annotated_regions(track, margin), expected)
    assert np.array_equal(beat_regions(wave_arrays(track), 250, margin), expected)


@pytest.mark.parametrize("seed", range(6))
def test_beats_are_the_measurement_rule_s_and_feed_measurements_and_qt(seed: int) -> None:
    track = random_track(seed)
    expected = measurement_rule(track)
    beats = beat_indices(wave_arrays(track))
    got = [tuple(None if i < 0 else track[i] for i in row) for row in beats.tolist()]
    assert got == expected
    table = measure_beats(track, FS)
    pr = [(q.onset - p.onset) * 4.0 if p is not None else np.nan for p, q, _ in expected]
    np.testing.assert_allclose(table.pr_ms, pr)
    qt = [(t.offset, q.onset) for _, q, t in expected if t is not None]
    assert qt_pairs(track).tolist() == [[on, off] for off, on in qt]


def test_beats_of_an_unsorted_list_are_those_of_the_sorted_track() -> None:
    track = random_track(3)
    shuffled = list(track)[::-1]
    a, b = measure_beats(shuffled, FS), measure_beats(track, FS)
    np.testing.assert_array_equal(a.qt_ms, b.qt_ms)
    np.testing.assert_array_equal(a.label, b.label)


@pytest.mark.parametrize("seed", range(4))
def test_beat_span_is_the_beat_holding_the_wave(seed: int) -> None:
    track = random_track(seed)
    for p, q, t in measurement_rule(track):
        span = ((p or q).start, (t or q).offset)
        for wave in (p, q, t):
            if wave is not None:
                assert beat_span(track, wave) == span
    in_a_beat = {w for beat in measurement_rule(track) for w in beat if w is not None}
    lone = [w for w in track if w not in in_a_beat]
    assert lone, "the random track should hold lone P/T waves"
    assert all(beat_span(track, w) is None for w in lone)
    assert beat_span(track, Wave(QRS, 1, 2, 3)) is None  # not in the track


def test_a_gap_limit_splits_a_beat() -> None:
    waves = [Wave(P, 10, 15, 20), Wave(QRS, 400, 405, 420), Wave(T, None, 450, 480)]
    arrays = wave_arrays(waves)
    assert beat_indices(arrays).tolist() == [[0, 1, 2]]
    assert beat_indices(arrays, max_gap=250).tolist() == [[-1, 1, 2]]
    assert beat_regions(arrays, max_gap=250).tolist() == [[10, 21], [400, 481]]
    assert beat_regions(wave_arrays([])).shape == (0, 2)
