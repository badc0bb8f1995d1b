"""Write a :class:`~ecgstudio.core.measurements.BeatTable` as CSV (one row per beat)."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from ecgstudio import atomic
from ecgstudio.app.beat_table import header, text_rows
from ecgstudio.core.errors import SaveError
from ecgstudio.core.measurements import BeatTable


def csv_header() -> list[str]:
    """Column names (:data:`ecgstudio.app.beat_table.BEAT_COLUMNS`), each with its unit in brackets."""
    return header()


def write_measurements_csv(path: str | os.PathLike[str], table: BeatTable) -> Path:
    """Write one row per beat with the columns of :data:`ecgstudio.app.beat_table.BEAT_COLUMNS`.

    Those are the columns of ``annotate --table`` (without its ``record`` and
    ``lead``): beat number and label, fiducial sample and time, wave positions
    in samples and seconds, every measure and the per-wave confidence.

    Missing values (NaN) are written as empty fields. The file is written to a
    temporary file first and moved into place, so a failure never leaves half
    a file.

    Parameters
    ----------
    path : str | os.PathLike
        Destination ``.csv`` file.
    table : BeatTable
        The measurements.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    SaveError
        If the file cannot be written.
    """
    dest = Path(os.fspath(path))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(csv_header())
    writer.writerows(text_rows(table))
    try:
        return atomic.write_text(dest, buffer.getvalue())
    except OSError as exc:
        raise SaveError(f"{dest}: cannot write ({exc.strerror or exc})") from None
