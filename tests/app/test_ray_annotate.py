"""``annotate --ray``: a Ray instance on loopback (started in-process, or by ``ray start --head``) writes the same
files as the local run (skipped without Ray)."""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecgstudio.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def test_base_install_and_editor_never_import_ray() -> None:
    code = ("import sys, ecgstudio.cli, ecgstudio.app.annotate, ecgstudio.app.batch_annotate, "
            "ecgstudio.gui.main_window; sys.exit(1 if 'ray' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False,
                          env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"}).returncode == 0


def test_ray_without_ray_installed_is_a_one_line_error(
    tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    rec = tmp_path / "in"
    rec.mkdir()
    for f in ("1.hea", "1.dat"):
        shutil.copy(DATA / "ludb" / f, rec / f)
    code = main(["annotate", str(rec / "1"), "--out-dir", str(tmp_path / "out"), "--model", str(tiny_model),
                 "--ray", "auto"])
    assert code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert "--ray needs Ray" in err[-1] or any("--ray needs Ray" in line for line in err)


@pytest.mark.slow
def test_ray_run_writes_the_same_files_as_the_local_run(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray")
    from ecgstudio.paths import default_model_path, model_files

    if not model_files(default_model_path()).keras.is_file():
        pytest.skip("no shipped model in this checkout")
    src = tmp_path / "in"
    src.mkdir()
    for f in (DATA / "ludb").iterdir():
        shutil.copy(f, src / f.name)
    local, cluster = tmp_path / "local", tmp_path / "cluster"
    assert main(["annotate", str(src), "--out-dir", str(local), "--jobs", "1"]) == 0
    ray.init(address="local", num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})
    try:
        table = tmp_path / "beats.csv"
        assert main(["annotate", str(src), "--out-dir", str(cluster), "--ray", "auto", "--jobs", "2",
                     "--table", str(table)]) == 0
    finally:
        ray.shutdown()
    names = sorted(p.name for p in local.iterdir() if p.suffix == ".ecgs")
    assert names == ["1.ecgs", "2.ecgs"]
    for name in names:
        assert (local / name).read_bytes() == (cluster / name).read_bytes()
    with open(table, newline="", encoding="utf-8") as fh:
        assert {row[0] for row in list(csv.reader(fh))[1:]} == {"1", "2"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _marked_pids(marker: str) -> list[int]:
    """Processes whose environment holds ``marker`` (the head, its raylet, GCS and Ray workers inherit it)."""
    pids: list[int] = []
    if not Path("/proc").is_dir():  # no /proc (macOS): the process group was the whole cleanup
        return pids
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker.encode() in (proc / "environ").read_bytes():
                    pids.append(int(proc.name))
            except OSError:
                continue
    return pids


def _stop_head(head: subprocess.Popen, marker: str) -> None:
    """Stop the head's process group (SIGTERM, then SIGKILL), then any straggler carrying ``marker``."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(head.pid, signal.SIGTERM)
    try:
        head.wait(timeout=10)  # Ray drains for up to 30 s on SIGTERM; a test does not wait for that
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(head.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        head.wait(timeout=10)
    for pid in _marked_pids(marker):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def ray_head() -> Iterator[tuple[str, dict[str, str]]]:
    """A Ray head started by ``ray start --head --block`` on loopback: ``(address, environment for drivers)``.

    Loopback only: ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` keeps Ray from replacing 127.0.0.1 by the host's
    address; token authentication is off (``RAY_AUTH_MODE=disabled``) so that neither side reads or writes
    ``~/.ray``. Every process of the head is stopped afterwards, whatever the test did, and each wait has a
    timeout.
    """
    pytest.importorskip("ray")
    if sys.platform == "win32":
        pytest.skip("process groups (os.killpg) are POSIX")
    ray_cli = Path(sys.executable).with_name("ray")
    if not ray_cli.is_file():
        pytest.skip("no ray command next to this Python")
    marker = f"ECGSTUDIO_RAY_TEST={uuid.uuid4().hex}"
    temp = Path(tempfile.mkdtemp(prefix="ecgray", dir="/tmp"))  # short: Ray's socket paths must fit 107 bytes
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0", RAY_AUTH_MODE="disabled",
               RAY_USAGE_STATS_ENABLED="0")
    env[marker.split("=")[0]] = marker.split("=")[1]
    env.pop("RAY_ADDRESS", None)
    log = temp / "head.log"
    cmd = [str(ray_cli), "start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--port", str(port),
           "--num-cpus", "1", "--include-dashboard", "false", "--disable-usage-stats", "--temp-dir", str(temp),
           "--ray-client-server-port", str(_free_port()), "--dashboard-agent-listen-port", str(_free_port()),
           "--metrics-export-port", str(_free_port())]
    with open(log, "w", encoding="utf-8") as out:
        head = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while "Ray runtime started" not in log.read_text(encoding="utf-8", errors="replace"):
            if head.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"ray start --head did not come up:\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.5)
        yield f"127.0.0.1:{port}", dict(env, RAY_ADDRESS=f"127.0.0.1:{port}")
    finally:
        _stop_head(head, marker)
        shutil.rmtree(temp, ignore_errors=True)
    deadline = time.monotonic() + 10
    while _marked_pids(marker) and time.monotonic() < deadline:  # SIGKILLed processes take a moment to go
        time.sleep(0.2)
    assert _marked_pids(marker) == []


def _annotate(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecgstudio", "annotate", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.slow
def test_ray_start_head_writes_the_same_files_as_the_local_run(
    tmp_path: Path, ray_head: tuple[str, dict[str, str]]
) -> None:
    """``ray start --head`` on loopback, then ``annotate --ray auto`` (RAY_ADDRESS) and ``--ray ADDRESS``."""
    from ecgstudio.paths import default_model_path, model_files

    if not model_files(default_model_path()).keras.is_file():
        pytest.skip("no shipped model in this checkout")
    address, env = ray_head
    src = tmp_path / "in"
    src.mkdir()
    for f in (DATA / "ludb").iterdir():
        shutil.copy(f, src / f.name)
    for f in ("sel100x.hea", "sel100x.dat"):  # a 2-lead record of another length: a group of its own
        shutil.copy(DATA / f, src / f)
    local_env = {k: v for k, v in env.items() if k != "RAY_ADDRESS"}
    runs = {"local": ["--jobs", "1"], "auto": ["--ray", "auto"], "address": ["--ray", address]}
    for name, extra in runs.items():
        done = _annotate([str(src), "--out-dir", str(tmp_path / name), "--table", str(tmp_path / f"{name}.csv"),
                          *extra], local_env if name == "local" else env)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "3 written, 0 failed" in done.stderr
    names = sorted(p.name for p in (tmp_path / "local").iterdir() if p.suffix == ".ecgs")
    assert names == ["1.ecgs", "2.ecgs", "sel100x.ecgs"]
    for run in ("auto", "address"):
        for name in names:
            assert (tmp_path / "local" / name).read_bytes() == (tmp_path / run / name).read_bytes(), (run, name)
        tables = [(tmp_path / f"{r}.csv").read_text(encoding="utf-8").splitlines() for r in ("local", run)]
        assert tables[0][0] == tables[1][0]  # same columns
        assert sorted(tables[0][1:]) == sorted(tables[1][1:])  # same rows (records finish in any order)
