"""``ecgstudio annotate`` on files that hold corrected, reviewed work: it is kept, and the sidecar stays true."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecgstudio.app.editing import EditingSession
from ecgstudio.cli import main
from ecgstudio.core.edits import MoveBoundary, Relabel
from ecgstudio.core.waves import WaveKind
from ecgstudio.io.annotations import read_tracks
from ecgstudio.io.records import read_record
from ecgstudio.io.review import read_review_full
from tests.app.test_annotate import _copy_record


def _corrected_folder(folder: Path, model: Path) -> tuple[Path, list, tuple[int, int]]:
    """Annotate, then correct and review one stretch like a clinician; returns the reviewed waves."""
    rec = _copy_record("sel100x", folder)
    assert main(["annotate", str(rec), "--out-dir", str(folder), "--model", str(model)]) == 0
    session = EditingSession.open(rec)
    qrs = [w for w in session.track().waves if w.kind is WaveKind.QRS]
    target = qrs[len(qrs) // 2]
    session.apply(Relabel(target, WaveKind.QRS, "V"))
    moved = session.track().wave_at(target.peak, WaveKind.QRS)
    session.apply(MoveBoundary(moved, "onset", moved.onset - 4, clamp=True))
    span = (target.start - 300, target.offset + 300)
    session.mark_reviewed(*span, reviewer="dr. k")
    session.save()
    reviewed = [w for w in session.track().waves if w.offset >= span[0] and w.start < span[1]]
    return rec, reviewed, span


def test_annotate_keeps_reviewed_corrections_and_says_so(
    tmp_path: Path, tiny_model: Path, fake_inference: None, capsys: pytest.CaptureFixture[str]
) -> None:
    rec, reviewed, span = _corrected_folder(tmp_path, tiny_model)
    capsys.readouterr()
    assert main(["annotate", str(tmp_path), "--out-dir", str(tmp_path), "--model", str(tiny_model), "--force"]) == 0
    assert f"kept {len(reviewed)} reviewed waves" in capsys.readouterr().err
    record = read_record(rec)
    back = read_tracks(rec, "ecgs", n_samples=record.n_samples, fs=record.fs)[0]
    fields = {(w.kind, w.onset, w.peak, w.offset, w.peak_symbol) for w in back}
    assert all((w.kind, w.onset, w.peak, w.offset, w.peak_symbol) in fields for w in reviewed)
    assert any(w.peak_symbol == "V" for w in back)
    spans, info = read_review_full(rec.with_name("sel100x.ecgs"))
    assert spans.spans == (span,)
    assert info.marks[0].reviewer == "dr. k" and info.model == "tiny"


def test_replace_reviewed_replaces_and_clears_the_review(
    tmp_path: Path, tiny_model: Path, fake_inference: None, capsys: pytest.CaptureFixture[str]
) -> None:
    rec, reviewed, _span = _corrected_folder(tmp_path, tiny_model)
    assert main(["annotate", str(rec), "--out-dir", str(tmp_path), "--model", str(tiny_model),
                 "--replace-reviewed"]) == 0
    assert "REPLACED" in capsys.readouterr().err
    record = read_record(rec)
    back = read_tracks(rec, "ecgs", n_samples=record.n_samples, fs=record.fs)[0]
    assert not any(w.peak_symbol == "V" for w in back)
    data = json.loads(rec.with_name("sel100x.ecgs.review.json").read_text())
    assert data["reviewed"] == [] and data["marks"] == []  # nothing claims that model output was reviewed


def test_an_unreadable_existing_file_is_left_alone(
    tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = _copy_record("sel100x", tmp_path)
    garbage = b"\x00\xff" * 50
    rec.with_name("sel100x.ecgs").write_bytes(garbage)
    assert main(["annotate", str(rec), "--out-dir", str(tmp_path), "--model", str(tiny_model), "--force"]) == 1
    assert rec.with_name("sel100x.ecgs").read_bytes() == garbage
    assert "Traceback" not in capsys.readouterr().err


def test_a_sidecar_that_does_not_match_its_file_stops_reannotation(
    tmp_path: Path, tiny_model: Path, fake_inference: None, capsys: pytest.CaptureFixture[str]
) -> None:
    rec, _reviewed, _span = _corrected_folder(tmp_path, tiny_model)
    ecgs = rec.with_name("sel100x.ecgs")
    ecgs.write_bytes(ecgs.read_bytes()[:-6] + b"\x00\x00\x00\x00\x00\x00")  # changed behind our back
    before = ecgs.read_bytes()
    assert main(["annotate", str(rec), "--out-dir", str(tmp_path), "--model", str(tiny_model), "--force"]) == 1
    assert "another version" in capsys.readouterr().err
    assert ecgs.read_bytes() == before


def test_a_record_open_in_an_editor_is_not_reannotated(
    tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ecgstudio.app import locks

    rec = _copy_record("sel100x", tmp_path)
    lock = locks.acquire(rec.with_name("sel100x.ecgs"))
    try:
        assert main(["annotate", str(rec), "--out-dir", str(tmp_path), "--model", str(tiny_model), "--force"]) == 1
        assert "being edited by" in capsys.readouterr().err
        assert not rec.with_name("sel100x.ecgs").exists()
    finally:
        lock.release()
