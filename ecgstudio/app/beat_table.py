"""Per-beat table columns (one definition for the editor's CSV export and ``annotate --table``).

:data:`BEAT_COLUMNS` are the columns of one track's beats (from a
:class:`~ecgstudio.core.measurements.BeatTable`): beat number and label, the
fiducial sample and time, P onset/peak/offset, QRS onset, R peak, QRS offset,
T peak/offset in samples and in seconds, every measure of
:data:`~ecgstudio.core.measurements.MEASURES` and the model's confidence per
wave. :class:`TableWriter` writes the beats of many records (``record`` and
``lead`` columns first) to one ``.csv`` file, or ``.parquet`` when pyarrow is
installed, as they come.
"""

from __future__ import annotations

import csv
import importlib.util
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ecgstudio.core.errors import EcgStudioError, SaveError
from ecgstudio.core.measurements import MEASURES, BeatTable


@dataclass(frozen=True)
class Column:
    """One column: header ``name``, ``values(table)`` per beat, ``kind`` (int, float, str) and CSV decimals."""

    name: str
    values: Callable[[BeatTable], np.ndarray]
    kind: str = "float"
    decimals: int = 1


_WAVE_POINTS = (("P onset", "p", 0), ("P peak", "p", 1), ("P offset", "p", 2),
                ("QRS onset", "qrs", 0), ("R peak", "qrs", 1), ("QRS offset", "qrs", 2),
                ("T peak", "t", 1), ("T offset", "t", 2))


def _point(attr: str, col: int, seconds: bool) -> Callable[[BeatTable], np.ndarray]:
    if seconds:
        return lambda table: getattr(table, attr)[:, col] / table.fs
    return lambda table: getattr(table, attr)[:, col]


def _measure(key: str) -> Callable[[BeatTable], np.ndarray]:
    return lambda table: table.column(key)


def _confidence(attr: str) -> Callable[[BeatTable], np.ndarray]:
    return lambda table: getattr(table, attr)


#: The columns of one track's beats, in order.
BEAT_COLUMNS: tuple[Column, ...] = (
    Column("beat", lambda table: np.arange(1, len(table) + 1), "int"),
    Column("label", lambda table: table.label, "str"),
    Column("sample", lambda table: table.beat_sample, "int"),
    Column("time [s]", lambda table: table.beat_time_s, "float", 3),
    *(Column(f"{name} [sample]", _point(attr, col, False), "int") for name, attr, col in _WAVE_POINTS),
    *(Column(f"{name} [s]", _point(attr, col, True), "float", 3) for name, attr, col in _WAVE_POINTS),
    *(Column(f"{m.label} [{m.unit}]", _measure(m.key), "float", 1) for m in MEASURES),
    Column("P confidence", _confidence("p_confidence"), "float", 3),
    Column("QRS confidence", _confidence("qrs_confidence"), "float", 3),
    Column("T confidence", _confidence("t_confidence"), "float", 3),
)

#: Columns that name the beats' record and lead in :class:`TableWriter`'s files.
KEY_COLUMNS: tuple[str, ...] = ("record", "lead")


def header() -> list[str]:
    """Names of :data:`BEAT_COLUMNS`, each with its unit in brackets where it has one."""
    return [c.name for c in BEAT_COLUMNS]


def _text(column: Column, values: np.ndarray) -> list[str]:
    if column.kind == "str":
        return [str(v) for v in values]
    if column.kind == "int":
        return ["" if not math.isfinite(v) else str(int(v)) for v in values.astype(np.float64)]
    return ["" if not math.isfinite(v) else f"{v:.{column.decimals}f}" for v in values.astype(np.float64)]


def text_rows(table: BeatTable) -> list[list[str]]:
    """One row of text per beat (NaN as an empty field), in :data:`BEAT_COLUMNS` order."""
    cols = [_text(c, np.asarray(c.values(table))) for c in BEAT_COLUMNS]
    return [list(row) for row in zip(*cols, strict=True)] if cols else []


def pyarrow_available() -> bool:
    """Whether ``.parquet`` tables can be written (pyarrow importable)."""
    return importlib.util.find_spec("pyarrow") is not None


