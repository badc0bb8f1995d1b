"""Header comment lines reach Record.comments (age, sex, diagnoses for the Record info dock)."""

from __future__ import annotations

from pathlib import Path

from ecgstudio.io.records import MAX_COMMENT_CHARS, read_header, read_record

DATA = Path(__file__).resolve().parents[1] / "data"


def test_ludb_comments_are_read_with_the_record() -> None:
    record = read_record(DATA / "ludb" / "1")
    assert record.comments[:4] == ("<age>: 51", "<sex>: F", "<diagnoses>:", "Rhythm: Sinus bradycardia.")
    assert read_header(DATA / "ludb" / "1").comments == record.comments
    part = read_record(DATA / "ludb" / "1", sampfrom=100, sampto=200)
    assert part.comments == record.comments


def test_long_comment_lines_are_cut(tmp_path: Path) -> None:
    for suffix in (".dat",):
        (tmp_path / f"r{suffix}").write_bytes((DATA / "ludb" / f"1{suffix}").read_bytes())
    header = (DATA / "ludb" / "1.hea").read_text().replace("1.dat", "r.dat").replace("1 12 500", "r 12 500", 1)
    (tmp_path / "r.hea").write_text(header + "# " + "x" * 5000 + "\n")
    record = read_record(tmp_path / "r")
    assert len(record.comments[-1]) == MAX_COMMENT_CHARS
