"""Builders shared by the test modules: a time limit, stand-in model pairs, a crashed editor's recovery file.

Each is written once here so that the tests of io, ml, app and gui build hostile inputs the same way.
"""

from __future__ import annotations

import json
import signal
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

#: Owner pid of a crashed editor: above any pid_max, so no such process runs.
DEAD_PID = 2**31 - 2


class Hung(BaseException):
    """Raised by :func:`alarm` (a BaseException, so code under test that catches ``Exception`` cannot hide it)."""


@contextmanager
def alarm(seconds: int, what: str = "still running") -> Iterator[None]:
    """Raise :class:`Hung` in the main thread if the block runs longer than ``seconds`` (SIGALRM, POSIX)."""

    def fire(signum: int, frame: object) -> None:
        raise Hung(f"{what} after {seconds} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def write_model_pair(folder: Path, name: str = "m", meta: object = None, *, raw: str | None = None,
                     keras: bytes | bool = True) -> Path:
    """A stand-in model pair ``folder/name.json`` + ``folder/name.keras``; returns the stem.

    Parameters
    ----------
    folder : Path
        Created if missing.
    name : str
        Stem of the pair.
    meta : object
        Written as JSON into the ``.json`` (unless ``raw`` is given).
    raw : str | None
        The ``.json``'s exact text (hostile metadata).
    keras : bytes | bool
        The ``.keras``'s bytes; ``True``: a regular zip archive holding an empty ``config.json``
        (enough to pass the pair checks that run before TensorFlow); ``False``: no ``.keras``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / name
    stem.with_name(f"{name}.json").write_text(json.dumps(meta) if raw is None else raw, encoding="utf-8")
    keras_path = stem.with_name(f"{name}.keras")
    if isinstance(keras, bytes):
        keras_path.write_bytes(keras)
    elif keras:
        with zipfile.ZipFile(keras_path, "w") as archive:
            archive.writestr("config.json", "{}")
    return stem


def crashed_editor_file(record: Path, *, token: str = "ab", second_symbol: str | None = "V") -> Path:
    """Recovery file of another editor that opened ``record``, edited, autosaved and died; returns it.

    The edits: a QRS at samples 1000-1020 and one at 1200-1220 (beat label ``second_symbol``),
    samples 990-1030 marked reviewed. The file names owner ``DEAD_PID`` and a token made of
    ``token`` (two hex digits) repeated, so it is a dead editor's file, not this process's.
    Needs ``$ECGSTUDIO_HOME`` pointed at a temporary folder.
    """
    from ecgstudio.app.editing import EditingSession
    from ecgstudio.core.edits import AddWave
    from ecgstudio.core.waves import Wave, WaveKind

    session = EditingSession.open(record)
    session.apply(AddWave(Wave(WaveKind.QRS, 1000, 1010, 1020)))
    session.apply(AddWave(Wave(WaveKind.QRS, 1200, 1210, 1220, symbol=second_symbol)))
    session.mark_reviewed(990, 1030)
    path = session.autosave()
    assert path is not None and path.is_file()
    data = json.loads(path.read_text())
    data["owner"].update(pid=DEAD_PID, token=token * 16, started=None)
    theirs = path.with_name(path.name.replace(f".{path.name.split('.')[-2]}.", f".{token * 6}."))
    theirs.write_text(json.dumps(data))
    path.unlink()
    return theirs


def copy_record(src: str, dest: Path, name: str | None = None) -> Path:
    """Copy ``tests/data/<src>.hea/.dat`` into ``dest`` (created), renamed to ``name``; the record path."""
    data = Path(__file__).resolve().parent / "data"
    name = name or src
    dest.mkdir(parents=True, exist_ok=True)
    header = (data / f"{src}.hea").read_text(encoding="utf-8").replace(src, name)
    (dest / f"{name}.hea").write_text(header, encoding="utf-8")
    (dest / f"{name}.dat").write_bytes((data / f"{src}.dat").read_bytes())
    return dest / name


def sel100x_copy(folder: Path, name: str) -> Path:
    """A copy of tests/data/sel100x (30 s, 2 leads, 250 Hz) named ``name`` in ``folder``; the record path."""
    return copy_record("sel100x", folder, name)


def damaged(x: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    """A damaged copy of one lead (mV)."""
    y = np.array(x, dtype=np.float32)
    if kind == "flat":
        y[:] = 0.0
    elif kind == "invalid":  # WFDB's invalid sample value reads as NaN
        y[:] = np.nan
    elif kind == "saturated":  # stuck at the full scale of a +-5.12 mV converter
        y[:] = 5.12
    elif kind == "clipped":
        lo, hi = np.percentile(x, [10, 90])
        y = np.clip(y, lo, hi)
    elif kind == "noisy":
        y += rng.normal(0.0, 0.5, y.size).astype(np.float32)
    elif kind == "disconnected":
        t = np.arange(y.size) / 250.0
        y = (10 * np.sin(2 * np.pi * 50 * t) + np.cumsum(rng.normal(0, 0.05, y.size))).astype(np.float32)
    return y
