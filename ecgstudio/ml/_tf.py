"""First import of TensorFlow, and where its native start-up logs go.

TensorFlow's native start-up writes log lines straight to the process's stderr (CUDA probing on a machine without a
GPU, oneDNN notes) before its logging can be configured. ``TF_CPP_MIN_LOG_LEVEL=2`` (set unless the environment
sets it) drops the informational ones everywhere. Hiding the rest means pointing file descriptor 2 at
``/dev/null`` for the length of the import, which silences *every* thread of the process: only a command-line
sub-command, whose process does nothing else meanwhile, asks for it (:func:`hide_native_start_up_logs`, called by
``ecgstudio.cli``). The editor never does, so a message written by another thread during the import is never
lost. ``ECGSTUDIO_TF_LOGS=1`` keeps the native logs in every case.
"""

from __future__ import annotations

import os
import sys
import threading

_lock = threading.Lock()
_hide_native_logs = False


def hide_native_start_up_logs() -> None:
    """Hide TensorFlow's native start-up lines in this process (command-line sub-commands only).

    Takes effect at the first :func:`import_tensorflow_quietly`; ``ECGSTUDIO_TF_LOGS=1`` overrides it.
    """
    global _hide_native_logs
    _hide_native_logs = True


def import_tensorflow_quietly() -> None:
    """Import ``tensorflow`` and ``keras`` once, with TensorFlow's informational native logs off.

    File descriptor 2 is redirected during the import only after :func:`hide_native_start_up_logs`.
    """
    if "keras" in sys.modules and "tensorflow" in sys.modules:
        return
    with _lock:
        if os.environ.get("ECGSTUDIO_TF_LOGS"):
            import keras
            import tensorflow

            return
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        if not _hide_native_logs:
            import keras
            import tensorflow  # noqa: F401

            return
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
