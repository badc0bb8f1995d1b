"""Beat labels from the record's atr: label_from_beat_file, ``annotate`` writing V/A, .ecgs round trip."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecgstudio.app import preannotate as preannotate_module
from ecgstudio.app.annotate import annotate_one
from ecgstudio.app.preannotate import label_from_beat_file
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import AnnotationError
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.io.annotations import read_tracks, write_tracks

DATA = Path(__file__).resolve().parents[1] / "data"
FS = 250.0
N_SAMPLES = 7500


def reference_track() -> Delineation:
    """The excerpt's manual q1c delineation (about 30 QRS complexes, symbols N)."""
    (track,) = read_tracks(DATA / "sel100x", "q1c", n_samples=N_SAMPLES, fs=FS)
    return track


@pytest.fixture
def record(tmp_path: Path) -> Path:
    """sel100x (.hea/.dat only) with an atr that calls every 5th beat V and every 7th A (peaks jittered)."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("sel100x.hea", "sel100x.dat"):
        shutil.copy(DATA / name, folder / name)
    peaks = np.array([w.peak for w in reference_track() if w.kind is WaveKind.QRS], dtype=np.int64)
    symbols = ["V" if i % 5 == 2 else "A" if i % 7 == 3 else "N" for i in range(peaks.size)]
    jitter = np.tile([0, 3, -4, 6], peaks.size)[:peaks.size]
    samples = np.concatenate([[5], peaks + jitter])  # plus a rhythm annotation, ignored
    wfdb.wrann("sel100x", "atr", samples, ["+"] + symbols, aux_note=["(N"] + [""] * peaks.size, fs=FS,
               write_dir=str(folder))
    return folder / "sel100x"


def atr_beats(record: Path) -> dict[int, str]:
    ann = wfdb.rdann(str(record), "atr")
    return {int(s): sym for s, sym in zip(ann.sample, ann.symbol, strict=True) if sym != "+"}


def test_label_from_beat_file_sets_v_and_a_on_the_matching_qrs(record: Path) -> None:
    track = reference_track()
    (labelled,), n = label_from_beat_file([track], record)
    qrs = [w for w in labelled if w.kind is WaveKind.QRS]
    assert n == len(qrs)
    expected = sorted(atr_beats(record).items())
    assert [w.peak_symbol for w in qrs] == [sym for _, sym in expected]
    assert {"V", "A"} <= {w.peak_symbol for w in qrs}
    assert (labelled.name, labelled.lead, labelled.n_samples, labelled.fs) == (track.name, None, N_SAMPLES, FS)
    assert [(w.kind, w.onset, w.peak, w.offset) for w in labelled] == [
        (w.kind, w.onset, w.peak, w.offset) for w in track]


def test_without_beat_file_the_tracks_come_back_unchanged(tmp_path: Path) -> None:
    track = reference_track()
    out, n = label_from_beat_file([track], tmp_path / "nothing")
    assert out[0] is track and n == 0
    assert label_from_beat_file([], tmp_path / "nothing") == ([], 0)


def test_a_partial_record_shifts_the_beats(record: Path) -> None:
    # a track of samples 1000.. of the record: its sample 0 is the record's sample 1000
    shifted = [w.shifted(-1000) for w in reference_track() if w.start >= 1000]
    track = Delineation(shifted, n_samples=N_SAMPLES - 1000, fs=FS)
    (labelled,), _ = label_from_beat_file([track], record, start_sample=1000)
    beats = atr_beats(record)
    for wave in labelled:
        if wave.kind is WaveKind.QRS:
            nearest = min(beats, key=lambda s: abs(s - 1000 - wave.peak))
            assert wave.peak_symbol == beats[nearest]


def test_annotate_writes_the_atr_labels_at_the_qrs_peaks(record: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_preannotate(rec, model=None, *, per_lead=False, progress=None, **kwargs):
        return [reference_track().copy("model")]

    monkeypatch.setattr(preannotate_module, "preannotate", fake_preannotate)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    outcome = annotate_one(record, out_dir, "ecgs", None, False)
    assert outcome.error is None and outcome.written == out_dir / "sel100x.ecgs"
    ann = wfdb.rdann(str(out_dir / "sel100x"), "ecgs")
    peak_symbols = {int(s): sym for s, sym in zip(ann.sample, ann.symbol, strict=True)
                    if sym not in ("(", ")", "p", "t")}
    qrs_peaks = [w.peak for w in reference_track() if w.kind is WaveKind.QRS]
    assert sorted(peak_symbols) == qrs_peaks  # the labels sit on the QRS peaks
    assert list(peak_symbols.values()).count("V") == list(atr_beats(record).values()).count("V") > 0
    assert list(peak_symbols.values()).count("A") == list(atr_beats(record).values()).count("A") > 0
    assert [peak_symbols[p] for p in qrs_peaks] == [s for _, s in sorted(atr_beats(record).items())]


def test_annotate_reports_a_corrupt_atr_and_goes_on(record: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preannotate_module, "preannotate", lambda *a, **k: [reference_track()])
    record.with_name("sel100x.atr").write_bytes(b"\x01\x02\x03")
    outcome = annotate_one(record, tmp_path, "ecgs", None, False)
    assert outcome.written is None and "sel100x.atr" in outcome.error and "\n" not in outcome.error
    with pytest.raises(AnnotationError):
        label_from_beat_file([reference_track()], record)


def test_ecgs_round_trip_keeps_every_beat_label(tmp_path: Path) -> None:
    symbols = ["N", "V", "A", "L", "R", "F", "/", "Q", "E", "j"]
    waves = [Wave(WaveKind.QRS, 100 + 200 * i, 110 + 200 * i, 125 + 200 * i, symbol=s)
             for i, s in enumerate(symbols)]
    waves.append(Wave(WaveKind.QRS, 2500, None, 2520, symbol="V"))  # no peak: the label has nowhere to go
    track = Delineation(waves, n_samples=N_SAMPLES, fs=FS)
    for name in ("sel100x.hea", "sel100x.dat"):
        shutil.copy(DATA / name, tmp_path / name)
    write_tracks(tmp_path / "sel100x", "ecgs", [track])
    (back,) = read_tracks(tmp_path / "sel100x", "ecgs", n_samples=N_SAMPLES, fs=FS)
    assert [w.peak_symbol for w in back] == symbols + ["N"]
    assert list(back.waves[:-1]) == [w if w.symbol != "N" else Wave(w.kind, w.onset, w.peak, w.offset)
                                     for w in waves[:-1]]
