"""The one QSettings factory, and the recent-files list kept in it.

Every widget that remembers something (recent files, window layout, last
folder, palette) gets its ``QSettings`` from :func:`make_settings`, so tests
can redirect all of it into ``tmp_path`` with the ``ECGSTUDIO_SETTINGS``
environment variable (path of an ini file).
"""

from __future__ import annotations

import os
from pathlib import Path

from PyQt5.QtCore import QSettings

#: Environment variable naming an ini file that replaces the platform's settings store.
SETTINGS_ENV = "ECGSTUDIO_SETTINGS"

ORGANISATION = "ECG Studio"
APPLICATION = "ecgstudio"

#: How many recent records File -> Recent remembers.
MAX_RECENT = 10

_RECENT_KEY = "recent/records"


def make_settings() -> QSettings:
    """The application's settings store.

    Returns
    -------
    QSettings
        An ini file at ``$ECGSTUDIO_SETTINGS`` when that variable is set,
        otherwise the platform's native store for ECG Studio.
    """
    override = os.environ.get(SETTINGS_ENV)
    if override:
        Path(override).parent.mkdir(parents=True, exist_ok=True)
        return QSettings(override, QSettings.IniFormat)
    return QSettings(ORGANISATION, APPLICATION)


def _as_list(value: object) -> list[str]:
    """QSettings returns a str for one-element lists in ini files; normalise it."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value]


def recent_records(settings: QSettings | None = None) -> list[str]:
    """Recently opened record paths (no extension), most recent first."""
    settings = settings or make_settings()
    return _as_list(settings.value(_RECENT_KEY, []))[:MAX_RECENT]


def add_recent_record(path: str | os.PathLike[str], settings: QSettings | None = None) -> list[str]:
    """Put ``path`` first in the recent list (deduplicated, at most :data:`MAX_RECENT`).

    Returns
    -------
    list[str]
        The new list, most recent first.
    """
    settings = settings or make_settings()
    entry = os.fspath(path)
    items = [entry] + [p for p in recent_records(settings) if p != entry]
    items = items[:MAX_RECENT]
    settings.setValue(_RECENT_KEY, items)
    settings.sync()
    return items


def remove_recent_record(path: str | os.PathLike[str], settings: QSettings | None = None) -> list[str]:
    """Drop ``path`` from the recent list (e.g. after it failed to open)."""
    settings = settings or make_settings()
    entry = os.fspath(path)
    items = [p for p in recent_records(settings) if p != entry]
    settings.setValue(_RECENT_KEY, items)
    settings.sync()
    return items


def clear_recent_records(settings: QSettings | None = None) -> None:
    """Forget every recent record."""
    settings = settings or make_settings()
    settings.setValue(_RECENT_KEY, [])
    settings.sync()
