"""Hostile review sidecars (issue 14): a FIFO or a link to /dev/zero is refused in one line, never read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ecgstudio.core.errors import AnnotationError
from ecgstudio.io.review import read_review, review_path

pytestmark = pytest.mark.usefixtures("no_hang")


def test_a_fifo_sidecar_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(review_path(tmp_path / "rec.ecgs"))
    with pytest.raises(AnnotationError, match=r"rec\.ecgs\.review\.json: review file is a FIFO"):
        read_review(tmp_path / "rec.ecgs")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_sidecar_linked_to_dev_zero_is_refused(tmp_path: Path) -> None:
    review_path(tmp_path / "rec.ecgs").symlink_to("/dev/zero")
    with pytest.raises(AnnotationError, match="character device"):
        read_review(tmp_path / "rec.ecgs")


def test_a_fifo_annotation_file_is_not_hashed(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "rec.ecgs")
    review_path(tmp_path / "rec.ecgs").write_text(
        '{"version": 2, "reviewed": [[0, 10]], "annotation_sha256": "00"}')
    with pytest.raises(AnnotationError, match="FIFO"):
        read_review(tmp_path / "rec.ecgs")


def test_an_oversize_sidecar_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ecgstudio.io.review as review

    review_path(tmp_path / "rec.ecgs").write_text('{"version": 1, "reviewed": []}')
    monkeypatch.setattr(review, "_MAX_BYTES", 10)
    with pytest.raises(AnnotationError, match="too large"):
        read_review(tmp_path / "rec.ecgs")
