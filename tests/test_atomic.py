"""Atomic writes: the old file survives any failure and no temporary file is left behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ecgstudio import atomic


def test_write_text_replaces_the_file_with_normal_permissions(tmp_path: Path) -> None:
    target = tmp_path / "rec.ecgs.review.json"
    target.write_text("old")
    atomic.write_text(target, "new\n")
    assert target.read_text() == "new\n"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.ecgs.review.json"]


def test_a_failure_inside_the_block_keeps_the_old_file_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "model.keras"
    target.write_text("old model")
    with pytest.raises(RuntimeError), atomic.replacing(target, suffix=".tmp.keras") as tmp:
        tmp.write_text("half a model")
        raise RuntimeError("crash while saving")
    assert target.read_text() == "old model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]


def test_a_missing_folder_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        atomic.write_text(tmp_path / "missing" / "x.json", "{}")
