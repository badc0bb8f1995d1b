"""Review-state sidecar: round trip, absence, bad content, atomic writes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ecgstudio.core.errors import AnnotationError, SaveError
from ecgstudio.core.review import ReviewSpans
from ecgstudio.io.review import read_review, review_path, write_review

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def test_round_trip(tmp_path: Path):
    ann = tmp_path / "rec.ecgs"
    spans = ReviewSpans([(0, 2500), (7000, 9000)])
    written = write_review(ann, spans, fs=250)
    assert written == tmp_path / "rec.ecgs.review.json"
    assert read_review(ann) == spans
    assert read_review(ann, fs=250) == spans
    data = json.loads(written.read_text())
    assert data == {"version": 2, "fs": 250.0, "reviewed": [[0, 2500], [7000, 9000]], "marks": []}


def test_no_sidecar_means_nothing_reviewed_yet(tmp_path: Path):
    assert read_review(tmp_path / "rec.ecgs") is None


def test_rewriting_replaces_and_leaves_no_temporary_files(tmp_path: Path):
    ann = tmp_path / "rec.ecgs"
    write_review(ann, ReviewSpans([(0, 10)]))
    write_review(ann, ReviewSpans([(5, 50)]))
    assert read_review(ann) == ReviewSpans([(5, 50)])
    assert [p.name for p in tmp_path.iterdir()] == ["rec.ecgs.review.json"]


def test_empty_spans_round_trip(tmp_path: Path):
    write_review(tmp_path / "rec.q1c", ReviewSpans())
    assert read_review(tmp_path / "rec.q1c") == ReviewSpans()


@pytest.mark.parametrize("content, words", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ('{"version": 3, "reviewed": []}', "version"),
    ('{"version": 1, "reviewed": {"a": 1}}', "list"),
    ('{"version": 1, "reviewed": [[5]]}', "bad review span"),
    ('{"version": 1, "reviewed": [[9, 3]]}', "bad review span"),
    ('{"version": 1, "reviewed": [[-1, 3]]}', "bad review span"),
    ('{"version": 1, "reviewed": [[1.5, 3]]}', "bad review span"),
    ('{"version": 1, "fs": -1, "reviewed": []}', "'fs'"),
    ("[" * 100000, "JSON"),
])
def test_bad_sidecar(tmp_path: Path, content: str, words: str):
    ann = tmp_path / "rec.ecgs"
    review_path(ann).write_text(content)
    with pytest.raises(AnnotationError) as info:
        read_review(ann)
    message = str(info.value)
    assert "rec.ecgs.review.json" in message and words in message and "\n" not in message


def test_binary_sidecar(tmp_path: Path):
    review_path(tmp_path / "rec.ecgs").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(AnnotationError, match="rec.ecgs.review.json"):
        read_review(tmp_path / "rec.ecgs")


def test_sidecar_for_another_sampling_frequency(tmp_path: Path):
    write_review(tmp_path / "rec.ecgs", ReviewSpans([(0, 10)]), fs=500)
    with pytest.raises(AnnotationError, match="500 Hz"):
        read_review(tmp_path / "rec.ecgs", fs=250)


def test_missing_folder(tmp_path: Path):
    with pytest.raises(SaveError, match="does not exist"):
        write_review(tmp_path / "nope" / "rec.ecgs", ReviewSpans([(0, 1)]))


@pytest.mark.skipif(IS_ROOT, reason="root can write into a read-only folder, so the refusal cannot occur")
def test_read_only_folder(tmp_path: Path):
    os.chmod(tmp_path, 0o555)
    try:
        with pytest.raises(SaveError, match="cannot write"):
            write_review(tmp_path / "rec.ecgs", ReviewSpans([(0, 1)]))
    finally:
        os.chmod(tmp_path, 0o755)
