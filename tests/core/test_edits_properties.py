"""Property tests: random edit sequences keep every rule; inverses restore the original."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ecgstudio.core.delineation import Delineation
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


@settings(max_examples=100, deadline=None)
@given(st.data(), delineations(max_waves=10))
def test_clamped_moves_never_fail_and_stay_inside_limits(data: st.DataObject, track: Delineation) -> None:
    if not len(track):
        return
    wave = data.draw(st.sampled_from(track.waves))
    fields = [f for f in ("onset", "peak", "offset") if getattr(wave, f) is not None]
    field = data.draw(st.sampled_from(fields))
    lo, hi = track.boundary_limits(wave, field)
    target = data.draw(st.integers(-100, track.n_samples + 100))
    MoveBoundary(wave, field, target, clamp=True).apply(track)
    moved = track.waves_between(lo, hi)
    assert any(lo <= getattr(w, field) <= hi for w in moved if getattr(w, field) is not None)
    track.check()


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

