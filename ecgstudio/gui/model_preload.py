"""Load the pre-annotation model in the background once the window shows, so Ctrl+R does not wait.

Importing TensorFlow and loading the model take seconds. :class:`ModelPreloader`
runs :func:`ecgstudio.app.preannotate.load_model` (which caches the model by
path and modification time) and one tiny inference in a worker thread after
the record is on screen; the first pre-annotation then finds it loaded and
its prediction graph built. TensorFlow is never imported on
the GUI thread: the import happens inside the task. A pre-annotation started
while the preload still runs waits for it inside ``load_model`` (the cache is
locked), so the model is never loaded twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PyQt5.QtCore import QObject, pyqtSignal

from ecgstudio.gui.workers import TaskRunner

log = logging.getLogger(__name__)

LoadFn = Callable[[str], Any]


#: Length (seconds) and rate (Hz) of the silent signal the loaded model is run on once.
WARM_UP_S, WARM_UP_FS = 10.0, 250.0


def _load_model(stem: str) -> Any:
    """The real loader, imported in the worker thread: load, then one tiny inference.

    Keras builds its prediction graph on the first call (a few hundred
    milliseconds); running it once on a short silent signal here keeps that
    out of the user's first pre-annotation. A failing warm-up is ignored (the
    model itself loaded).
    """
    import numpy as np

    from ecgstudio.app.preannotate import load_model, preannotate
    from ecgstudio.core.record import Record

    loaded = load_model(stem)
    silent = Record("warm-up", np.zeros((int(WARM_UP_S * WARM_UP_FS), 1), np.float32), WARM_UP_FS, ("warm-up",))
    try:
        preannotate(silent, stem)
    except Exception:  # a warm-up only
        log.debug("warm-up inference failed", exc_info=True)
    return loaded


class ModelPreloader(QObject):
    """Loads a model pair in a worker thread and remembers which one is ready.

    Parameters
    ----------
    parent : QObject | None
        Owner (the main window).
    load_fn : callable | None
        ``load_fn(model_stem)``; default :func:`ecgstudio.app.preannotate.load_model`
        (tests inject a fake).

    Signals
    -------
    sigStateChanged(str, str)
        ``(model_stem, state)`` with state ``"loading"``, ``"ready"`` or a
        one-line failure (``"failed: ..."``).
    """

    sigStateChanged = pyqtSignal(str, str)

    def __init__(self, parent: QObject | None = None, load_fn: LoadFn | None = None) -> None:
        super().__init__(parent)
        self.load_fn: LoadFn = load_fn or _load_model
        self._runner = TaskRunner(self)
        self._runner.sigFinished.connect(self._on_finished)
        self._runner.sigFailed.connect(self._on_failed)
        self._runner.sigCancelled.connect(lambda: self._set_state(self._stem, "not loaded"))
        self._stem = ""
        self._state = ""

    def preload(self, model_stem: str) -> bool:
        """Start loading ``model_stem`` unless it is loaded or loading; ``True`` if started."""
        stem = str(model_stem)
        if not stem or (stem == self._stem and self._state in ("loading", "ready")):
            return False
        if self._runner.is_running():
            return False  # the running load ends first; the next document opened asks again
        self._stem = stem
        load = self.load_fn
        self._set_state(stem, "loading")
        self._runner.start(lambda progress, cancel: load(stem))
        return True

    def state(self, model_stem: str | None = None) -> str:
        """``"loading"``, ``"ready"``, ``"failed: ..."`` or ``""`` for ``model_stem`` (default: the last one)."""
        if model_stem is not None and str(model_stem) != self._stem:
            return ""
        return self._state

    def is_running(self) -> bool:
        """Whether a load is in progress."""
        return self._runner.is_running()

    def wait(self, ms: int = 60_000) -> bool:
        """Block until the load ended and its outcome was delivered (tests, benchmarks)."""
        return self._runner.wait(ms)

    def cancel(self) -> None:
        """The window closes: drop the outcome (a load in progress cannot be interrupted)."""
        self._runner.cancel()

    def _set_state(self, stem: str, state: str) -> None:
        self._state = state
        self.sigStateChanged.emit(stem, state)

    def _on_finished(self, _result: object) -> None:
        log.info("model %s loaded in the background", self._stem)
        self._set_state(self._stem, "ready")

    def _on_failed(self, message: str) -> None:
        log.info("model %s not preloaded: %s", self._stem, message)
        self._set_state(self._stem, f"failed: {message}")
