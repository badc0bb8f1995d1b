"""Where the bundled sample record, the shipped models and user files live.

Nothing is ever written inside the installed package: the editor opens the
sample from a writable copy in the user data folder
(:func:`working_sample_record`).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ecgstudio import atomic

_PACKAGE_DIR = Path(__file__).resolve().parent

#: Name of the sample record bundled in ``resources/``.
SAMPLE_RECORD_NAME = "sel100"

#: Name (stem) of the default model in ``models/``.
DEFAULT_MODEL_NAME = "default"


def _bundled(folder: str) -> Path:
    installed = _PACKAGE_DIR / folder
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / folder


def resources_dir() -> Path:
    """Folder of bundled resources (sample record, icons)."""
    return _bundled("resources")


def models_dir() -> Path:
    """Folder of the shipped models (``<name>.keras`` + ``<name>.json``)."""
    return _bundled("models")


def sample_record_path() -> Path:
    """Record path (no extension) of the bundled sample record (read it, never write beside it)."""
    return resources_dir() / SAMPLE_RECORD_NAME


def default_model_path() -> Path:
    """Path stem (no extension) of the shipped default model."""
    return models_dir() / DEFAULT_MODEL_NAME


#: The two files of a model pair, by suffix.
MODEL_SUFFIXES: tuple[str, str] = (".keras", ".json")


class ModelFiles(NamedTuple):
    """The two files of a model pair: ``<stem>.keras`` (weights) and ``<stem>.json`` (metadata)."""

    keras: Path
    json: Path

    @property
    def stem(self) -> Path:
        """The pair's path without extension (the name the editor, the CLI and the settings store)."""
        return self.keras.with_name(self.keras.name[: -len(".keras")])

    def existing(self) -> list[Path]:
        """Those of the two files that exist (a half-written pair counts: refuse to overwrite it)."""
        return [p for p in self if p.exists()]


def model_files(path: str | os.PathLike[str]) -> ModelFiles:
    """The ``.keras`` and ``.json`` files of the model pair named by ``path``.

    The one rule for naming model files, used by everything that saves, finds or loads a model.

    Parameters
    ----------
    path : path
        The pair's stem, or its ``.keras`` or ``.json`` file. Dots inside the name are kept: ``ft.v2``,
        ``ft.v2.keras`` and ``ft.v2.json`` all name ``ft.v2.keras`` + ``ft.v2.json`` (never ``ft.keras``,
        which ``Path.with_suffix`` would give).

    Returns
    -------
    ModelFiles
        ``(keras, json)``.
    """
    stem = model_stem(path)
    return ModelFiles(stem.with_name(stem.name + ".keras"), stem.with_name(stem.name + ".json"))


def model_stem(path: str | os.PathLike[str]) -> Path:
    """Stem of a model pair from its stem, its ``.keras`` or its ``.json`` path (dots in the name kept)."""
    p = Path(path)
    for suffix in MODEL_SUFFIXES:
        if p.name.endswith(suffix) and len(p.name) > len(suffix):
            return p.with_name(p.name[: -len(suffix)])
    return p


def user_data_dir() -> Path:
    """Per-user folder for fine-tuned models and autosave files.

    ``$ECGSTUDIO_HOME`` overrides it (tests point it into ``tmp_path``).
    """
    override = os.environ.get("ECGSTUDIO_HOME")
    if override:
        return Path(override)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ecgstudio"


def user_models_dir() -> Path:
    """Folder for models the user fine-tuned."""
    return user_data_dir() / "models"


def user_sample_dir() -> Path:
    """Folder of the user's writable copy of the sample record (``user_data_dir()/sample``)."""
    return user_data_dir() / "sample"


@dataclass(frozen=True)
class SampleRecord:
    """The sample record the editor opens when it is started without a record.

    Attributes
    ----------
    path : Path
        Record path without extension.
    writable : bool
        ``True`` when ``path`` is the user's copy and its folder is writable
        (Ctrl+S saves there); ``False`` when the copy could not be made or is
        not writable, and ``path`` may be the bundled record itself.
    note : str
        Empty when ``writable``; otherwise one line for the status bar that
        says why and that changes need Save As.
    """

    path: Path
    writable: bool
    note: str = ""


def _copy_new(src: Path, target: Path) -> None:
    """Copy ``src`` to ``target`` atomically (temporary file, fsync, ``os.replace``): never half a file."""
    with atomic.replacing(target) as tmp:
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            shutil.copyfileobj(fin, fout)
            fout.flush()
            os.fsync(fout.fileno())


def working_sample_record() -> SampleRecord:
    """The sample record to open: a copy in :func:`user_sample_dir`, made on first use.

    Every bundled file of the sample (``resources/sel100.*``: header, signal
    and annotation files) that is missing from the copy's folder is copied
    there; a file that already exists is never overwritten, whatever its
    content (the user's ``.ecgs`` and review sidecar are their work, and an
    edited header stays edited). Each file is copied atomically, so a crash
    leaves it either complete or absent. Nothing is written into
    :func:`resources_dir`.

    When the copy cannot be made (the user data folder is not writable, the
    disk is full) the bundled record is returned with ``writable=False`` and a
    note; the caller shows the note and the user keeps their changes with
    Save As. This function does not raise ``OSError``.

    Returns
    -------
    SampleRecord
        The record path, whether saving beside it is possible, and a note when not.
    """
    bundled = sample_record_path()
    folder = user_sample_dir()
    copy = folder / SAMPLE_RECORD_NAME
    sources = sorted(p for p in resources_dir().glob(f"{SAMPLE_RECORD_NAME}.*") if p.is_file())
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for src in sources:
            target = folder / src.name
            if not (target.exists() or target.is_symlink()):
                _copy_new(src, target)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        complete = copy.with_suffix(".hea").is_file() and copy.with_suffix(".dat").is_file()
        if not complete:
            return SampleRecord(bundled, False, f"Could not copy the sample record to {folder} ({reason}): "
                                                f"opened the bundled copy, use Save As to keep changes")
    if not os.access(folder, os.W_OK):
        return SampleRecord(copy, False, f"The sample record's folder {folder} is not writable: "
                                         f"use Save As to keep changes")
    return SampleRecord(copy, True)
