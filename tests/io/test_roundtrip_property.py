"""Any valid track written by ECG Studio reads back as the same waves (property test)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import SaveError
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.io.annotations import read_tracks, write_tracks

N_SAMPLES = 5000
KINDS = [WaveKind.P, WaveKind.QRS, WaveKind.T]


@st.composite
def tracks(draw, lead=None):
    waves = []
    position = draw(st.integers(0, 50))
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.sampled_from(KINDS))
        width = draw(st.integers(3, 60))
        onset = position if draw(st.booleans()) else None
        peak = position + draw(st.integers(0, width)) if draw(st.booleans()) else None
        # a symbol lives on the peak annotation, so only waves with a peak carry one
        with_symbol = kind is WaveKind.QRS and peak is not None
        symbol = draw(st.sampled_from([None, "V", "A", "B", "Q"])) if with_symbol else None
        waves.append(Wave(kind, onset, peak, position + width, lead, symbol))
        position += width + draw(st.integers(0, 40))
    waves = [w for w in waves if w.offset < N_SAMPLES]
    track, _ = Delineation.from_waves_lenient(waves, n_samples=N_SAMPLES, fs=360, lead=lead, name="gen")
    return track


@settings(max_examples=30, deadline=None)
@given(tracks())
def test_global_track_round_trip(track: Delineation):
    with tempfile.TemporaryDirectory() as tmp:
        write_tracks(Path(tmp) / "rec", "ecgs", [track])
        (back,) = read_tracks(Path(tmp) / "rec", "ecgs", n_samples=N_SAMPLES, fs=360)
    assert back.lead is None
    assert back.same_waves(track), (track.waves, back.waves)


@settings(max_examples=20, deadline=None)
@given(tracks(lead=0), tracks(lead=4))
def test_per_lead_tracks_round_trip(first: Delineation, second: Delineation):
    with tempfile.TemporaryDirectory() as tmp:
        write_tracks(Path(tmp) / "rec", "ecgs", [first, second])
        back = read_tracks(Path(tmp) / "rec", "ecgs", n_samples=N_SAMPLES, fs=360)
    # a file holding only lead-4 annotations reads back as one per-lead track of lead 4
    non_empty = [t for t in (first, second) if len(t)]
    by_lead = {t.lead: t for t in back}
    for original in non_empty:
        assert by_lead[original.lead].same_waves(original)


def test_write_failure_is_reported_as_save_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import ecgstudio.io._write as writer

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(writer.tempfile, "mkdtemp", refuse)
    with pytest.raises(SaveError, match="cannot write into .*Permission denied"):
        write_tracks(tmp_path / "rec", "ecgs", [Delineation([], n_samples=10, fs=250)])
