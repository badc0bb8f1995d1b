"""Recovery files: written atomically, one per process, read back exactly, offered only when newer."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ecgstudio.app import autosave
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.edits import AddWave
from ecgstudio.core.waves import Wave, WaveKind


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("ECGSTUDIO_HOME", str(home))
    return home


def _track() -> Delineation:
    waves = [
        Wave(WaveKind.P, 10, 15, 25, confidence=0.5),
        Wave(WaveKind.QRS, 40, 45, 55, symbol="V"),
        Wave(WaveKind.T, None, 80, 100),
    ]
    return Delineation(waves, n_samples=1000, fs=250.0, name="ecgs")


def test_round_trip_keeps_waves_and_review(tmp_path: Path, _home: Path) -> None:
    record = tmp_path / "data" / "rec1"
    track = _track()
    path = autosave.write_recovery(record, "ecgs", track, [(0, 100), (200, 300)])
    assert path.parent == _home / "autosave"
    assert path.is_file()
    recovery = autosave.find_recovery(record, "ecgs", record.with_suffix(".ecgs"))
    assert recovery is not None
    restored, dropped = recovery.to_track("ecgs")
    assert dropped == []
    assert restored.same_waves(track)
    assert recovery.reviewed == ((0, 100), (200, 300))
    assert recovery.fs == 250.0 and recovery.n_samples == 1000


def test_same_name_in_two_folders_gets_two_files(tmp_path: Path) -> None:
    a = autosave.recovery_path(tmp_path / "a" / "rec", "ecgs")
    b = autosave.recovery_path(tmp_path / "b" / "rec", "ecgs")
    assert a != b


def test_not_offered_when_saved_file_is_newer(tmp_path: Path) -> None:
    record = tmp_path / "rec"
    autosave.write_recovery(record, "ecgs", _track(), [])
    saved = tmp_path / "rec.ecgs"
    saved.write_bytes(b"x")
    future = time.time() + 10
    os.utime(saved, (future, future))
    assert autosave.find_recovery(record, "ecgs", saved) is None


def test_corrupt_file_is_kept_aside_and_discard_deletes_only_the_own_file(tmp_path: Path, _home: Path) -> None:
    record = tmp_path / "rec"
    path = autosave.write_recovery(record, "ecgs", _track(), [])
    path.write_text("{not json", encoding="utf-8")
    assert autosave.find_recovery(record, "ecgs") is None
    (aside,) = (_home / "autosave").glob("*.unusable-*")
    assert aside.read_text(encoding="utf-8") == "{not json"
    path = autosave.write_recovery(record, "ecgs", _track(), [])
    autosave.discard_recovery(record, "ecgs")
    assert not path.exists() and aside.exists()
    autosave.discard_recovery(record, "ecgs")  # twice is fine


def test_every_process_writes_its_own_file(tmp_path: Path) -> None:
    path = autosave.write_recovery(tmp_path / "rec", "ecgs", _track(), [])
    owner = autosave.this_process()
    assert path.name.endswith(f".ecgs.{owner.token[:12]}.json")
    recovery = autosave.read_recovery(path)
    assert recovery.owner == owner and recovery.version == autosave.FORMAT_VERSION
    assert recovery.annotation is not None and not recovery.annotation.exists


def test_background_writer_keeps_the_newest_snapshot(tmp_path: Path) -> None:
    record = tmp_path / "rec"
    writer = autosave.AutosaveWriter()
    try:
        track = _track()
        first = autosave.Snapshot.of(track, [(0, 10)])
        AddWave(Wave(WaveKind.QRS, 300, 310, 320)).apply(track)
        second = autosave.Snapshot.of(track, [(0, 20)])
        writer.submit(record, "ecgs", first)
        writer.submit(record, "ecgs", second)
        assert writer.wait(10)
        recovery = autosave.read_recovery(autosave.recovery_path(record, "ecgs"))
        assert len(recovery.waves) == 4 and recovery.reviewed == ((0, 20),)
        assert recovery.waves[1].symbol == "V" and recovery.waves[0].confidence == 0.5
        assert recovery.waves[2].onset is None
        writer.discard(record, "ecgs")
        assert not autosave.recovery_path(record, "ecgs").exists()
    finally:
        writer.close()


def test_unwritable_autosave_folder_is_reported_not_raised(tmp_path: Path, _home: Path) -> None:
    _home.mkdir(parents=True, exist_ok=True)
    (_home / "autosave").write_text("a file where the folder should be")
    writer = autosave.AutosaveWriter()
    try:
        writer.submit(tmp_path / "rec", "ecgs", autosave.Snapshot.of(_track()))
        assert writer.wait(10)
        assert writer.last_error and "autosave" in writer.last_error
    finally:
        writer.close()
