"""Property tests: random edit sequences keep every rule; inverses restore the original."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecgstudio.core.delineation import FORBIDDEN_SUCCESSOR, Delineation, min_width_samples
from ecgstudio.core.edits import AddWave, DeleteWaves, MoveBoundary, Relabel, ReplaceRange
from ecgstudio.core.errors import EditError
from ecgstudio.core.waves import Wave, WaveKind

from .strategies import delineations


@st.composite
def _edit_for(draw: st.DrawFn, track: Delineation):
    ops = ["add", "range"] + (["move", "move", "delete", "relabel"] if len(track) else [])
    op = draw(st.sampled_from(ops))
    last = track.n_samples - 1
    if op == "add":
        kind = draw(st.sampled_from(list(WaveKind)))
        onset = draw(st.integers(-5, last + 5))
        width = draw(st.integers(0, 40))
        return AddWave(Wave(kind, onset, None, onset + width, track.lead))
    if op == "range":
        a = draw(st.integers(0, last))
        b = draw(st.integers(a, last))
        keep = draw(st.booleans())
        waves = tuple(w.shifted(draw(st.integers(-3, 3))) for w in track.waves_between(a, b)) if keep else ()
        return ReplaceRange(a, b, waves)
    wave = draw(st.sampled_from(track.waves))
    if op == "move":
        field = draw(st.sampled_from(["onset", "peak", "offset"]))
        return MoveBoundary(wave, field, draw(st.integers(-10, last + 10)), clamp=draw(st.booleans()))
    if op == "delete":
        return DeleteWaves((wave,))
    return Relabel(wave, draw(st.sampled_from(list(WaveKind))))


@settings(max_examples=150, deadline=None)
@given(st.data(), delineations())
def test_random_edits_keep_invariants_and_inverses_restore(data: st.DataObject, track: Delineation) -> None:
    original = track.waves
    inverses = []
    for _ in range(data.draw(st.integers(1, 15))):
        edit = data.draw(_edit_for(track))
        before = track.waves
        revision = track.revision
        try:
            inverses.append(edit.apply(track))
        except EditError:
            assert track.waves == before, "a refused edit must leave the track untouched"
            assert track.revision == revision
            continue
        track.check()  # every rule still holds
        assert all(0 <= w.start <= w.offset <= track.n_samples - 1 for w in track.waves)
        assert list(track.waves) == sorted(track.waves, key=lambda w: (w.start, w.offset))
    for inverse in reversed(inverses):
        inverse.apply(track)
    assert track.waves == original


@settings(max_examples=100, deadline=None)
@given(st.data(), delineations(max_waves=10))
def test_undo_then_redo_reaches_the_same_state(data: st.DataObject, track: Delineation) -> None:
    for _ in range(5):
        edit = data.draw(_edit_for(track))
        try:
            inverse = edit.apply(track)
        except EditError:
            continue
        after = track.waves
        redo = inverse.apply(track)
        redo.apply(track)
        assert track.waves == after


# ---------------------------------------------------------------- clamped moves
FIELDS = ("onset", "peak", "offset")


@st.composite
def tight_tracks(draw: st.DrawFn, max_waves: int = 8) -> Delineation:
    """A valid track of all kinds and shapes, often packed tight.

    Waves may lack an onset, a peak or both (known only by the offset), touch
    their neighbours (gap 0, or 1 sample for the same kind), have the minimum
    width, start at sample 0 and end on the last sample; ``fs`` varies, so the
    8 ms minimum width is 1 to 8 samples.
    """
    fs = draw(st.sampled_from([125.0, 250.0, 360.0, 500.0, 1000.0]))
    lead = draw(st.sampled_from([None, 0, 3]))
    cursor = draw(st.integers(0, 3))
    previous: WaveKind | None = None
    waves: list[Wave] = []
    for _ in range(draw(st.integers(0, max_waves))):
        allowed = [k for k in WaveKind if previous is None or k not in FORBIDDEN_SUCCESSOR[previous]]
        kind = draw(st.sampled_from(allowed))
        same = kind is previous
        start = cursor + draw(st.one_of(st.integers(int(same), 2), st.integers(int(same), 40)))
        shape = draw(st.sampled_from(["full", "no peak", "no onset", "offset only"]))
        if shape == "offset only":
            waves.append(Wave(kind, None, None, start, lead))
            cursor = start
        else:
            min_w = min_width_samples(kind, fs)
            offset = start + min_w + draw(st.one_of(st.integers(0, 2), st.integers(0, 30)))
            onset = None if shape == "no onset" else start
            if shape == "no onset":
                peak = start
            elif shape == "no peak":
                peak = None
            else:
                peak = draw(st.integers(start, offset))
            waves.append(Wave(kind, onset, peak, offset, lead))
            cursor = offset
        previous = kind
    n_samples = cursor + draw(st.integers(1, 3))
    return Delineation(waves, n_samples=n_samples, fs=fs, lead=lead, name="tight")


def _legal_positions(track: Delineation, wave: Wave, field: str) -> list[int]:
    """Brute force: every sample ``field`` of ``wave`` may take, found by trying each one.

    A position is legal when the track accepts the moved wave and keeps it in
    the same place among its neighbours (a boundary move never reorders
    waves); the current position always is (moving there changes nothing).
    """
    index = track.index_of(wave)
    current = getattr(wave, field)
    legal = []
    for sample in range(-2, track.n_samples + 2):
        if sample == current:
            legal.append(sample)
            continue
        moved = wave.with_boundary(field, sample)
        trial = track.copy()
        try:
            trial.replace((wave,), (moved,))
        except EditError:
            continue
        # the whole order compared, not just trial[index]: a wave equal in value to the moved one (two
        # one-sample waves of a kind on one sample) could stand at ``index`` after a reordering move
        if list(trial.waves) == [moved if i == index else w for i, w in enumerate(track.waves)]:
            legal.append(sample)
    return legal


def _has_tied_sort_keys(waves: tuple[Wave, ...]) -> bool:
    """Whether two neighbours share ``(start, offset)`` (zero-width waves on one sample)."""
    return any((a.start, a.offset) == (b.start, b.offset) for a, b in pairwise(waves))


@settings(max_examples=150, deadline=None)
@given(st.data(), tight_tracks())
def test_boundary_limits_are_exactly_the_legal_positions(data: st.DataObject, track: Delineation) -> None:
    if not len(track):
        return
    wave = data.draw(st.sampled_from(track.waves))
    for field in FIELDS:
        lo, hi = track.boundary_limits(wave, field)
        legal = _legal_positions(track, wave, field)
        assert legal == list(range(lo, hi + 1)), (wave, field, (lo, hi))
        current = getattr(wave, field)
        if current is not None:
            assert lo <= current <= hi  # a set boundary can always stay where it is


@settings(max_examples=200, deadline=None)
@given(st.data(), tight_tracks())
def test_clamped_moves_never_fail_and_stay_inside_limits(data: st.DataObject, track: Delineation) -> None:
    """Any field (also an unset one), any target: the move lands on the nearest legal sample; undo restores."""
    if not len(track):
        return
    original = track.waves
    wave = data.draw(st.sampled_from(track.waves))
    index = track.index_of(wave)
    field = data.draw(st.sampled_from(FIELDS))
    target = data.draw(st.integers(-100, track.n_samples + 100))
    lo, hi = track.boundary_limits(wave, field)
    legal = _legal_positions(track, wave, field)

    inverse = MoveBoundary(wave, field, target, clamp=True).apply(track)  # never raises

    track.check()
    moved = track[index]
    assert len(track) == len(original)
    assert [w for i, w in enumerate(track.waves) if i != index] == [w for i, w in enumerate(original) if i != index]
    if legal:
        expected = min(legal, key=lambda s: abs(s - target))  # legal is an interval: one nearest
        assert lo <= expected <= hi
        assert moved == wave.with_boundary(field, expected)
    else:  # an unset field that cannot be set stays unset
        assert getattr(wave, field) is None and moved == wave
    if moved == wave:
        assert track.waves == original
    if _has_tied_sort_keys(original):
        # Delineation.replace re-inserts a wave after every wave with the same sort key, so undo
        # may swap (or refuse to restore) two zero-width waves on one sample: a bug of replace,
        # not of the limits (strict xfail in test_delineation.py)
        return
    inverse.apply(track)
    assert track.waves == original


@pytest.mark.parametrize("fs, min_w", [(250.0, 2), (500.0, 4), (1000.0, 8)])
def test_t_peak_dragged_past_its_offset_stops_at_the_minimum_width(fs: float, min_w: int) -> None:
    """Regression: T peak 5, offset 7, no onset; the peak was clamped to 6 and the move then refused."""
    t_wave = Wave(WaveKind.T, None, 5, 5 + min_w)
    track = Delineation([t_wave], n_samples=40, fs=fs)
    assert track.boundary_limits(t_wave, "peak") == (0, 5)  # the peak is the start: offset - peak >= min width
    for target in (6, 5 + min_w, 39, 1000):
        inverse = MoveBoundary(t_wave, "peak", target, clamp=True).apply(track)
        assert track.waves == (t_wave,)  # already at the limit: stays, nothing refused
        inverse.apply(track)
        assert track.waves == (t_wave,)
    inverse = MoveBoundary(t_wave, "peak", 2, clamp=True).apply(track)
    assert track.waves == (Wave(WaveKind.T, None, 2, 5 + min_w),)
    inverse.apply(track)
    assert track.waves == (t_wave,)


@settings(max_examples=60, deadline=None)
@given(st.data(), delineations(max_waves=200))
def test_bulk_replace_agrees_with_rebuilding_the_track(data: st.DataObject, track: Delineation) -> None:
    """Large edits take the linear-time path; they must accept and refuse exactly what a rebuild would."""
    waves = list(track.waves)
    removed = [w for w in waves if data.draw(st.booleans())]
    shift = data.draw(st.integers(-3, 3))
    added = [w.shifted(shift) for w in removed if data.draw(st.booleans())]
    remaining = [w for w in waves if w not in removed]
    try:
        expected = Delineation(remaining + added, n_samples=track.n_samples, fs=track.fs).waves
    except EditError:
        expected = None
    try:
        track.replace(removed, added)
    except EditError:
        assert expected is None
        assert track.waves == tuple(waves)
        return
    assert track.waves == expected

