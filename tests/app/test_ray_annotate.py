"""``annotate --ray``: a local Ray instance on loopback writes the same files as the local run (skipped without Ray)."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
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
    from ecgstudio.paths import default_model_path

    if not default_model_path().with_suffix(".keras").is_file():
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
