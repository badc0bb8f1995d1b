"""A save prepared by the editing session and run in any thread (no Qt).

:meth:`ecgstudio.app.editing.EditingSession.prepare_save` takes a snapshot of
the document on the caller's thread; :meth:`SaveJob.run` writes it
(:func:`ecgstudio.app.session.save_document`) wherever the caller likes, a
worker thread in the editor; :meth:`~ecgstudio.app.editing.EditingSession.finish_save`
records the result (docs/ARCHITECTURE.md, "Editing session").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ecgstudio.app import session as files
from ecgstudio.app.document import Document
from ecgstudio.core.errors import SaveError

__all__ = ["SaveJob"]


@dataclass(frozen=True)
class SaveJob:
    """A save prepared on the caller's thread; :meth:`run` does the file work (any thread).

    Attributes
    ----------
    document : Document
        A snapshot of the document (copies of the editable tracks).
    position : int
        The history position the snapshot was taken at.
    ext : str | None
        Extension to write (``None``: the document's).
    out_dir : Path | None
        Folder to write into (``None``: the document's).
    overwrite_reference : bool
        The user agreed to replace a reference file.
    confirmed : bool
        The user agreed to replace a file with a :meth:`~ecgstudio.app.editing.EditingSession.save_conflict`.
    """

    document: Document
    position: int
    ext: str | None
    out_dir: Path | None
    overwrite_reference: bool
    confirmed: bool = False

    def run(self) -> Path:
        """Write the files; returns the annotation file.

        Raises
        ------
        SaveError
            See :meth:`ecgstudio.app.editing.EditingSession.save`.
        """
        try:
            return files.save_document(self.document, ext=self.ext, out_dir=self.out_dir,
                                       overwrite_reference=self.overwrite_reference,
                                       accept_loss=self.confirmed, overwrite_changed=self.confirmed)
        except OSError as exc:
            raise SaveError(f"{self.document.name}: cannot save ({exc.strerror or exc})") from None
