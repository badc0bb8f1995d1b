"""Quiet first import of TensorFlow.

TensorFlow's native start-up writes log lines straight to the process's stderr (CUDA probing on a machine without a
GPU, oneDNN notes) before its logging can be configured, so users of ``ecgstudio annotate`` or the editor's terminal
would see a screenful of "errors" that are not errors. The first import runs with file descriptor 2 pointed at
``/dev/null``; Python exceptions are unaffected. Set ``ECGSTUDIO_TF_LOGS=1`` to see the native logs.
"""

from __future__ import annotations

import os
import sys
import threading

_lock = threading.Lock()


def import_tensorflow_quietly() -> None:
    """Import ``tensorflow`` and ``keras`` once, hiding TensorFlow's native start-up log lines."""
    if "keras" in sys.modules and "tensorflow" in sys.modules:
        return
    with _lock:
        if os.environ.get("ECGSTUDIO_TF_LOGS"):
            import keras  # noqa: F401
            import tensorflow  # noqa: F401

            return
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
            import tensorflow as tf

            tf.config.list_physical_devices()  # device probing logs here, once
            import keras  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
