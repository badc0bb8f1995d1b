"""folder_status: headers and review sidecars only, never signals."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from ecgstudio.app.folder_status import folder_status, record_status
from ecgstudio.core.errors import RecordError
from ecgstudio.paths import sample_record_path

HOURS_24 = 24 * 3600


def _sample_into(folder: Path) -> Path:
    src = sample_record_path()
    for suffix in (".hea", ".dat"):
        shutil.copy(src.with_suffix(suffix), folder / f"sel100{suffix}")
    return folder / "sel100"


def _holter(folder: Path, name: str = "holter", fs: int = 500, leads: int = 3) -> Path:
    """A 24-hour, 3-lead, 16-bit record whose signal file is sparse (nothing to read quickly)."""
    n = fs * HOURS_24
    lines = [f"{name} {leads} {fs} {n}"]
    lines += [f"{name}.dat 16 200/mV 16 0 0 0 0 {lead_name}" for lead_name in ("I", "II", "V1")[:leads]]
    (folder / f"{name}.hea").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open(folder / f"{name}.dat", "wb") as fh:
        fh.truncate(n * leads * 2)
    return folder / name


def _review(annotation: Path, spans: list[list[int]], fs: float) -> None:
    annotation.write_bytes(b"\x00\x00")
    sidecar = annotation.with_name(annotation.name + ".review.json")
    sidecar.write_text(json.dumps({"version": 1, "fs": fs, "reviewed": spans}), encoding="utf-8")


def test_lists_records_with_header_facts_and_review_state(tmp_path):
    sel = _sample_into(tmp_path)
    _holter(tmp_path)
    _review(sel.with_name("sel100.ecgs"), [[0, 22500], [112500, 135000]], 250.0)
    rows = folder_status(tmp_path)
    assert [r.name for r in rows] == ["holter", "sel100"]
    holter, s = rows
    assert s.fs == 250.0 and s.n_samples == 225000 and s.lead_names == ("MLII", "V5")
    assert s.duration_s == pytest.approx(900.0)
    assert s.has_annotation and s.reviewed_samples == 45000
    assert s.reviewed_fraction == pytest.approx(0.2)
    assert holter.duration_s == HOURS_24 and holter.n_leads == 3 and holter.fs == 500.0
    assert not holter.has_annotation and holter.reviewed_fraction is None
    assert all(r.error is None for r in rows)


def test_annotation_without_review_is_zero_percent(tmp_path):
    sel = _sample_into(tmp_path)
    sel.with_name("sel100.ecgs").write_bytes(b"\x00\x00")
    (row,) = folder_status(tmp_path)
    assert row.reviewed_fraction == 0.0


def test_reviewed_spans_beyond_the_record_are_clipped(tmp_path):
    sel = _sample_into(tmp_path)
    _review(sel.with_name("sel100.ecgs"), [[200000, 300000]], 250.0)
    (row,) = folder_status(tmp_path)
    assert row.reviewed_samples == 25000


def test_many_long_records_list_fast(tmp_path):
    for i in range(20):
        _holter(tmp_path, f"h{i:02d}")
    t0 = time.perf_counter()
    rows = folder_status(tmp_path)
    elapsed = time.perf_counter() - t0
    assert len(rows) == 20
    assert elapsed < 2.0, f"{elapsed:.2f} s for 20 headers: signals are being read"


def test_bad_header_is_reported_not_raised(tmp_path):
    _sample_into(tmp_path)
    (tmp_path / "broken.hea").write_text("this is not a header\n", encoding="utf-8")
    rows = {r.name: r for r in folder_status(tmp_path)}
    assert rows["broken"].error and "\n" not in rows["broken"].error
    assert rows["sel100"].error is None


def test_progress_and_cancel(tmp_path):
    for i in range(5):
        _holter(tmp_path, f"h{i}")
    seen: list[float] = []
    rows = folder_status(tmp_path, progress=seen.append, cancel=lambda: len(seen) >= 2)
    assert len(rows) == 2 and seen == [0.2, 0.4]


def test_missing_folder_raises(tmp_path):
    with pytest.raises(RecordError):
        folder_status(tmp_path / "nope")


def test_record_status_accepts_hea_path(tmp_path):
    sel = _sample_into(tmp_path)
    row = record_status(os.fspath(sel) + ".hea")
    assert row.name == "sel100" and row.error is None


def test_corrupt_review_file_is_reported_with_the_header_facts(tmp_path):
    sel = _sample_into(tmp_path)
    sel.with_name("sel100.ecgs").write_bytes(b"\x00\x00")
    sel.with_name("sel100.ecgs.review.json").write_text("{oops", encoding="utf-8")
    (row,) = folder_status(tmp_path)
    assert row.n_samples == 225000 and row.has_annotation
    assert row.error and "review" in row.error and "\n" not in row.error
