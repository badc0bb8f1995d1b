"""TaskRunner: progress, result, cancel, failure, and a GUI thread that stays responsive."""

from __future__ import annotations

import threading
import time

import pytest
from PyQt5.QtCore import QTimer

from ecgstudio.core.errors import ModelError
from ecgstudio.gui.workers import TaskRunner, error_message, running_task_count, shutdown_tasks


@pytest.fixture
def runner(qtbot):
    r = TaskRunner()
    yield r
    r.cancel()
    assert r.wait(5000)


def _steps(n: int, sleep_s: float = 0.0):
    def task(progress, cancel):
        for i in range(n):
            if cancel():
                return None
            if sleep_s:
                time.sleep(sleep_s)
            progress((i + 1) / n)
        return "done"

    return task


def test_progress_and_result_arrive(qtbot, runner):
    seen: list[float] = []
    runner.sigProgress.connect(seen.append)
    with qtbot.waitSignal(runner.sigFinished, timeout=5000) as blocker:
        runner.start(_steps(20, 0.01))
    assert blocker.args == ["done"]
    assert seen, "no progress reported"
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
    assert not runner.is_running()


def test_task_runs_off_the_gui_thread(qtbot, runner):
    where: list[threading.Thread] = []

    def task(progress, cancel):
        where.append(threading.current_thread())
        return 1

    with qtbot.waitSignal(runner.sigFinished, timeout=5000):
        runner.start(task)
    assert where and where[0] is not threading.main_thread()


def test_cancel_stops_a_long_task(qtbot, runner):
    stopped_at: list[int] = []

    def long_task(progress, cancel):
        for i in range(10_000):  # would take ~100 s
            if cancel():
                stopped_at.append(i)
                return None
            time.sleep(0.01)
            progress(i / 10_000)
        return "finished anyway"

    finished: list[object] = []
    runner.sigFinished.connect(finished.append)
    runner.start(long_task)
    qtbot.wait(50)
    assert runner.is_running()
    t0 = time.monotonic()
    with qtbot.waitSignal(runner.sigCancelled, timeout=3000):
        runner.cancel()
    assert time.monotonic() - t0 < 1.0
    assert stopped_at and stopped_at[0] < 1000
    assert finished == []
    assert not runner.is_running()


def test_exception_after_cancel_counts_as_cancelled(qtbot, runner):
    def task(progress, cancel):
        while not cancel():
            time.sleep(0.005)
        raise RuntimeError("interrupted")

    failed: list[str] = []
    runner.sigFailed.connect(failed.append)
    runner.start(task)
    with qtbot.waitSignal(runner.sigCancelled, timeout=3000):
        runner.cancel()
    assert failed == []


def test_ecgstudio_error_is_reported_as_is(qtbot, runner):
    def task(progress, cancel):
        raise ModelError("models/x.keras: file not found")

    with qtbot.waitSignal(runner.sigFailed, timeout=5000) as blocker:
        runner.start(task)
    assert blocker.args == ["models/x.keras: file not found"]


def test_other_exception_is_reported_as_unexpected_one_line(qtbot, runner):
    def task(progress, cancel):
        raise ValueError("bad\nvalue")

    with qtbot.waitSignal(runner.sigFailed, timeout=5000) as blocker:
        runner.start(task)
    (message,) = blocker.args
    assert message == "unexpected error: ValueError: bad value"
    assert "\n" not in message


def test_gui_thread_stays_responsive(qtbot, runner):
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    try:
        with qtbot.waitSignal(runner.sigFinished, timeout=5000):
            runner.start(_steps(40, 0.01))  # ~0.4 s of work
    finally:
        timer.stop()
    # the timer kept firing on the GUI thread while the task ran
    assert len(ticks) >= 10


def test_runner_is_reusable_and_refuses_overlapping_tasks(qtbot, runner):
    gate = threading.Event()

    def blocked(progress, cancel):
        gate.wait(5)
        return 1

    runner.start(blocked)
    with pytest.raises(RuntimeError):
        runner.start(blocked)
    gate.set()
    assert runner.wait(5000)
    with qtbot.waitSignal(runner.sigFinished, timeout=5000) as blocker:
        runner.start(lambda progress, cancel: 2)
    assert blocker.args == [2]


def test_wait_delivers_the_outcome(qtbot, runner):
    results: list[object] = []
    runner.sigFinished.connect(results.append)
    runner.start(lambda progress, cancel: 42)
    assert runner.wait(5000)
    assert results == [42]


def test_deleting_a_runner_cancels_its_task_without_crashing(qtbot):
    stopped = threading.Event()

    def task(progress, cancel):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if cancel():
                stopped.set()
                return None
            time.sleep(0.005)
        return None

    r = TaskRunner()
    r.start(task)
    r.deleteLater()
    qtbot.waitUntil(stopped.is_set, timeout=2000)
    qtbot.waitUntil(lambda: running_task_count() == 0, timeout=2000)


def test_error_message_cuts_long_text():
    text = error_message(ModelError("x" * 1000))
    assert len(text) <= 300
    assert text.endswith("…")


def test_shutdown_cancels_running_tasks(qtbot):
    r = TaskRunner()

    def polite(progress, cancel):
        while not cancel():
            time.sleep(0.005)

    r.start(polite)
    assert shutdown_tasks(2000) == 0
    assert r.wait(1000)


def test_shutdown_leaves_a_stuck_task_without_crashing(qtbot):
    gate = threading.Event()
    r = TaskRunner()
    r.start(lambda progress, cancel: gate.wait(5))  # ignores cancel
    assert shutdown_tasks(50) == 1
    gate.set()
    assert r.wait(2000)