def check_table_path(path: str | os.PathLike[str]) -> Path:
    """The table file to write, or a one-line :class:`EcgStudioError` for an unsupported one."""
    dest = Path(os.fspath(path)).expanduser()
    suffix = dest.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise EcgStudioError(f"--table {dest}: use a .csv or .parquet file")
    if suffix == ".parquet" and not pyarrow_available():
        raise EcgStudioError(f"--table {dest}: .parquet needs pyarrow (pip install pyarrow); or use a .csv file")
    if not dest.parent.is_dir():
        raise EcgStudioError(f"--table {dest}: folder {dest.parent} does not exist")
    return dest


class TableWriter:
    """Beats of many records in one table file, written as they come (``.csv`` or ``.parquet``).

    The file is written under a temporary name and moved into place by
    :meth:`close`, so a run that stops leaves no half table behind.

    Parameters
    ----------
    path : str | os.PathLike
        Destination (checked by :func:`check_table_path`).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = check_table_path(path)
        self._tmp = self.path.with_name(f".{self.path.name}.part")
        self.rows = 0
        self._parquet: Any = None
        self._fh: Any = None
        try:
            if self.path.suffix.lower() == ".csv":
                self._fh = open(self._tmp, "w", newline="", encoding="utf-8")  # noqa: SIM115
                self._csv = csv.writer(self._fh)
                self._csv.writerow([*KEY_COLUMNS, *header()])
        except OSError as exc:
            raise SaveError(f"{self.path}: cannot write ({exc.strerror or exc})") from None

    def add(self, record: str, lead: str, table: BeatTable) -> None:
        """Append the beats of one track (``lead``: its lead name, ``"global"`` for a global track)."""
        n = len(table)
        if not n:
            return
        try:
            if self._fh is not None:
                self._csv.writerows([record, lead, *row] for row in text_rows(table))
            else:
                self._add_parquet(record, lead, table)
        except OSError as exc:
            raise SaveError(f"{self.path}: cannot write ({exc.strerror or exc})") from None
        self.rows += n

    def _add_parquet(self, record: str, lead: str, table: BeatTable) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        n = len(table)
        arrays = [pa.array([record] * n, pa.string()), pa.array([lead] * n, pa.string())]
        for column in BEAT_COLUMNS:
            values = np.asarray(column.values(table))
            if column.kind == "str":
                arrays.append(pa.array([str(v) for v in values], pa.string()))
            else:
                values = values.astype(np.float64)
                missing = ~np.isfinite(values)
                if column.kind == "int":
                    arrays.append(pa.array(np.where(missing, 0, values).astype(np.int64), pa.int64(), mask=missing))
                else:
                    arrays.append(pa.array(values, pa.float64(), mask=missing))
        batch = pa.Table.from_arrays(arrays, names=[*KEY_COLUMNS, *header()])
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(str(self._tmp), batch.schema)
        self._parquet.write_table(batch)

    def close(self) -> Path:
        """Finish the file and move it into place; returns its path."""
        try:
            if self._fh is not None:
                self._fh.close()
            else:
                if self._parquet is None:
                    self._add_parquet_empty()
                self._parquet.close()
            os.replace(self._tmp, self.path)
        except OSError as exc:
            raise SaveError(f"{self.path}: cannot write ({exc.strerror or exc})") from None
        return self.path

    def discard(self) -> None:
        """Stop without writing: the temporary file is removed and the destination left as it was."""
        try:
            if self._fh is not None:
                self._fh.close()
            elif self._parquet is not None:
                self._parquet.close()
        except OSError:
            pass
        self._tmp.unlink(missing_ok=True)

    def _add_parquet_empty(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        types = {"str": pa.string(), "int": pa.int64(), "float": pa.float64()}
        fields = [pa.field(name, pa.string()) for name in KEY_COLUMNS]
        fields += [pa.field(c.name, types[c.kind]) for c in BEAT_COLUMNS]
        self._parquet = pq.ParquetWriter(str(self._tmp), pa.schema(fields))
