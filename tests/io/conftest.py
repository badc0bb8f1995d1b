"""Shared fixtures of the io tests: the small files of tests/data, copied into tmp_path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


def copy_record(name: str, dest: Path) -> Path:
    """Copy every file of record ``name`` from tests/data into ``dest``; returns the record path."""
    for path in DATA.glob(f"{name}.*"):
        shutil.copy(path, dest / path.name)
    return dest / name


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def excerpt(tmp_path: Path) -> Path:
    """A writable copy of the 30 s sel100 excerpt (``sel100x``)."""
    return copy_record("sel100x", tmp_path)


@pytest.fixture
def synth12(tmp_path: Path) -> Path:
    """A writable copy of the synthetic 12-lead record with lead files."""
    return copy_record("synth12", tmp_path)

