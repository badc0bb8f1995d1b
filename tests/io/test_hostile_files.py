"""Unlucky and hostile files (issue 14): FIFOs, links to devices, oversize files, cancellation, unknown label codes.

Every case must end quickly with one line naming the file: the ``no_hang`` fixture turns a reader that blocks
(a regression) into a failure after 20 s instead of a hung test run.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecgstudio import atomic, safe_read
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import AnnotationError, EcgStudioError, RecordError, SaveError
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.io import _annscan
from ecgstudio.io import annotations as annotations_module
from ecgstudio.io._boundaries import FileWave
from ecgstudio.io.annotations import (
    annotation_kind,
    list_annotation_exts,
    read_annotation_file,
    read_beats,
    read_tracks,
    write_tracks,
)
from ecgstudio.io.beats import read_beat_file
from ecgstudio.io.records import read_header, read_record

pytestmark = pytest.mark.usefixtures("no_hang")

DATA = Path(__file__).resolve().parents[1] / "data"
HAS_DEV_ZERO = Path("/dev/zero").exists()


def expect(error: type[EcgStudioError], name: str, words: str, call, *args, **kwargs) -> str:
    """``call`` raises ``error`` with one line naming ``name`` and containing ``words``, no chained traceback."""
    with pytest.raises(error) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message and name in message, message
    assert words.lower() in message.lower(), message
    assert info.value.__cause__ is None
    return message


def _read_q1c(record: Path, **kwargs):
    return read_tracks(record, "q1c", n_samples=7500, fs=250, **kwargs)


# ---------------------------------------------------------------- FIFOs and devices


def test_a_fifo_annotation_file_is_refused_by_every_reader(excerpt: Path) -> None:
    q1c = excerpt.parent / "sel100x.q1c"
    q1c.unlink()
    os.mkfifo(q1c)
    expect(AnnotationError, "sel100x.q1c", "FIFO", _read_q1c, excerpt)
    expect(AnnotationError, "sel100x.q1c", "FIFO", read_beats, excerpt, "q1c")
    expect(AnnotationError, "sel100x.q1c", "FIFO", annotation_kind, excerpt, "q1c")
    expect(AnnotationError, "sel100x.q1c", "FIFO", read_beat_file, excerpt, "q1c")
    assert "q1c" not in list_annotation_exts(excerpt)


def test_a_fifo_atr_is_refused_not_waited_for(excerpt: Path) -> None:
    os.mkfifo(excerpt.parent / "sel100x.atr")
    expect(AnnotationError, "sel100x.atr", "not a regular file", read_beat_file, excerpt, fs=250)


@pytest.mark.skipif(not HAS_DEV_ZERO, reason="no /dev/zero")
def test_an_annotation_file_linked_to_dev_zero_is_refused(excerpt: Path) -> None:
    q1c = excerpt.parent / "sel100x.q1c"
    q1c.unlink()
    q1c.symlink_to("/dev/zero")
    expect(AnnotationError, "sel100x.q1c", "character device", _read_q1c, excerpt)
    (excerpt.parent / "sel100x.atr").symlink_to("/dev/zero")
    expect(AnnotationError, "sel100x.atr", "character device", read_beat_file, excerpt)


def test_a_fifo_header_is_refused_and_does_not_block_listing(excerpt: Path) -> None:
    header = excerpt.parent / "sel100x.hea"
    header.unlink()
    os.mkfifo(header)
    expect(RecordError, "sel100x.hea", "FIFO", read_header, excerpt)
    expect(RecordError, "sel100x.hea", "FIFO", read_record, excerpt)
    # listing the annotation files reads the header (to skip signal files): must not block either
    assert "q1c" in list_annotation_exts(excerpt)
    # reading an annotation file that stores no fs falls back to the header's fs, through the guarded reader
    wfdb.wrann("sel100x", "nofs", np.array([100, 110, 120]), ["(", "N", ")"], num=np.array([1, 0, 1]),
               write_dir=str(excerpt.parent))
    tracks = read_tracks(excerpt, "nofs", n_samples=7500, fs=250, lead_names=("MLII", "V5"))
    assert len(tracks[0]) == 1


@pytest.mark.skipif(not HAS_DEV_ZERO, reason="no /dev/zero")
def test_a_header_linked_to_dev_zero_is_refused(excerpt: Path) -> None:
    header = excerpt.parent / "sel100x.hea"
    header.unlink()
    header.symlink_to("/dev/zero")
    expect(RecordError, "sel100x.hea", "character device", read_header, excerpt)


def test_a_segment_header_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    (tmp_path / "multi.hea").write_text("multi/1 2 250 7500\nseg1 7500\n")
    os.mkfifo(tmp_path / "seg1.hea")
    expect(RecordError, "seg1.hea", "FIFO", read_header, tmp_path / "multi")


# ---------------------------------------------------------------- size


def test_an_oversize_annotation_file_is_refused_before_it_is_parsed(excerpt: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    size = (excerpt.parent / "sel100x.q1c").stat().st_size
    monkeypatch.setattr(annotations_module, "MAX_ANNOTATION_FILE_BYTES", size - 1)
    expect(AnnotationError, "sel100x.q1c", "too large", _read_q1c, excerpt)
    monkeypatch.setattr(annotations_module, "MAX_ANNOTATION_FILE_BYTES", size)
    assert _read_q1c(excerpt)


def test_sixty_megabytes_of_garbage_fail_fast_and_small(excerpt: Path) -> None:
    # the probe: 60 MB of garbage took 149 s and 2.5 GB before a clean error
    garbage = np.random.default_rng(0).integers(0, 256, 60_000_000, dtype=np.uint8).tobytes()
    (excerpt.parent / "sel100x.junk").write_bytes(garbage)
    started = time.perf_counter()
    expect(AnnotationError, "sel100x.junk", "", read_tracks, excerpt, "junk", n_samples=7500, fs=250)
    assert time.perf_counter() - started < 15


def test_the_limit_covers_a_day_of_twelve_lead_delineation() -> None:
    # 24 h at 100 beats/min, P/QRS/T with onset, peak and offset on 12 leads, ~4 bytes an annotation
    annotations = 24 * 60 * 100 * 3 * 3 * 12
    assert annotations * 4 < annotations_module.MAX_ANNOTATION_FILE_BYTES <= 64 << 20


# ---------------------------------------------------------------- cancellation


def _many_waves_file(record: Path, n_beats: int = 3000) -> int:
    """A valid ``ecgs`` file with ``n_beats`` P/QRS/T beats on lead 0 and 1; returns the record length."""
    n = n_beats * 200 + 100
    tracks = []
    for lead in (0, 1):
        waves = []
        for b in range(0, n_beats * 200, 200):
            waves += [Wave(WaveKind.P, b + 5, b + 15, b + 25, lead=lead),
                      Wave(WaveKind.QRS, b + 40, b + 50, b + 65, lead=lead, symbol="N"),
                      Wave(WaveKind.T, b + 100, b + 130, b + 160, lead=lead)]
        tracks.append(Delineation(waves, n_samples=n, fs=250, lead=lead))
    write_tracks(record, "ecgs", tracks)
    return n


def test_reading_an_annotation_file_can_be_cancelled_while_it_is_decoded(excerpt: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    n = _many_waves_file(excerpt)
    monkeypatch.setattr(_annscan, "_CANCEL_EVERY", 100)
    calls: list[int] = []

    def cancel_on_fifth() -> bool:
        calls.append(1)
        return len(calls) >= 5

    kwargs = {"n_samples": n, "fs": 250, "lead_names": ("MLII", "V5")}
    with pytest.raises(safe_read.ReadCancelled):
        read_tracks(excerpt, "ecgs", cancel=cancel_on_fifth, **kwargs)
    assert len(calls) == 5  # stopped at the first True, inside the decoding (18000 annotations, a check per 100)
    with pytest.raises(safe_read.ReadCancelled):
        read_beats(excerpt, "ecgs", cancel=lambda: True)
    tracks = read_tracks(excerpt, "ecgs", cancel=lambda: False, **kwargs)
    assert [len(t) for t in tracks] == [9000, 9000]


def test_cancel_is_also_checked_while_waves_are_assembled(excerpt: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    n = _many_waves_file(excerpt, n_beats=500)
    monkeypatch.setattr(annotations_module, "_CANCEL_EVERY", 50)
    monkeypatch.setattr(_annscan, "_CANCEL_EVERY", 10**9)
    calls: list[int] = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 12  # past the read and the decoding: inside the parsing of the first lead

    with pytest.raises(safe_read.ReadCancelled) as info:
        read_annotation_file(excerpt, "ecgs", n_samples=n, fs=250, lead_names=("MLII", "V5"), cancel=cancel)
    assert "sel100x.ecgs" in str(info.value)


def test_decoding_matches_wfdb_on_every_bundled_file() -> None:
    checked = 0
    for path in sorted(DATA.rglob("*")):
        if not path.is_file() or path.suffix in (".hea", ".dat", ".md", ".py", ".json", ".csv"):
            continue
        record, ext = str(path.with_suffix("")), path.suffix[1:]
        expected = wfdb.rdann(record, ext)
        got = _annscan.decode_annotation(path.read_bytes(), Path(record).name, ext)
        assert np.array_equal(got.sample, expected.sample), path
        assert list(got.symbol) == list(expected.symbol), path
        assert np.array_equal(got.chan, expected.chan) and np.array_equal(got.num, expected.num), path
        assert np.array_equal(got.subtype, expected.subtype) and list(got.aux_note) == list(expected.aux_note), path
        assert got.fs in (None, expected.fs), path
        checked += 1
    assert checked >= 20


# ---------------------------------------------------------------- writing


@pytest.mark.parametrize("wave, shown", [
    (Wave(WaveKind.QRS, 10, 20, 40, symbol=5), "5"),
    (Wave(WaveKind.QRS, 10, 20, 40, symbol="Z"), "'Z'"),
    (FileWave(WaveKind.T, 10, 20, 40, extra_peaks=((25, None, 0),)), "None"),
    (FileWave(WaveKind.T, 10, 20, 40, unparsed=((45, 7, 0),)), "7"),
])
def test_unknown_label_codes_give_one_line_save_error(tmp_path: Path, wave: Wave, shown: str) -> None:
    track = Delineation([wave], n_samples=1000, fs=250)
    message = expect(SaveError, "rec.ecgs", "not WFDB annotation labels", write_tracks, tmp_path / "rec", "ecgs",
                     [track])
    assert shown in message
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no temporary left


def test_num_codes_out_of_range_give_one_line_save_error(tmp_path: Path) -> None:
    track = Delineation([FileWave(WaveKind.QRS, 10, 20, 40, onset_num=300)], n_samples=1000, fs=250)
    expect(SaveError, "rec.ecgs", "num code 300", write_tracks, tmp_path / "rec", "ecgs", [track])


def _stale(path: Path, *, folder: bool, age_s: float) -> Path:
    if folder:
        path.mkdir()
        (path / "record.ecgstmp").write_bytes(b"")
    else:
        path.write_bytes(b"half")
    old = time.time() - age_s
    os.utime(path, (old, old))
    return path


def test_a_killed_save_leaves_nothing_behind_after_the_next_save(excerpt: Path) -> None:
    folder = excerpt.parent
    ours = _stale(folder / f".sel100x.ecgs.{atomic.TMP_MARK}abc12345", folder=True, age_s=60)
    legacy_dir = _stale(folder / ".sel100x.ecgs.k3j4h5g6", folder=True, age_s=7200)
    legacy_file = _stale(folder / ".sel100x.ecgs.review.json.a1b2c3d4.tmp", folder=False, age_s=7200)
    young_legacy = _stale(folder / ".sel100x.ecgs.zzzzzzzz", folder=True, age_s=5)
    other = _stale(folder / ".sel100x.q1c.k3j4h5g6", folder=True, age_s=7200)  # another target's
    users = folder / ".sel100x.ecgs.mynotes1"  # looks like an old temporary, but holds something else
    users.mkdir()
    (users / "notes.txt").write_text("mine")
    os.utime(users, (time.time() - 7200,) * 2)
    track = Delineation([Wave(WaveKind.QRS, 10, 20, 40)], n_samples=7500, fs=250)
    write_tracks(excerpt, "ecgs", [track])
    assert not ours.exists() and not legacy_dir.exists()
    assert young_legacy.exists() and other.exists()  # maybe an older version's save in progress; not ours
    assert (users / "notes.txt").exists()
    atomic.write_text(folder / "sel100x.ecgs.review.json", "{}")
    assert not legacy_file.exists()


def test_a_temporary_held_by_a_running_save_is_kept(tmp_path: Path) -> None:
    held = _stale(tmp_path / f".rec.ecgs.{atomic.TMP_MARK}held0001", folder=False, age_s=600)
    fd = os.open(held, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as the save writing it does
        assert atomic.remove_stale_temporaries(tmp_path / "rec.ecgs") == []
        assert held.exists()
    finally:
        os.close(fd)
    assert atomic.remove_stale_temporaries(tmp_path / "rec.ecgs") == [held]


def test_symlinks_with_temporary_names_are_never_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep").write_text("x")
    link = tmp_path / f".rec.ecgs.{atomic.TMP_MARK}link0001"
    link.symlink_to(victim)
    old = time.time() - 7200
    os.utime(link, (old, old), follow_symlinks=False)
    assert atomic.remove_stale_temporaries(tmp_path / "rec.ecgs") == []
    assert (victim / "keep").exists()
