"""Opening then saving never loses annotations; a file changed by another editor is never overwritten silently."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecgstudio.app.editing import EditingSession
from ecgstudio.core.edits import AddWave, DeleteWaves
from ecgstudio.core.errors import AnnotationError, SaveError
from ecgstudio.core.waves import Wave, WaveKind

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def excerpt(tmp_path: Path) -> Path:
    for name in ("sel100x.hea", "sel100x.dat", "sel100x.q1c"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path / "sel100x"


def _write_raw(record: Path, ext: str, samples: list[int], symbols: list[str], nums: list[int]) -> Path:
    wfdb.wrann(record.name, ext, sample=np.array(samples), symbol=symbols, num=np.array(nums),
               write_dir=str(record.parent), fs=250)
    return record.with_name(f"{record.name}.{ext}")


def test_a_file_of_lone_onset_marks_is_not_overwritten_by_an_empty_save(excerpt: Path):
    path = _write_raw(excerpt, "ecgs", [100 + 200 * i for i in range(20)], ["("] * 20, [1] * 20)
    before = path.read_bytes()
    session = EditingSession.open(excerpt)
    assert len(session.track()) == 0
    assert any("cannot be edited" in note for note in session.document.notes)
    assert session.save_conflict() is not None
    with pytest.raises(SaveError, match="Save As"):
        session.save()
    assert path.read_bytes() == before
    copy = session.save(ext="ecgs2")  # Save As keeps the original
    assert copy.is_file() and path.read_bytes() == before


def test_waves_that_break_a_rule_keep_the_file_until_the_user_confirms(excerpt: Path):
    # P, T (P directly before T breaks the order), QRS, T, T (T after T)...
    samples, symbols, nums = [], [], []
    for _kind, start, peak_symbol, num in [("P", 100, "p", 0), ("T", 150, "t", 2), ("QRS", 300, "N", 1),
                                          ("T", 400, "t", 2), ("T", 500, "t", 2), ("QRS", 700, "N", 1)]:
        samples += [start, start + 10, start + 20]
        symbols += ["(", peak_symbol, ")"]
        nums += [num, 0, num]
    path = _write_raw(excerpt, "ecgs", samples, symbols, nums)
    before = path.read_bytes()
    session = EditingSession.open(excerpt)
    assert len(session.track()) < 6
    with pytest.raises(SaveError):
        session.save()
    assert path.read_bytes() == before
    session.save(confirmed=True)  # the user said so
    assert path.read_bytes() != before
    session.apply(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    session.save()  # after replacing it on purpose, saving is ordinary again


def test_a_lossless_file_opens_editable_and_saves_without_questions(excerpt: Path):
    session = EditingSession.open(excerpt)
    session.copy_reference(["q1c"])
    session.save()
    again = EditingSession.open(excerpt)
    assert again.save_conflict() is None and not again.document.notes
    again.apply(DeleteWaves((again.track().waves[0],)))
    again.save()
    again.apply(DeleteWaves((again.track().waves[0],)))
    again.save()  # its own earlier save is not "a change on disk"


def test_a_second_editor_does_not_silently_overwrite_the_first(excerpt: Path):
    a = EditingSession.open(excerpt)
    b = EditingSession.open(excerpt)
    a.copy_reference(["q1c"])
    a_path = a.save()
    a_bytes = a_path.read_bytes()
    b.apply(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    assert "changed on disk" in (b.save_conflict() or "")
    with pytest.raises(SaveError, match="changed on disk"):
        b.save()
    assert a_path.read_bytes() == a_bytes and b.dirty
    b.save(confirmed=True)
    assert a_path.read_bytes() != a_bytes and not b.dirty


def test_an_unreadable_review_sidecar_is_kept_aside_not_overwritten(excerpt: Path):
    session = EditingSession.open(excerpt)
    session.copy_reference(["q1c"])
    session.mark_reviewed(0, 1000)
    path = session.save()
    sidecar = path.with_name(path.name + ".review.json")
    broken = sidecar.read_text().replace('"version":2', '"version":99')
    sidecar.write_text(broken)
    again = EditingSession.open(excerpt)
    assert not again.document.review and any("kept aside" in n or "aside" in n for n in again.document.notes)
    again.save()
    aside = [p for p in excerpt.parent.iterdir() if p.name.startswith(sidecar.name + ".unreadable-")]
    assert len(aside) == 1 and aside[0].read_text() == broken


def test_a_cut_short_annotation_file_is_refused_not_read_as_complete(excerpt: Path):
    session = EditingSession.open(excerpt)
    session.copy_reference(["q1c"])
    path = session.save()
    data = path.read_bytes()
    path.write_bytes(data[:-2])  # the end-of-file word lost
    with pytest.raises(AnnotationError, match="cut short"):
        EditingSession.open(excerpt)
    assert path.read_bytes() == data[:-2]
