"""A global track from per-lead tracks (core.consensus)."""

from __future__ import annotations

import pytest

from ecgstudio.core.consensus import consensus_track
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.waves import Wave, WaveKind

N, FS = 2000, 500.0


def _lead(lead: int, shift: int, with_p: bool = True) -> Delineation:
    waves = []
    for k in range(3):
        base = 100 + 600 * k
        if with_p:
            waves.append(Wave(WaveKind.P, base + shift, base + 30 + shift, base + 60 + shift, lead))
        waves += [Wave(WaveKind.QRS, base + 100 - shift, base + 120, base + 150 + shift, lead),
                  Wave(WaveKind.T, None, base + 250 + shift, base + 330 + shift, lead)]
    return Delineation(waves, n_samples=N, fs=FS, lead=lead, name="ii")


def test_earliest_onset_latest_offset_and_median_peak_over_the_leads() -> None:
    leads = [_lead(0, 0), _lead(1, 4), _lead(2, 10, with_p=False)]  # lead 2 shows no P wave
    out = consensus_track(leads)
    assert out.lead is None and out.name == "ii"
    qrs = [w for w in out if w.kind is WaveKind.QRS]
    assert len(qrs) == 3
    assert (qrs[0].onset, qrs[0].peak, qrs[0].offset) == (190, 220, 260)
    p = [w for w in out if w.kind is WaveKind.P]
    assert len(p) == 3 and (p[0].onset, p[0].offset) == (100, 164)  # the leads that show it
    t = [w for w in out if w.kind is WaveKind.T]
    assert t[0].onset is None and t[0].peak == 354 and t[0].offset == 440


def test_one_lead_gives_its_own_waves_and_bad_input_is_refused() -> None:
    lead = _lead(3, 0)
    assert [(w.kind, w.onset, w.peak, w.offset) for w in consensus_track([lead])] == \
        [(w.kind, w.onset, w.peak, w.offset) for w in lead]
    with pytest.raises(ValueError):
        consensus_track([])
    other = Delineation([], n_samples=N + 1, fs=FS, lead=0)
    with pytest.raises(ValueError):
        consensus_track([lead, other])
