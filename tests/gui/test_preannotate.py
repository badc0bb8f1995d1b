"""PreannotateController: background run with progress dialog, cancel, failure, real model."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from PyQt5.QtWidgets import QWidget

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import EcgStudioError, ModelError
from ecgstudio.core.record import Record
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.gui.preannotate import PreannotateController
from ecgstudio.paths import default_model_path, sample_record_path


def _record(n: int = 2500) -> Record:
    return Record("synthetic", np.zeros((n, 2), np.float32), 250.0, ("I", "II"))


class FakeService:
    """Stands in for ecgstudio.app.preannotate.preannotate."""

    def __init__(self, *, steps: int = 5, delay_s: float = 0.01, error: Exception | None = None,
                 until_cancel: bool = False) -> None:
        self.steps, self.delay_s, self.error, self.until_cancel = steps, delay_s, error, until_cancel
        self.calls: list[tuple] = []
        self.thread: threading.Thread | None = None

    def __call__(self, record, model_stem, *, per_lead=False, progress=None, cancel=None):
        self.calls.append((record.name, model_stem, per_lead))
        self.thread = threading.current_thread()
        if self.error is not None:
            raise self.error
        deadline = time.monotonic() + 10
        i = 0
        while i < self.steps or (self.until_cancel and time.monotonic() < deadline):
            if cancel():
                raise EcgStudioError("inference cancelled")
            time.sleep(self.delay_s)
            i += 1
            progress(min(1.0, i / self.steps))
        track = Delineation([Wave(WaveKind.QRS, 100, 110, 125)], n_samples=record.n_samples, fs=record.fs,
                            name="model")
        return [track]


@pytest.fixture
def window(qtbot):
    w = QWidget()
    qtbot.addWidget(w)
    w.show()
    return w


def test_tracks_arrive_and_dialog_closes(qtbot, window):
    fake = FakeService()
    ctl = PreannotateController(window, preannotate_fn=fake)
    with qtbot.waitSignal(ctl.sigTracksReady, timeout=5000) as blocker:
        assert ctl.start(_record(), "/models/x", per_lead=True)
        assert ctl.progress_dialog() is not None and ctl.progress_dialog().isVisible()
    (tracks,) = blocker.args
    assert len(tracks) == 1 and tracks[0].name == "model"
    assert fake.calls == [("synthetic", "/models/x", True)]
    assert fake.thread is not threading.main_thread()
    assert ctl.progress_dialog() is None
    assert not ctl.is_running()


def test_progress_moves_the_bar(qtbot, window):
    fake = FakeService(steps=4, delay_s=0.2)
    ctl = PreannotateController(window, preannotate_fn=fake)
    ctl.start(_record(), None)
    dialog = ctl.progress_dialog()
    qtbot.waitUntil(lambda: dialog.maximum() > 0 and dialog.value() > 0, timeout=3000)
    with qtbot.waitSignal(ctl.sigTracksReady, timeout=5000):
        pass


def test_cancel_button_stops_the_run(qtbot, window):
    fake = FakeService(steps=10, delay_s=0.01, until_cancel=True)
    ctl = PreannotateController(window, preannotate_fn=fake)
    ready: list = []
    ctl.sigTracksReady.connect(ready.append)
    ctl.start(_record(), None)
    qtbot.wait(50)
    with qtbot.waitSignal(ctl.sigCancelled, timeout=3000):
        ctl.progress_dialog().canceled.emit()  # what the dialog's Cancel button emits
    assert ready == []
    assert ctl.progress_dialog() is None


def test_failure_is_reported_as_one_line(qtbot, window):
    ctl = PreannotateController(window, preannotate_fn=FakeService(error=ModelError("x.keras: no such model")))
    with qtbot.waitSignal(ctl.sigFailed, timeout=5000) as blocker:
        ctl.start(_record(), "x")
    assert blocker.args == ["x.keras: no such model"]
    assert ctl.progress_dialog() is None


def test_unexpected_exception_is_reported(qtbot, window):
    ctl = PreannotateController(window, preannotate_fn=FakeService(error=KeyError("lead")))
    with qtbot.waitSignal(ctl.sigFailed, timeout=5000) as blocker:
        ctl.start(_record(), "x")
    assert blocker.args[0].startswith("unexpected error: KeyError")


def test_second_start_while_running_is_refused(qtbot, window):
    ctl = PreannotateController(window, preannotate_fn=FakeService(steps=20, delay_s=0.01))
    assert ctl.start(_record(), None)
    assert not ctl.start(_record(), None)
    with qtbot.waitSignal(ctl.sigTracksReady, timeout=5000):
        pass


def test_controller_does_not_import_tensorflow():
    code = (
        "import os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from PyQt5.QtWidgets import QApplication, QWidget\n"
        "app = QApplication([])\n"
        "from ecgstudio.gui.preannotate import PreannotateController\n"
        "w = QWidget(); c = PreannotateController(w)\n"
        "bad = [m for m in ('tensorflow', 'keras', 'ecgstudio.app.preannotate') if m in sys.modules]\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.slow
def test_real_default_model_on_sample_record(qtbot, window):
    model = default_model_path()
    if not model.with_suffix(".keras").is_file() or not model.with_suffix(".json").is_file():
        pytest.skip(f"the shipped model {model}.keras/.json is not committed yet")
    pytest.importorskip("ecgstudio.app.preannotate")
    from ecgstudio.io.records import read_record

    record = read_record(sample_record_path(), 0, 250 * 10)  # first 10 s of sel100
    ctl = PreannotateController(window)
    ready: list = []
    failed: list[str] = []
    ctl.sigTracksReady.connect(ready.append)
    ctl.sigFailed.connect(failed.append)
    ctl.start(record, str(model))
    qtbot.waitUntil(lambda: bool(ready or failed), timeout=180_000)
    assert not failed, failed[0]
    (tracks,) = ready
    assert len(tracks) == 1
    qrs = [w for w in tracks[0].waves if w.kind is WaveKind.QRS]
    assert 8 <= len(qrs) <= 16  # sel100 runs at ~75 bpm


@pytest.mark.slow
def test_real_service_runs_tensorflow_in_the_worker(qtbot, window, tmp_path):
    """The real service end to end with an untrained model pair (no shipped model needed)."""
    pytest.importorskip("ecgstudio.app.preannotate")
    from ecgstudio.ml.model import base_metadata, build_model, save_model_pair

    stem = tmp_path / "untrained"
    save_model_pair(build_model(seed=0), stem, base_metadata())
    record = _record(250 * 8)
    record.signal[:, :] = np.sin(np.arange(record.n_samples) / 10.0)[:, None].astype(np.float32)
    ctl = PreannotateController(window)
    ready: list = []
    failed: list[str] = []
    ctl.sigTracksReady.connect(ready.append)
    ctl.sigFailed.connect(failed.append)
    ctl.start(record, str(stem), per_lead=True)
    qtbot.waitUntil(lambda: bool(ready or failed), timeout=120_000)
    assert not failed, failed[0]
    (tracks,) = ready
    assert len(tracks) == 2  # one per lead
    assert all(isinstance(t, Delineation) and t.n_samples == record.n_samples for t in tracks)
