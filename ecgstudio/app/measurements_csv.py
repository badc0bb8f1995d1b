"""Write a :class:`~ecgstudio.core.measurements.BeatTable` as CSV (one row per beat)."""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path

from ecgstudio import atomic
from ecgstudio.core.errors import SaveError
from ecgstudio.core.measurements import MEASURES, BeatTable


def csv_header() -> list[str]:
    """Column names, each with its unit in brackets (``"RR [ms]"``)."""
    return ["beat", "sample", "time [s]"] + [f"{m.label} [{m.unit}]" for m in MEASURES]


def _fmt(value: float, decimals: int) -> str:
    return "" if not math.isfinite(value) else f"{value:.{decimals}f}"


def write_measurements_csv(path: str | os.PathLike[str], table: BeatTable) -> Path:
    """Write one row per beat: number, fiducial sample, time and every measure.

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
    columns = [table.column(m.key) for m in MEASURES]
    times = table.beat_time_s
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(csv_header())
    for i in range(len(table)):
        row = [str(i + 1), str(int(table.beat_sample[i])), f"{times[i]:.3f}"]
        row += [_fmt(float(col[i]), 1) for col in columns]
        writer.writerow(row)
    try:
        return atomic.write_text(dest, buffer.getvalue())
    except OSError as exc:
        raise SaveError(f"{dest}: cannot write ({exc.strerror or exc})") from None
