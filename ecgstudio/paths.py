"""Where the bundled sample record, the shipped models and user files live."""

from __future__ import annotations

import os
from pathlib import Path

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
    """Record path (no extension) of the bundled sample record."""
    return resources_dir() / SAMPLE_RECORD_NAME


def default_model_path() -> Path:
    """Path stem (no extension) of the shipped default model."""
    return models_dir() / DEFAULT_MODEL_NAME


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
