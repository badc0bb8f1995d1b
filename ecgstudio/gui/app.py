"""``run_gui``: the editor's entry point (``ecgstudio [RECORD] [--model M]``)."""

from __future__ import annotations

import os
import sys

from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QApplication

from ecgstudio import __version__
from ecgstudio.paths import sample_record_path


def make_application(argv: list[str] | None = None) -> QApplication:
    """The process's QApplication (created once, with ECG Studio's names)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv if argv is not None else sys.argv[:1]))
    app.setApplicationName("ECG Studio")
    app.setOrganizationName("ECG Studio")
    app.setApplicationVersion(__version__)
    return app  # type: ignore[return-value]


def run_gui(record: str | None = None, model: str | None = None) -> int:
    """Open the editor and run the Qt event loop until the window closes.

    The window is shown first; the record is read in a worker thread and
    TensorFlow is imported only when the user pre-annotates.

    Parameters
    ----------
    record : str | None
        Record to open (path without extension, a ``.hea`` file, or a folder
        whose records are listed in the browser); the bundled sample when
        ``None``.
    model : str | None
        Model path stem (or ``.keras`` file) for pre-annotation; the bundled
        default model when ``None``.

    Returns
    -------
    int
        The application's exit code.
    """
    import pyqtgraph as pg

    from ecgstudio.gui.main_window import MainWindow

    app = make_application()
    pg.setConfigOptions(antialias=False)
    if model and model.endswith(".keras"):
        model = model[: -len(".keras")]
    window = MainWindow(model_stem=model)
    window.show()
    target = record if record is not None else str(sample_record_path())
    if os.path.isdir(target):
        QTimer.singleShot(0, lambda: window.open_folder(target))
    else:
        QTimer.singleShot(0, lambda: window.open_record(target))
    return int(app.exec_())
