"""Exception types with one-line, user-facing messages.

Every error that can reach a user derives from :class:`EcgStudioError`; its
``str()`` is a single line that names the file and what is wrong, suitable for
a status bar, a dialog or ``ecgstudio: error: ...`` on the command line.
"""

from __future__ import annotations


class EcgStudioError(Exception):
    """Base class of all ECG Studio errors (message is one user-readable line)."""


class RecordError(EcgStudioError):
    """A record (header or signal file) cannot be read."""


class AnnotationError(EcgStudioError):
    """An annotation file cannot be read or written."""


class SaveError(EcgStudioError):
    """Annotations or review state cannot be written (permissions, disk, refusal)."""


class ModelError(EcgStudioError):
    """A model pair (``.keras`` + ``.json``) is missing, corrupt or incompatible."""


class EditError(EcgStudioError):
    """An edit would break a delineation rule (overlap, order, width, bounds)."""
