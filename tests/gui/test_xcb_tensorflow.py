"""On a real X display, pre-annotating after the window is shown must not crash the process.

Mesa's libGL (loaded by Qt's xcb platform for OpenGL) carries its own LLVM; TensorFlow's LLVM static initialisers
then segfault when TensorFlow is first imported after a window was shown. ``make_application`` keeps xcb from
loading OpenGL. This runs a real xcb window under Xvfb in a subprocess (the suite itself runs offscreen).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

SCRIPT = """
import sys
from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QWidget
from ecgstudio.gui.app import make_application
app = make_application()
window = QWidget(); window.show()
def late_import():
    import tensorflow
    print("imported on", app.platformName(), flush=True)
    app.quit()
QTimer.singleShot(300, late_import)
app.exec_()
"""


@pytest.mark.slow
def test_tensorflow_imports_after_an_xcb_window_is_shown() -> None:
    xvfb_run = shutil.which("xvfb-run")
    if xvfb_run is None:
        pytest.skip("xvfb-run is not installed (.ci/install installs it; CI runs this test)")
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "QT_XCB_GL_INTEGRATION")}
    result = subprocess.run([xvfb_run, "-a", sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                            env=env, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "imported on xcb" in result.stdout
