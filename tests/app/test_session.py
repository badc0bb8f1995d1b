"""Opening a record with its annotation files, and saving the editable track (no Qt)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecgstudio.app.session import open_document, save_document, would_overwrite_reference
from ecgstudio.core.edits import AddWave
from ecgstudio.core.errors import RecordError, SaveError
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.paths import sample_record_path

DATA = Path(__file__).resolve().parents[1] / "data"


def _fiducials(track) -> list[tuple]:  # Delineation
    """What a saved file must reproduce of each wave (file waves carry extra fields)."""
    return [(w.kind, w.onset, w.peak, w.offset, w.lead, w.peak_symbol) for w in track]


@pytest.fixture
def excerpt(tmp_path: Path) -> Path:
    """The 30 s sel100 excerpt (with q1c and pu) copied into a writable folder."""
    for name in ("sel100x.hea", "sel100x.dat", "sel100x.q1c", "sel100x.pu"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path / "sel100x"


def test_sample_opens_with_reference_tracks_and_an_empty_editable_track() -> None:
    doc = open_document(sample_record_path())
    names = [t.name for t in doc.tracks]
    assert doc.record.fs == 250.0 and doc.record.n_samples == 225_000
    assert "q1c" in names and "pu0" in names and "pu1" in names
    assert "atr" not in names  # beat-only file: not a delineation track
    assert doc.editable_track is not None and doc.editable_track.name == "ecgs"
    assert len(doc.editable_track) == 0
    assert len(set(names)) == len(names)
    assert not doc.review


def test_save_then_reopen_gives_the_same_waves_and_review(excerpt: Path) -> None:
    doc = open_document(excerpt)
    track = doc.editable_track
    AddWave(Wave(WaveKind.P, 100, 110, 120)).apply(track)
    AddWave(Wave(WaveKind.QRS, 150, 160, 170, symbol="V")).apply(track)
    AddWave(Wave(WaveKind.T, None, 230, 260)).apply(track)
    doc.review = doc.review.add(90, 300)
    path = save_document(doc)
    assert path == excerpt.with_name("sel100x.ecgs")
    again = open_document(excerpt)
    assert _fiducials(again.editable_track) == _fiducials(track)
    assert again.review.spans == ((90, 300),)
    ann = wfdb.rdann(str(excerpt), "ecgs")
    assert list(ann.symbol) == ["(", "p", ")", "(", "V", ")", "t", ")"]
    assert list(ann.sample) == [100, 110, 120, 150, 160, 170, 230, 260]
    assert ann.fs == 250
    # the reference files are untouched and still read as read-only tracks
    assert {"q1c", "ecgs"} <= {t.name for t in again.tracks}


def test_save_never_overwrites_a_reference_file_unless_asked(excerpt: Path) -> None:
    doc = open_document(excerpt)
    before = excerpt.with_name("sel100x.q1c").read_bytes()
    assert would_overwrite_reference(doc, ext="q1c")
    with pytest.raises(SaveError):
        save_document(doc, ext="q1c")
    assert excerpt.with_name("sel100x.q1c").read_bytes() == before
    save_document(doc, ext="q1c", overwrite_reference=True)
    assert excerpt.with_name("sel100x.q1c").read_bytes() != before


def test_save_as_into_another_folder_moves_later_saves_there(excerpt: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    doc = open_document(excerpt)
    AddWave(Wave(WaveKind.QRS, 150, 160, 170)).apply(doc.editable_track)
    path = save_document(doc, ext="mine", out_dir=out)
    assert path == out / "sel100x.mine"
    assert (out / "sel100x.mine.review.json").is_file()
    assert doc.annotation_path() == path


def test_unwritable_target_is_a_save_error(excerpt: Path, tmp_path: Path) -> None:
    doc = open_document(excerpt)
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with pytest.raises(SaveError):
        save_document(doc, out_dir=not_a_folder)


def test_broken_annotation_file_is_skipped_with_a_note(excerpt: Path) -> None:
    excerpt.with_name("sel100x.qxx").write_bytes(b"\xff\x07garbage")
    doc = open_document(excerpt)
    assert any("qxx" in note for note in doc.notes)
    assert "q1c" in [t.name for t in doc.tracks]


def test_corrupt_header_and_missing_signal_raise_record_errors(excerpt: Path) -> None:
    excerpt.with_name("sel100x.dat").unlink()
    with pytest.raises(RecordError):
        open_document(excerpt)
    excerpt.with_name("sel100x.hea").write_text("this is not a header\n")
    with pytest.raises(RecordError):
        open_document(excerpt)


def test_signal_is_in_millivolts(excerpt: Path) -> None:
    doc = open_document(excerpt)
    assert doc.record.signal.dtype == np.float32
    assert 0.2 < float(np.nanmax(np.abs(doc.record.signal))) < 10.0


def test_document_paths_and_names(excerpt: Path, tmp_path: Path) -> None:
    doc = open_document(excerpt)
    assert doc.annotation_path() == excerpt.with_name("sel100x.ecgs")
    assert doc.annotation_path("mine", tmp_path) == tmp_path / "sel100x.mine"
    assert doc.track_named("q1c") is not None and doc.track_named("nope") is None
    assert doc.unique_track_name("q1c") == "q1c-2" and doc.unique_track_name("new") == "new"
    assert doc.editable_track not in doc.reference_tracks
    assert len(doc.reference_tracks) == len(doc.tracks) - 1


def test_per_lead_annotation_files_become_per_lead_tracks(tmp_path: Path) -> None:
    for path in DATA.glob("synth12.*"):
        shutil.copy(path, tmp_path / path.name)
    doc = open_document(tmp_path / "synth12")
    by_name = {t.name: t for t in doc.tracks}
    assert by_name["ii"].lead == doc.record.lead_index("II")
    assert by_name["v6"].lead == doc.record.lead_index("V6")
    assert doc.editable_track.lead is None
