"""The editor's sample record is a writable copy in the user data folder; the installed package is never written."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest

from ecgstudio import paths
from ecgstudio.paths import (
    SAMPLE_RECORD_NAME,
    resources_dir,
    sample_record_path,
    user_sample_dir,
    working_sample_record,
)

needs_permissions = pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                                       reason="root ignores folder permissions")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "ecgstudio_home"
    monkeypatch.setenv("ECGSTUDIO_HOME", str(folder))
    return folder


def _bundled_names() -> list[str]:
    return sorted(p.name for p in resources_dir().glob(f"{SAMPLE_RECORD_NAME}.*") if p.is_file())


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


def test_first_use_copies_every_bundled_sample_file(home: Path) -> None:
    sample = working_sample_record()
    assert sample.writable and sample.note == ""
    assert sample.path == home / "sample" / SAMPLE_RECORD_NAME == user_sample_dir() / SAMPLE_RECORD_NAME
    names = _bundled_names()
    assert {".hea", ".dat", ".q1c", ".pu0", ".pu1"} <= {Path(n).suffix for n in names}
    assert sorted(p.name for p in sample.path.parent.iterdir()) == names  # no temporary file left
    for name in names:
        assert (sample.path.parent / name).read_bytes() == (resources_dir() / name).read_bytes()
        assert (sample.path.parent / name).stat().st_mode & 0o200  # the user can write it, whatever the bundle's mode


def test_later_uses_never_overwrite_the_users_files_but_restore_missing_ones(home: Path) -> None:
    first = working_sample_record().path
    folder = first.parent
    (folder / "sel100.ecgs").write_bytes(b"the user's corrected annotations")
    (folder / "sel100.ecgs.review.json").write_text('{"reviewed": []}')
    (folder / "sel100.hea").write_text("sel100 2 250 10\n")  # edited header: stays edited
    (folder / "sel100.pu0").unlink()  # a reference file gone: copied again
    again = working_sample_record()
    assert again.path == first and again.writable
    assert (folder / "sel100.ecgs").read_bytes() == b"the user's corrected annotations"
    assert (folder / "sel100.ecgs.review.json").read_text() == '{"reviewed": []}'
    assert (folder / "sel100.hea").read_text() == "sel100 2 250 10\n"
    assert (folder / "sel100.pu0").read_bytes() == (resources_dir() / "sel100.pu0").read_bytes()


def test_nothing_is_written_into_the_bundled_resources(home: Path) -> None:
    before = _snapshot(resources_dir())
    sample = working_sample_record()
    (sample.path.parent / "sel100.ecgs").write_text("saved")
    working_sample_record()
    assert _snapshot(resources_dir()) == before
    assert sample.path.parent.resolve() != resources_dir().resolve()


def test_an_unusable_user_folder_falls_back_to_the_bundled_record_with_a_note(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    monkeypatch.setenv("ECGSTUDIO_HOME", str(blocker))  # mkdir of .../sample fails (also for root)
    before = _snapshot(resources_dir())
    sample = working_sample_record()
    assert sample.path == sample_record_path()
    assert not sample.writable
    assert "Save As" in sample.note and str(blocker) in sample.note and "\n" not in sample.note
    assert _snapshot(resources_dir()) == before


@needs_permissions
def test_a_read_only_user_folder_falls_back_to_the_bundled_record(home: Path) -> None:
    home.mkdir()
    home.chmod(0o500)
    try:
        sample = working_sample_record()
    finally:
        home.chmod(0o700)
    assert sample.path == sample_record_path() and not sample.writable and "Save As" in sample.note


@needs_permissions
def test_an_existing_copy_in_a_read_only_folder_is_opened_but_not_called_writable(home: Path) -> None:
    folder = working_sample_record().path.parent
    folder.chmod(0o500)
    try:
        sample = working_sample_record()
    finally:
        folder.chmod(0o700)
    assert sample.path == folder / SAMPLE_RECORD_NAME and not sample.writable and "Save As" in sample.note


def test_a_copy_that_fails_half_way_leaves_no_half_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_copy = shutil.copyfileobj

    def disk_full(fin, fout, *args, **kwargs):
        if Path(fin.name).suffix == ".dat":
            fout.write(fin.read(1000))
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_copy(fin, fout, *args, **kwargs)

    monkeypatch.setattr(paths.shutil, "copyfileobj", disk_full)
    sample = working_sample_record()
    folder = user_sample_dir()
    assert not (folder / "sel100.dat").exists()
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # the temporary file is gone
    assert sample.path == sample_record_path() and not sample.writable
    assert "No space left on device" in sample.note
    monkeypatch.setattr(paths.shutil, "copyfileobj", real_copy)
    retry = working_sample_record()  # next start: the missing file is copied, whole
    assert retry.writable and (folder / "sel100.dat").read_bytes() == (resources_dir() / "sel100.dat").read_bytes()


def test_a_folder_the_user_cannot_write_is_reported_even_when_the_copy_exists(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = working_sample_record().path.parent
    monkeypatch.setattr(paths.os, "access", lambda path, mode: Path(path) != folder)  # as a non-root user would see it
    sample = working_sample_record()
    assert sample.path == folder / SAMPLE_RECORD_NAME and not sample.writable
    assert str(folder) in sample.note and "Save As" in sample.note


@pytest.mark.parametrize("given", ["models/ft.v2", "models/ft.v2.keras", "models/ft.v2.json"])
def test_a_dotted_model_name_names_its_own_pair(given: str) -> None:
    # a fine-tuned model the dialog lets the user call "ft.v2" is saved and looked up as ft.v2.keras + ft.v2.json
    files = paths.model_files(given)
    assert files == (Path("models/ft.v2.keras"), Path("models/ft.v2.json"))
    assert files.stem == paths.model_stem(given) == Path("models/ft.v2")


def test_model_files_reports_a_half_written_pair(tmp_path: Path) -> None:
    files = paths.model_files(tmp_path / "m.1")
    assert files.existing() == []
    (tmp_path / "m.keras").write_bytes(b"another model")  # not this pair's file
    assert files.existing() == []
    files.json.write_text("{}")
    assert files.existing() == [tmp_path / "m.1.json"]
