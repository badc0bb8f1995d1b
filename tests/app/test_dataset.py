"""Training data from a QTDB-like WFDB folder (synthetic records written into tmp_path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecgstudio.app.dataset import (
    annotated_records,
    build_window_set,
    complete_records,
    load_labelled_leads,
    split_records,
)
from ecgstudio.core.waves import SegmentClass

FS = 250
RR = 200  # samples between beats
N_BEATS = 40


def _bump(n: int, centre: int, width: float, height: float) -> np.ndarray:
    t = np.arange(n)
    return height * np.exp(-0.5 * ((t - centre) / width) ** 2)


def r_peaks() -> np.ndarray:
    return np.arange(N_BEATS) * RR + 100


def write_record(folder: Path, name: str, *, q1c_beats: list[int], with_p: bool = True, atr: bool = True,
                 fs: int = FS) -> None:
    """A 2-lead record with a beat every RR samples; q1c annotates the given beat numbers."""
    n = N_BEATS * RR + 200
    sig = np.zeros(n)
    for r in r_peaks():
        sig += _bump(n, r - 47, 6, 0.15) + _bump(n, r, 3, 1.0) + _bump(n, r + 70, 12, 0.3)
    signals = np.stack([sig, 0.5 * sig], axis=1)
    wfdb.wrsamp(name, fs=fs, units=["mV", "mV"], sig_name=["ECG1", "ECG2"], p_signal=signals,
                fmt=["16", "16"], adc_gain=[1000.0, 1000.0], baseline=[0, 0], write_dir=str(folder))

    def beat_annotations(r: int, p: bool, t_onset: bool) -> list[tuple[int, str, int]]:
        anns = []
        if p:
            anns += [(r - 60, "(", 0), (r - 47, "p", 0), (r - 35, ")", 0)]
        anns += [(r - 12, "(", 1), (r, "N", 0), (r + 12, ")", 1)]
        if t_onset:
            anns.append((r + 40, "(", 2))
        anns += [(r + 70, "t", 0), (r + 100, ")", 2)]
        return anns

    def write(ext: str, anns: list[tuple[int, str, int]], chan: int) -> None:
        # wfdb only writes letter-only extensions: write "tmpann", then rename to e.g. "q1c"
        wfdb.wrann(name, "tmpann", np.array([a[0] for a in anns]), symbol=[a[1] for a in anns],
                   num=np.array([a[2] for a in anns]), chan=np.full(len(anns), chan), write_dir=str(folder),
                   fs=fs)
        (folder / f"{name}.tmpann").replace(folder / f"{name}.{ext}")

    rs = r_peaks()
    write("q1c", [a for b in q1c_beats for a in beat_annotations(int(rs[b]), with_p, False)], 0)
    every = [a for r in rs for a in beat_annotations(int(r), True, True)]
    write("pu0", every, 0)
    write("pu1", every, 1)
    if atr:
        write("atr", [(int(r), "N", 0) for r in rs], 0)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    # beats 10-19 annotated, 15 skipped by the annotator
    write_record(tmp_path, "rec1", q1c_beats=[b for b in range(10, 20) if b != 15])
    write_record(tmp_path, "nop", q1c_beats=list(range(10, 20)), with_p=False)
    write_record(tmp_path, "noatr", q1c_beats=[b for b in range(10, 20) if b != 15], atr=False)
    return tmp_path


def test_q1c_labels_every_lead_and_leaves_skipped_beats_unlabelled(db: Path) -> None:
    leads = load_labelled_leads(db / "rec1", "q1c")
    assert [lead.lead for lead in leads] == [0, 1]
    a, b = leads
    np.testing.assert_array_equal(a.classes, b.classes)
    np.testing.assert_array_equal(a.weights, b.weights)
    r = r_peaks()
    assert a.classes[r[12] - 47] == SegmentClass.P and a.weights[r[12] - 47] == 1
    assert a.classes[r[12] - 20] == SegmentClass.PQ
    assert a.classes[r[12] - 5] == SegmentClass.QR
    assert a.classes[r[12] + 5] == SegmentClass.RS
    assert a.classes[r[12] + 70] == SegmentClass.ST
    assert a.classes[r[12] + 120] == SegmentClass.TP and a.weights[r[12] + 120] == 1
    # beat 15 was not annotated: neither it nor the gaps around it are labelled
    assert np.all(a.weights[r[14] + 100:r[16] - 60] == 0)
    # outside the annotated region nothing is labelled (never pretend it is TP)
    assert np.all(a.weights[: r[10] - 60] == 0) and np.all(a.weights[r[19] + 101:] == 0)
    assert a.signal.dtype == np.float32 and a.signal.size == N_BEATS * RR + 200


def test_record_without_p_marks_has_no_tp_labels(db: Path) -> None:
    lead = load_labelled_leads(db / "nop", "q1c")[0]
    labelled = lead.classes[lead.weights > 0]
    assert SegmentClass.TP not in labelled and SegmentClass.P not in labelled
    assert SegmentClass.QR in labelled and SegmentClass.ST in labelled


def test_without_atr_the_pu_beats_still_mark_the_skipped_beat(db: Path) -> None:
    lead = load_labelled_leads(db / "noatr", "q1c")[0]
    r = r_peaks()
    assert np.all(lead.weights[r[14] + 100:r[16] - 60] == 0)
    assert lead.weights[r[12] + 120] == 1


def test_pu_files_label_their_own_lead_only(db: Path) -> None:
    (lead0,) = load_labelled_leads(db / "rec1", "pu0")
    (lead1,) = load_labelled_leads(db / "rec1", "pu1")
    assert (lead0.lead, lead1.lead) == (0, 1)
    assert lead0.weights.mean() > 0.9  # whole record
    assert not np.allclose(lead0.signal, lead1.signal)


def test_windows_lie_where_labels_are(db: Path) -> None:
    ws = build_window_set(db, ["rec1", "nop"], window=400, hop=100)
    assert len(ws) > 0
    for seg, start in ws.index:
        assert ws.weights[seg][start:start + 400].mean() >= 0.5
    pu = build_window_set(db, ["rec1"], ext="pu", window=400, hop=400)
    assert len(pu.signals) == 2 and len(pu) >= 2 * (N_BEATS * RR // 400 - 1)


def test_complete_records_and_listing(db: Path) -> None:
    names = [p.name for p in annotated_records(db)]
    assert sorted(names) == ["noatr", "nop", "rec1"]
    assert sorted(complete_records(db, names)) == ["noatr", "rec1"]


def test_split_is_deterministic_disjoint_and_tests_only_candidates() -> None:
    names = [f"r{i:03d}" for i in range(60)]
    candidates = names[:50]
    a = split_records(names, seed=4, n_test=20, n_val=10, test_candidates=candidates)
    b = split_records(list(reversed(names)), seed=4, n_test=20, n_val=10, test_candidates=candidates)
    assert a == b
    assert len(a.test) == 20 and len(a.validation) == 10 and len(a.train) == 30
    assert not (set(a.test) & set(a.train)) and not (set(a.validation) & set(a.train))
    assert not set(a.test) & set(a.validation)
    assert set(a.test) | set(a.validation) <= set(candidates)
    assert set(names[50:]) <= set(a.train)
    assert split_records(names, seed=5, n_test=20, n_val=10).test != a.test
