"""Hypothesis strategies for random, valid delineations."""

from __future__ import annotations

from hypothesis import strategies as st

from ecgstudio.core.delineation import Delineation, min_width_samples
from ecgstudio.core.waves import Wave, WaveKind

FS = 250.0

_NEXT = {
    None: (WaveKind.P, WaveKind.QRS),
    WaveKind.P: (WaveKind.P, WaveKind.QRS),
    WaveKind.QRS: (WaveKind.T, WaveKind.P, WaveKind.QRS),
    WaveKind.T: (WaveKind.P, WaveKind.QRS),
}


@st.composite
def delineations(draw: st.DrawFn, max_waves: int = 25, lead: int | None = None) -> Delineation:
    """A valid track built wave by wave with random gaps, widths and missing onsets/peaks."""
    n_waves = draw(st.integers(0, max_waves))
    cursor = draw(st.integers(0, 30))
    previous: WaveKind | None = None
    waves: list[Wave] = []
    for _ in range(n_waves):
        kind = draw(st.sampled_from(_NEXT[previous]))
        gap = draw(st.integers(1 if kind is previous else 0, 120))
        width = draw(st.integers(min_width_samples(kind, FS), 60))
        onset = cursor + gap
        offset = onset + width
        peak = draw(st.one_of(st.none(), st.integers(onset, offset)))
        has_onset = kind is not WaveKind.T or draw(st.booleans())
        if not has_onset and peak is not None and offset - peak < min_width_samples(kind, FS):
            peak = None
        if not has_onset and peak is None:
            # a T wave known only by its offset
            waves.append(Wave(kind, None, None, offset, lead))
        else:
            waves.append(Wave(kind, onset if has_onset else None, peak, offset, lead))
        cursor = offset
        previous = kind
    n_samples = cursor + draw(st.integers(1, 50))
    return Delineation(waves, n_samples=n_samples, fs=FS, lead=lead, name="random")
