"""``ecgstudio`` without a record opens the user's copy of the sample; Ctrl+S saves there, not in the package."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecgstudio.paths import resources_dir, sample_record_path


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


def _run_gui_default(qtbot, monkeypatch: pytest.MonkeyPatch, act) -> None:
    """``run_gui(None, None)`` with the event loop replaced by ``act(window)`` once the record is shown."""
    from PyQt5.QtWidgets import QApplication

    from ecgstudio.gui import app as gui_app
    from ecgstudio.gui.main_window import MainWindow

    def fake_exec(self) -> int:
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
        qtbot.waitUntil(lambda: window.document is not None, timeout=15_000)
        act(window)
        window.close()
        window.deleteLater()
        return 0

    monkeypatch.setattr(QApplication, "exec_", fake_exec)
    assert gui_app.run_gui(None, None) == 0


def test_the_default_record_is_the_users_copy_and_save_writes_there(
        qtbot, monkeypatch: pytest.MonkeyPatch, _isolated_user_files: Path, dialog_log) -> None:
    home = _isolated_user_files
    before = _snapshot(resources_dir())
    seen: dict[str, object] = {}

    def act(window) -> None:
        seen["record_path"] = Path(window.document.record_path)
        seen["saved"] = window.save()

    _run_gui_default(qtbot, monkeypatch, act)
    copy = home / "sample" / "sel100"
    assert Path(seen["record_path"]).resolve() == copy.resolve()
    assert seen["saved"] and copy.with_name("sel100.ecgs").is_file()
    assert _snapshot(resources_dir()) == before
    assert dialog_log.errors == []


def test_without_a_writable_user_folder_the_status_bar_says_to_use_save_as(
        qtbot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, dialog_log) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    monkeypatch.setenv("ECGSTUDIO_HOME", str(blocker))
    seen: dict[str, object] = {}

    def act(window) -> None:
        seen["record_path"] = Path(window.document.record_path)
        seen["message"] = window.status.currentMessage()

    _run_gui_default(qtbot, monkeypatch, act)
    assert Path(seen["record_path"]).resolve() == sample_record_path().resolve()
    assert "Save As" in str(seen["message"])
