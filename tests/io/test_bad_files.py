"""Bad files give the project's own exceptions with one-line messages naming the file; nothing hangs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecgstudio.core.errors import AnnotationError, EcgStudioError, RecordError
from ecgstudio.io.annotations import list_annotation_exts, read_beats, read_tracks
from ecgstudio.io.records import list_records, read_header, read_record

pytestmark = pytest.mark.usefixtures("no_hang")

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def expect(error: type[EcgStudioError], name: str, words: str, call, *args, **kwargs) -> str:
    """Run ``call``, assert it raises ``error`` with a one-line message naming ``name`` and ``words``."""
    with pytest.raises(error) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert name in message
    assert words.lower() in message.lower(), message
    assert info.value.__cause__ is None  # no chained traceback from wfdb
    return message


def test_missing_dat(excerpt: Path):
    (excerpt.parent / "sel100x.dat").unlink()
    expect(RecordError, "sel100x", "sel100x.dat is missing", read_record, excerpt)


def test_truncated_dat(excerpt: Path):
    dat = excerpt.parent / "sel100x.dat"
    dat.write_bytes(dat.read_bytes()[:5000])
    expect(RecordError, "sel100x.dat", "truncated", read_record, excerpt)


def test_header_pointing_to_a_missing_file(excerpt: Path):
    header = excerpt.parent / "sel100x.hea"
    header.write_text(header.read_text().replace("sel100x.dat", "elsewhere.dat"))
    expect(RecordError, "sel100x.hea", "elsewhere.dat is missing", read_record, excerpt)


@pytest.mark.parametrize("content", [
    b"",
    b"# only a comment\n",
    b"\x00\x01\x02binary\xff\xfe" * 50,
    b"hello world, this is not a header\n",
    b"sel100x two 250 7500\n",
    b"sel100x 2 250 7500\n",  # no signal lines
    b"sel100x 1 250 7500\nsel100x.dat sixteen 200 12 0 0 0 0 MLII\n",
    b"sel100x 1 250 7500\nsel100x.dat 16 gain 12 0 0 0 0 MLII\n",
    b"sel100x 1 250 -5\nsel100x.dat 16 200 12 0 0 0 0 MLII\n",
    b"((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((\n" * 100,
    ("sel100x 1 250 7500\nsel100x.dat 16 " + "9" * 5000 + "\n").encode(),
])
def test_garbage_header(excerpt: Path, content: bytes):
    (excerpt.parent / "sel100x.hea").write_bytes(content)
    expect(RecordError, "sel100x.hea", "", read_record, excerpt)
    expect(RecordError, "sel100x.hea", "", read_header, excerpt)


def test_header_of_another_record(excerpt: Path):
    header = excerpt.parent / "sel100x.hea"
    header.write_text(header.read_text().replace("sel100x 2", "other 2", 1))
    expect(RecordError, "sel100x.hea", "describes record 'other'", read_header, excerpt)


@pytest.mark.parametrize("fs", ["0", "-250", "nan", "abc"])
def test_bad_sampling_frequency(excerpt: Path, fs: str):
    header = excerpt.parent / "sel100x.hea"
    header.write_text(header.read_text().replace("sel100x 2 250 ", f"sel100x 2 {fs} ", 1))
    expect(RecordError, "sel100x.hea", "sampling frequency", read_record, excerpt)


def test_a_bad_record_in_a_folder_is_still_listed(excerpt: Path):
    (excerpt.parent / "broken.hea").write_bytes(b"\x00garbage")
    names = [p.name for p in list_records(excerpt.parent)]
    assert names == ["broken", "sel100x"]
    expect(RecordError, "broken.hea", "not a WFDB header", read_header, excerpt.parent / "broken")


def write_annotations(record: Path, ext: str, samples, symbols, nums=None, fs=250) -> None:
    """Write ``record.ext`` with wfdb itself (letters-only extension, then rename)."""
    samples = np.asarray(samples, dtype=np.int64)
    nums = np.zeros(len(samples), dtype=np.int64) if nums is None else np.asarray(nums)
    wfdb.wrann(record.name, "tmpann", samples, list(symbols), num=nums, fs=fs, write_dir=str(record.parent))
    (record.parent / f"{record.name}.tmpann").replace(record.parent / f"{record.name}.{ext}")


def test_annotation_file_without_boundaries(excerpt: Path):
    write_annotations(excerpt, "rhy", [10, 20, 30], ["+", "~", "N"])
    expect(AnnotationError, "sel100x.rhy", "no wave boundary annotations", read_tracks, excerpt, "rhy",
           n_samples=7500, fs=250)


def test_annotation_beyond_the_record(excerpt: Path):
    write_annotations(excerpt, "far", [100, 110, 120, 9000], ["(", "N", ")", "t"], [1, 0, 1, 0])
    expect(AnnotationError, "sel100x.far", "outside the record", read_tracks, excerpt, "far",
           n_samples=7500, fs=250)


def test_annotation_for_another_sampling_frequency(excerpt: Path):
    write_annotations(excerpt, "hz", [100, 110, 120], ["(", "N", ")"], [1, 0, 1], fs=500)
    expect(AnnotationError, "sel100x.hz", "500 Hz", read_tracks, excerpt, "hz", n_samples=7500, fs=250)


def test_annotation_for_a_lead_the_record_lacks(excerpt: Path):
    wfdb.wrann("sel100x", "tmpann", np.array([100, 110, 120]), ["(", "N", ")"], chan=np.array([5, 5, 5]),
               num=np.array([1, 0, 1]), fs=250, write_dir=str(excerpt.parent))
    (excerpt.parent / "sel100x.tmpann").rename(excerpt.parent / "sel100x.lead5")
    expect(AnnotationError, "sel100x.lead5", "signal 5", read_tracks, excerpt, "lead5", n_samples=7500, fs=250,
           lead_names=("MLII", "V5"))


def test_unknown_symbols_among_boundaries_are_kept_not_fatal(excerpt: Path):
    write_annotations(excerpt, "mix", [100, 105, 110, 120, 130], ["(", "~", "N", ")", "+"], [1, 0, 0, 1, 0])
    from ecgstudio.io.annotations import read_annotation_file

    result = read_annotation_file(excerpt, "mix", n_samples=7500, fs=250)
    assert [w.kind.value for w in result.tracks[0]] == ["QRS"]
    assert result.n_unparsed == 2


@pytest.mark.parametrize("seed", range(4))
def test_corrupt_annotation_file(excerpt: Path, seed: int):
    rng = np.random.default_rng(seed)
    (excerpt.parent / "sel100x.bad").write_bytes(rng.integers(0, 256, 3001, dtype=np.uint8).tobytes())
    with pytest.raises(AnnotationError) as info:
        read_tracks(excerpt, "bad", n_samples=7500, fs=250)
    assert "sel100x.bad" in str(info.value) and "\n" not in str(info.value)


def test_missing_annotation_file(excerpt: Path):
    expect(AnnotationError, "sel100x.q2c", "not found", read_tracks, excerpt, "q2c", n_samples=7500, fs=250)
    expect(AnnotationError, "sel100x.atr", "not found", read_beats, excerpt)


@pytest.mark.skipif(IS_ROOT, reason="root reads folders with mode 000, so the permission error cannot occur")
def test_unreadable_folder(excerpt: Path):
    folder = excerpt.parent
    os.chmod(folder, 0)
    try:
        expect(RecordError, str(folder), "permission denied", list_records, folder)
        expect(RecordError, str(folder), "permission denied", list_annotation_exts, excerpt)
        with pytest.raises(RecordError):
            read_record(excerpt)
    finally:
        os.chmod(folder, 0o755)


def test_record_is_a_folder(tmp_path: Path):
    (tmp_path / "rec.hea").mkdir()
    with pytest.raises(RecordError):
        read_record(tmp_path / "rec")


def test_every_bundled_copy_is_independent(excerpt: Path, data_dir: Path):
    # damaging the tmp copy never touches tests/data
    shutil.rmtree(excerpt.parent)
    assert (data_dir / "sel100x.dat").is_file()


@pytest.mark.parametrize("note", [b"## foo", b"## time resolution: 250", b"## x"])
def test_definition_notes_that_would_make_wfdb_loop_forever(excerpt: Path, note: bytes):
    # NOTE at sample 0 carrying ``note``, preceded (for the second case) by a valid fs note,
    # then an N beat at sample 10 and the end-of-file word
    def note_at_zero(text: bytes) -> bytes:
        padded = text + b"\x00" * (len(text) % 2)
        return b"\x00\x58" + bytes([len(text), 0xFC]) + padded

    body = note_at_zero(b"## time resolution: 250") + note_at_zero(note) if b"time" in note else note_at_zero(note)
    (excerpt.parent / "sel100x.loop").write_bytes(body + b"\x0a\x04" + b"\x00\x00")
    expect(AnnotationError, "sel100x.loop", "definition notes", read_tracks, excerpt, "loop", n_samples=7500, fs=250)
    expect(AnnotationError, "sel100x.loop", "definition notes", read_beats, excerpt, "loop")
