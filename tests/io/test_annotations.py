"""Annotation files: exact round trips on real QTDB files, the writing convention, track mapping."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import SaveError
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.io.annotations import (
    list_annotation_exts,
    read_annotation_file,
    read_beats,
    read_tracks,
    write_tracks,
)

SEL100_SAMPLES = 225_000  # length of QTDB sel100 (its signal is not in tests/data)
SEL100_LEADS = ("MLII", "V5")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def rdann_fields(record: Path, ext: str) -> dict[str, np.ndarray]:
    ann = wfdb.rdann(str(record), ext)
    return {"sample": np.asarray(ann.sample), "symbol": np.asarray(ann.symbol),
            "num": np.asarray(ann.num), "chan": np.asarray(ann.chan)}


@pytest.mark.parametrize("ext", ["q1c", "pu"])
def test_real_qtdb_file_round_trips_exactly(data_dir: Path, tmp_path: Path, ext: str):
    source = data_dir / "sel100"
    result = read_annotation_file(source, ext, n_samples=SEL100_SAMPLES, fs=250, lead_names=SEL100_LEADS)
    assert result.n_dropped == 0
    written = write_tracks(source, ext, result.tracks, out_dir=tmp_path)
    assert written == tmp_path / f"sel100.{ext}"
    original, copy = rdann_fields(source, ext), rdann_fields(tmp_path / "sel100", ext)
    for field in ("sample", "symbol", "num", "chan"):
        np.testing.assert_array_equal(copy[field], original[field], err_msg=field)
    assert wfdb.rdann(str(tmp_path / "sel100"), ext).fs == 250


def test_q1c_is_one_global_track_with_the_files_waves(data_dir: Path):
    (track,) = read_tracks(data_dir / "sel100", "q1c", n_samples=SEL100_SAMPLES, fs=250,
                           lead_names=SEL100_LEADS)
    raw = rdann_fields(data_dir / "sel100", "q1c")
    assert track.lead is None and track.name == "q1c"
    counts = {kind: sum(w.kind is kind for w in track) for kind in WaveKind}
    assert counts[WaveKind.P] == np.count_nonzero(raw["symbol"] == "p")
    assert counts[WaveKind.QRS] == np.count_nonzero(raw["symbol"] == "N")
    assert counts[WaveKind.T] == np.count_nonzero(raw["symbol"] == "t")
    t_onsets_in_file = np.count_nonzero((raw["symbol"] == "(") & (raw["num"] == 2))
    assert sum(w.onset is not None for w in track if w.kind is WaveKind.T) == t_onsets_in_file
    qrs = [w for w in track if w.kind is WaveKind.QRS]
    np.testing.assert_array_equal([w.peak for w in qrs], raw["sample"][raw["symbol"] == "N"])
    track.check()


def test_pu_has_one_track_per_signal(data_dir: Path):
    tracks = read_tracks(data_dir / "sel100", "pu", n_samples=SEL100_SAMPLES, fs=250, lead_names=SEL100_LEADS)
    raw = rdann_fields(data_dir / "sel100", "pu")
    assert [t.lead for t in tracks] == [0, 1]
    for track in tracks:
        in_chan = raw["chan"] == track.lead
        assert sum(w.kind is WaveKind.QRS for w in track) == np.count_nonzero(in_chan & (raw["symbol"] == "N"))
        assert all(w.lead == track.lead for w in track)


@pytest.mark.parametrize("chan", [0, 1])
def test_per_signal_pu_files_map_to_their_lead(excerpt: Path, chan: int):
    raw = rdann_fields(excerpt, "pu")
    keep = raw["chan"] == chan
    wfdb.wrann("sel100x", "tmpann", raw["sample"][keep], list(raw["symbol"][keep]), chan=raw["chan"][keep],
               num=raw["num"][keep], fs=250, write_dir=str(excerpt.parent))
    (excerpt.parent / "sel100x.tmpann").rename(excerpt.parent / f"sel100x.pu{chan}")
    (track,) = read_tracks(excerpt, f"pu{chan}", n_samples=7500, fs=250)
    assert track.lead == chan
    out = write_tracks(excerpt, "copy", [track])
    assert rdann_fields(excerpt, "copy")["chan"].tolist() == raw["chan"][keep].tolist()
    assert out.name == "sel100x.copy"


def test_lead_named_files_are_per_lead_tracks(synth12: Path):
    names = ("i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6")
    for index, name in enumerate(names):
        (track,) = read_tracks(synth12, name, n_samples=3000, fs=500)  # lead names from the header
        raw = rdann_fields(synth12, name)
        assert track.lead == index
        assert len(track) == np.count_nonzero(np.isin(raw["symbol"], ["p", "N", "t"]))
        t_waves = [w for w in track if w.kind is WaveKind.T]
        assert all(w.onset is None for w in t_waves) == (name == "v6")


def test_exts_are_matched_to_lead_names_case_insensitively(synth12: Path):
    (synth12.parent / "synth12.v2").rename(synth12.parent / "synth12.V2")
    (track,) = read_tracks(synth12, "V2", n_samples=3000, fs=500)
    assert track.lead == 7


def make_global_track() -> Delineation:
    waves = [
        Wave(WaveKind.P, 100, 110, 120),
        Wave(WaveKind.QRS, 140, 150, 165, symbol="V"),
        Wave(WaveKind.T, None, 220, 260),
        Wave(WaveKind.P, 300, None, 320),
        Wave(WaveKind.QRS, 340, 352, 360),
    ]
    return Delineation(waves, n_samples=1000, fs=250, name="mine")


def test_writing_follows_the_physionet_convention(tmp_path: Path):
    out = write_tracks(tmp_path / "rec", "ecgs", [make_global_track()])
    ann = wfdb.rdann(str(tmp_path / "rec"), "ecgs")
    assert out == tmp_path / "rec.ecgs"
    assert ann.fs == 250
    assert list(zip(ann.sample.tolist(), ann.symbol, ann.num.tolist(), strict=True)) == [
        (100, "(", 0), (110, "p", 0), (120, ")", 0),
        (140, "(", 1), (150, "V", 0), (165, ")", 1),
        (220, "t", 0), (260, ")", 2),
        (300, "(", 0), (320, ")", 0),
        (340, "(", 1), (352, "N", 0), (360, ")", 1),
    ]
    assert set(ann.chan.tolist()) == {0}


def test_written_waves_read_back_equal(tmp_path: Path):
    track = make_global_track()
    write_tracks(tmp_path / "rec", "ecgs", [track])
    (back,) = read_tracks(tmp_path / "rec", "ecgs", n_samples=1000, fs=250)
    assert back.lead is None
    assert back.same_waves(track)


def test_several_per_lead_tracks_share_one_file(tmp_path: Path):
    a = Delineation([Wave(WaveKind.QRS, 10, 20, 30, lead=3)], n_samples=100, fs=500, lead=3)
    b = Delineation([Wave(WaveKind.QRS, 12, 21, 33, lead=5), Wave(WaveKind.T, 40, 50, 70, lead=5)],
                    n_samples=100, fs=500, lead=5)
    write_tracks(tmp_path / "rec", "ecgs", [b, a])
    raw = rdann_fields(tmp_path / "rec", "ecgs")
    assert np.count_nonzero(raw["chan"] == 3) == 3 and np.count_nonzero(raw["chan"] == 5) == 6
    assert np.all(np.diff(raw["sample"]) >= 0)
    back = read_tracks(tmp_path / "rec", "ecgs", n_samples=100, fs=500)
    assert [t.lead for t in back] == [3, 5]
    assert back[0].same_waves(a) and back[1].same_waves(b)


def test_two_tracks_on_one_channel_are_refused(tmp_path: Path):
    glob = Delineation([], n_samples=100, fs=250)
    lead0 = Delineation([], n_samples=100, fs=250, lead=0)
    with pytest.raises(SaveError, match="channel 0"):
        write_tracks(tmp_path / "rec", "ecgs", [glob, lead0])


def test_empty_track_writes_a_readable_file(tmp_path: Path):
    write_tracks(tmp_path / "rec", "ecgs", [Delineation([], n_samples=100, fs=250)])
    (back,) = read_tracks(tmp_path / "rec", "ecgs", n_samples=100, fs=250)
    assert len(back) == 0


@pytest.mark.parametrize("ext", ["q1c", "pu", "atr", "ii"])
def test_reference_files_are_not_overwritten_unless_asked(synth12: Path, ext: str):
    target = synth12.parent / f"synth12.{ext}"
    if not target.exists():
        target.write_bytes(b"\x00\x00")
    before = target.read_bytes()
    with pytest.raises(SaveError, match="reference"):
        write_tracks(synth12, ext, [make_global_track()])
    assert target.read_bytes() == before
    write_tracks(synth12, ext, [make_global_track()], overwrite_reference=True)
    assert target.read_bytes() != before


def test_overwriting_own_file_and_no_leftovers(tmp_path: Path):
    write_tracks(tmp_path / "rec", "ecgs", [make_global_track()])
    write_tracks(tmp_path / "rec", "ecgs", [Delineation([], n_samples=1000, fs=250)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.ecgs"]


def test_failed_write_leaves_the_old_file(tmp_path: Path):
    write_tracks(tmp_path / "rec", "ecgs", [make_global_track()])
    before = (tmp_path / "rec.ecgs").read_bytes()
    bad = Delineation([Wave(WaveKind.QRS, 10, 20, 30, symbol="§")], n_samples=100, fs=250)
    with pytest.raises(SaveError, match="not WFDB annotation labels"):
        write_tracks(tmp_path / "rec", "ecgs", [bad])
    assert (tmp_path / "rec.ecgs").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.ecgs"]


@pytest.mark.parametrize("ext", ["hea", "dat", "a.b", "", "x/y"])
def test_bad_extensions_are_refused(tmp_path: Path, ext: str):
    with pytest.raises(SaveError):
        write_tracks(tmp_path / "rec", ext, [make_global_track()])


def test_missing_output_folder(tmp_path: Path):
    with pytest.raises(SaveError, match="does not exist"):
        write_tracks(tmp_path / "rec", "ecgs", [make_global_track()], out_dir=tmp_path / "nope")


@pytest.mark.skipif(IS_ROOT, reason="root can write into a read-only folder, so the refusal cannot occur")
def test_read_only_folder(tmp_path: Path):
    folder = tmp_path / "ro"
    folder.mkdir()
    os.chmod(folder, 0o555)
    try:
        with pytest.raises(SaveError, match="cannot write"):
            write_tracks(folder / "rec", "ecgs", [make_global_track()])
    finally:
        os.chmod(folder, 0o755)


def test_rule_breaking_waves_are_dropped_and_counted(tmp_path: Path):
    # a T wave directly after a T wave breaks the order P < QRS < T: read, drop it, report it
    samples = [10, 20, 30, 50, 60, 70, 80]
    symbols = ["(", "N", ")", "t", ")", "t", ")"]
    nums = [1, 0, 1, 0, 2, 0, 2]
    wfdb.wrann("rec", "tmpann", np.array(samples), symbols, num=np.array(nums), fs=250,
               write_dir=str(tmp_path))
    (tmp_path / "rec.tmpann").rename(tmp_path / "rec.bad")
    result = read_annotation_file(tmp_path / "rec", "bad", n_samples=100, fs=250)
    assert result.n_dropped == 1
    assert result.dropped[None][0].peak == 70
    assert [w.kind for w in result.tracks[0]] == [WaveKind.QRS, WaveKind.T]
    result.tracks[0].check()


def test_u_waves_are_not_waves_but_survive_a_round_trip(tmp_path: Path):
    samples = [10, 20, 30, 50, 70, 80, 95]
    symbols = ["(", "N", ")", "t", ")", "u", ")"]
    nums = [1, 1, 1, 0, 2, 0, 3]
    wfdb.wrann("rec", "tmpann", np.array(samples), symbols, num=np.array(nums), fs=250, write_dir=str(tmp_path))
    (tmp_path / "rec.tmpann").rename(tmp_path / "rec.src")
    result = read_annotation_file(tmp_path / "rec", "src", n_samples=100, fs=250)
    assert [w.kind for w in result.tracks[0]] == [WaveKind.QRS, WaveKind.T]
    assert result.n_unparsed == 2
    write_tracks(tmp_path / "rec", "out", result.tracks)
    assert rdann_fields(tmp_path / "rec", "out")["symbol"].tolist() == symbols
    assert rdann_fields(tmp_path / "rec", "out")["num"].tolist() == nums


def test_read_beats_keeps_beat_symbols_only(tmp_path: Path):
    wfdb.wrann("rec", "atr", np.array([5, 10, 20, 30, 40]), ["+", "N", "~", "V", "A"], fs=250,
               aux_note=["(N", "", "", "", ""], write_dir=str(tmp_path))
    samples, symbols = read_beats(tmp_path / "rec")
    assert samples.tolist() == [10, 30, 40]
    assert symbols == ["N", "V", "A"]
    assert samples.dtype == np.int64


def test_list_annotation_exts(excerpt: Path):
    folder = excerpt.parent
    for name in ("sel100x.ecgs", "sel100x.ecgs.review.json", "sel100x.txt", "other.q1c", "sel100x.atr"):
        (folder / name).write_bytes(b"\x00\x00")
    (folder / "sel100x.folder").mkdir()
    assert list_annotation_exts(excerpt) == ["atr", "ecgs", "pu", "q1c"]
    assert list_annotation_exts(str(excerpt) + ".hea") == ["atr", "ecgs", "pu", "q1c"]


def test_twelve_lead_round_trip(synth12: Path, tmp_path: Path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    tracks = [t for name in ("i", "v6") for t in read_tracks(synth12, name, n_samples=3000, fs=500)]
    write_tracks(synth12, "ecgs", tracks, out_dir=out_dir)
    shutil.copy(synth12.with_suffix(".hea"), out_dir / "synth12.hea")
    back = read_tracks(out_dir / "synth12", "ecgs", n_samples=3000, fs=500)
    assert [t.lead for t in back] == [0, 11]
    assert all(b.same_waves(t) for b, t in zip(back, tracks, strict=True))


def test_annotation_kind_tells_boundary_beat_and_other_files(tmp_path: Path, data_dir: Path):
    from ecgstudio.io.annotations import AnnotationKind, annotation_kind

    assert annotation_kind(data_dir / "sel100", "q1c") is AnnotationKind.BOUNDARIES
    assert annotation_kind(data_dir / "sel100", "pu") is AnnotationKind.BOUNDARIES
    wfdb.wrann("rec", "atr", np.array([10, 20]), ["N", "V"], fs=250, write_dir=str(tmp_path))
    wfdb.wrann("rec", "marks", np.array([5, 10, 15]), ["|", "N", "|"], fs=250, write_dir=str(tmp_path))
    assert annotation_kind(tmp_path / "rec", "atr") is AnnotationKind.BEATS
    assert annotation_kind(tmp_path / "rec", "marks") is AnnotationKind.OTHER


def test_unlabelled_first_pass_marks_are_refused_with_a_reason(tmp_path: Path):
    from ecgstudio.core.errors import AnnotationError

    wfdb.wrann("rec", "marks", np.array([5, 10, 15]), ["|", "N", "|"], fs=250, write_dir=str(tmp_path))
    with pytest.raises(AnnotationError, match="unlabelled '\\|' boundary marks"):
        read_tracks(tmp_path / "rec", "marks", n_samples=100, fs=250)


def test_a_lead_0_track_does_not_come_back_global(tmp_path: Path):
    lead0 = Delineation([Wave(WaveKind.QRS, 10, 20, 30, lead=0)], n_samples=100, fs=250, lead=0)
    empty5 = Delineation([], n_samples=100, fs=250, lead=5)
    write_tracks(tmp_path / "rec", "ecgs", [lead0, empty5])
    (back,) = read_tracks(tmp_path / "rec", "ecgs", n_samples=100, fs=250)
    assert back.lead == 0 and back.same_waves(lead0)
    # a global track written the same way still reads back global
    glob = Delineation([Wave(WaveKind.QRS, 10, 20, 30)], n_samples=100, fs=250)
    write_tracks(tmp_path / "rec", "glob", [glob])
    (back,) = read_tracks(tmp_path / "rec", "glob", n_samples=100, fs=250)
    assert back.lead is None
