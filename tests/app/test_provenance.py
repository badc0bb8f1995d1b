"""Model cards name paths relative to where the command ran, when that means something elsewhere."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from ecgstudio.app.provenance import command_line, portable_path


def test_paths_inside_or_next_to_the_folder_are_relative_others_absolute(tmp_path: Path) -> None:
    repo = tmp_path / "work" / "main"
    assert portable_path(repo / "models" / "m", start=repo) == str(Path("models/m"))
    assert portable_path(tmp_path / "work" / "shared" / "data" / "qtdb", start=repo) == str(
        Path("../shared/data/qtdb"))
    assert portable_path("data/rec", start=repo) == str(Path("data/rec"))
    assert portable_path(tmp_path / "elsewhere", start=repo) == str(tmp_path / "elsewhere")


def test_command_line_is_complete_with_portable_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "main"
    repo.mkdir()
    monkeypatch.chdir(repo)
    args = argparse.Namespace(records=[str(tmp_path / "db" / "r1"), "r2"], out=str(repo / "models" / "x"),
                              epochs=3, overwrite=False, pretrain=None, no_augment=True)
    assert command_line("ecgstudio finetune", args, path_options=("records", "out"), positional="records") == (
        "ecgstudio finetune ../db/r1 r2 --out models/x --epochs 3 --no-augment")
