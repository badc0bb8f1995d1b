"""Disagreements with a reference: only inside its annotated beats, per-fiducial tolerances."""

from __future__ import annotations

import numpy as np

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.disagreement import CSE_TOLERANCES_MS, FIDUCIALS, Reason, find_disagreements
from ecgstudio.core.metrics import Fiducial
from ecgstudio.core.waves import Wave, WaveKind

FS = 250.0  # 4 ms per sample
RR = 200


def _beat(b: int, qrs_on: int = 40, t_off: int = 150, p: bool = True) -> list[Wave]:
    waves = [Wave(WaveKind.P, b, b + 10, b + 25)] if p else []
    return waves + [Wave(WaveKind.QRS, b + qrs_on, b + 45, b + 60), Wave(WaveKind.T, None, b + 120, b + t_off)]


def _track(waves: list[Wave], name: str) -> Delineation:
    return Delineation(waves, n_samples=20 * RR, fs=FS, name=name)


def test_beats_the_reference_left_out_are_never_flagged() -> None:
    edited = _track([w for i in range(10) for w in _beat(i * RR)], "model")
    reference = _track([w for i in (3, 4, 5) for w in _beat(i * RR)], "q1c")  # LUDB-like: beats in the middle
    assert len(find_disagreements(edited, reference)) == 0
    empty = find_disagreements(edited, _track([], "q1c"))
    assert len(empty) == 0


def test_a_fiducial_is_flagged_only_beyond_its_tolerance() -> None:
    edited = [w for i in range(10) for w in _beat(i * RR)]
    edited[3 * 3 + 1] = Wave(WaveKind.QRS, 3 * RR + 42, 3 * RR + 45, 3 * RR + 60)  # QRS on +8 ms > 6.5
    edited[4 * 3 + 2] = Wave(WaveKind.T, None, 4 * RR + 120, 4 * RR + 157)  # T off +28 ms < 30.6
    edited[5 * 3 + 2] = Wave(WaveKind.T, None, 5 * RR + 120, 5 * RR + 158)  # T off +32 ms > 30.6
    reference = _track([w for i in (3, 4, 5) for w in _beat(i * RR)], "q1c")
    found = find_disagreements(_track(edited, "model"), reference)
    assert found.sample.tolist() == [3 * RR + 42, 5 * RR + 158]
    assert [FIDUCIALS[i] for i in found.fiducial] == [Fiducial.QRS_ON, Fiducial.T_OFF]
    assert found.reason.tolist() == [Reason.MOVED, Reason.MOVED]
    assert found.error_ms.tolist() == [8.0, 32.0]
    assert "QRS on 8 ms later than q1c (tolerance 6.5 ms)" == found.describe(0, "q1c")
    looser = {**CSE_TOLERANCES_MS, Fiducial.QRS_ON: 8.0}
    assert len(find_disagreements(_track(edited, "model"), reference, tolerances_ms=looser)) == 1


def test_missing_and_extra_waves_inside_annotated_beats() -> None:
    edited = [w for i in range(10) for w in _beat(i * RR, p=i != 4)]  # no P in beat 4
    edited.insert(3 * 3 + 2, Wave(WaveKind.QRS, 3 * RR + 70, 3 * RR + 75, 3 * RR + 85))  # a QRS in the ST segment
    reference = _track([w for i in (3, 4) for w in _beat(i * RR)], "q1c")
    found = find_disagreements(_track(edited, "model"), reference)
    missing = found.sample[found.reason == Reason.MISSING].tolist()
    extra = found.sample[found.reason == Reason.EXTRA].tolist()
    assert missing == [4 * RR, 4 * RR + 10, 4 * RR + 25]
    assert extra == [3 * RR + 70, 3 * RR + 75, 3 * RR + 85]
    assert np.isnan(found.error_ms[found.reason != Reason.MOVED]).all()
    assert found.between(4 * RR, 4 * RR + 10).tolist() == [4 * RR, 4 * RR + 10]


def test_a_fiducial_the_reference_never_annotates_is_not_compared() -> None:
    edited = _track([w for i in range(5) for w in _beat(i * RR)], "model")
    no_peaks = [Wave(w.kind, w.onset, None, w.offset) if w.kind is WaveKind.P else w
                for i in (1, 2) for w in _beat(i * RR)]
    assert len(find_disagreements(edited, _track(no_peaks, "q1c"))) == 0
    plain = find_disagreements(list(edited), _track(no_peaks, "q1c"))  # a list of waves works too
    assert len(plain) == 0


def test_a_whole_day_against_a_full_reference_stays_fast() -> None:
    import time

    n = 30_000
    edited = Delineation([w for i in range(n) for w in _beat(i * RR)], n_samples=n * RR + 10, fs=FS)
    reference = Delineation([w for i in range(n) for w in _beat(i * RR + 2)], n_samples=n * RR + 10, fs=FS)
    start = time.perf_counter()
    found = find_disagreements(edited, reference)
    assert time.perf_counter() - start < 1.0
    assert len(found) == n  # every QRS onset 8 ms early; the other fiducials are within tolerance
