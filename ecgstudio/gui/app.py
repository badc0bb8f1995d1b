"""``run_gui``: the editor's entry point (``ecgstudio [RECORD] [--model M]``)."""

from __future__ import annotations

import logging
import os
import signal
import sys
import traceback
from types import TracebackType

from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QApplication, QWidget

from ecgstudio import __version__
from ecgstudio.paths import model_stem, working_sample_record

log = logging.getLogger(__name__)


def make_application(argv: list[str] | None = None) -> QApplication:
    """The process's QApplication (created once, with ECG Studio's names).

    Qt's xcb platform is kept from loading OpenGL (``QT_XCB_GL_INTEGRATION=none``; nothing here draws with
    OpenGL): Mesa's libGL brings its own LLVM, and TensorFlow's LLVM static initialisers then crash the process
    (segfault in ``DebugInfoMetadata``) when the user pre-annotates after the window is shown.
    """
    os.environ.setdefault("QT_XCB_GL_INTEGRATION", "none")
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv if argv is not None else sys.argv[:1]))
    app.setApplicationName("ECG Studio")
    app.setOrganizationName("ECG Studio")
    app.setApplicationVersion(__version__)
    return app


def install_excepthook(window: QWidget) -> None:
    """Report unexpected exceptions in Qt slots in a message box instead of aborting.

    PyQt5 aborts the process (``qFatal``) on an exception escaping a slot when
    ``sys.excepthook`` is the default one; this hook logs the traceback and
    shows the one-line message, and the editor keeps running (the user can
    still save).
    """
    from ecgstudio.gui import dialogs
    from ecgstudio.gui.workers import error_message

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        log.error("unexpected error", exc_info=(kind, exc, tb))
        try:
            dialogs.show_error(window, "Unexpected error", error_message(exc))
        except Exception:  # never raise from the hook itself
            traceback.print_exception(kind, exc, tb)

    sys.excepthook = hook


def _close_on_ctrl_c(window: QWidget) -> None:
    """Ctrl+C in the terminal closes the window (asking about unsaved changes) instead of being ignored."""
    signal.signal(signal.SIGINT, lambda *_: QTimer.singleShot(0, window.close))
    # Python handles signals only between bytecodes: wake the interpreter now and then
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(250)


def run_gui(record: str | None = None, model: str | None = None) -> int:
    """Open the editor and run the Qt event loop until the window closes.

    The window is shown first; the record is read in a worker thread; once it
    is on screen the model is loaded in another worker thread (TensorFlow is
    never imported on the GUI thread), so the first pre-annotation does not
    wait for it.

    Parameters
    ----------
    record : str | None
        Record to open (path without extension, a ``.hea`` file, or a folder
        whose records are listed in the browser); when ``None``, the user's
        writable copy of the bundled sample (``paths.working_sample_record``).
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
    if model:
        model = str(model_stem(model))
    window = MainWindow(model_stem=model, preload_model=True)
    previous_hook = sys.excepthook
    install_excepthook(window)
    _close_on_ctrl_c(window)
    window.show()
    if record is None:  # the user's writable copy of the bundled sample, never the installed package's folder
        sample = working_sample_record()
        target = str(sample.path)
        if sample.note:
            log.warning("%s", sample.note)

            def tell_save_as(doc: object) -> None:  # when the sample is shown (after set_document's message)
                shown = getattr(doc, "record_path", None)
                if shown is not None and os.path.realpath(shown) == os.path.realpath(sample.path):
                    window.status.showMessage(sample.note, 15000)

            window.sigDocumentChanged.connect(tell_save_as)
    else:
        target = record
    if os.path.isdir(target):
        QTimer.singleShot(0, lambda: window.open_folder(target))
        QTimer.singleShot(2000, window.workflow.start_model_preload)  # no record on screen to wait for
    else:
        QTimer.singleShot(0, lambda: window.open_record(target))
    try:
        return int(app.exec_())
    finally:
        # the hook that was there before (not sys.__excepthook__: with that one PyQt aborts the
        # whole process on the next exception raised in a slot)
        sys.excepthook = previous_hook
        signal.signal(signal.SIGINT, signal.default_int_handler)
