"""Architecture rules users of the package rely on (fast start, clean layering)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: The import-linter contracts of ``pyproject.toml`` (docs/ARCHITECTURE.md §1), each of which must be reported kept.
CONTRACTS = (
    "Layers: cli > gui > app > io | ml > core",
    "Only ecgstudio.io imports wfdb",
    "Only ecgstudio.ml imports tensorflow/keras",
    "Only ecgstudio.gui imports Qt",
    "Ray stays optional: only ecgstudio.app.ray_annotate imports it",
    "core imports only numpy and the standard library",
)


def test_import_ecgstudio_is_light() -> None:
    code = (
        "import sys, ecgstudio, ecgstudio.cli, ecgstudio.core.masks, ecgstudio.core.edits;"
        "heavy = [m for m in ('tensorflow', 'keras', 'PyQt5', 'pyqtgraph', 'wfdb') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_import_linter_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if exe is None:
        pytest.fail("import-linter is a test dependency: pip install -e '.[test]'")
    result = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in CONTRACTS:  # named, so a contract dropped or renamed in pyproject.toml fails here
        assert f"{name} KEPT" in result.stdout, f"contract not checked: {name}\n{result.stdout}"
    assert " BROKEN" not in result.stdout


def test_cli_help_explains_subcommands() -> None:
    out = subprocess.run([sys.executable, "-m", "ecgstudio", "--help"], capture_output=True, text=True, check=True)
    for word in ("annotate", "train", "evaluate", "finetune"):
        assert word in out.stdout


def test_editor_without_a_display_fails_with_one_line() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run([sys.executable, "-m", "ecgstudio"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 2
    assert out.stderr.startswith("ecgstudio: error: no display") and out.stderr.count("\n") == 1
