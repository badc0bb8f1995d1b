"""Round-trip every QTDB boundary annotation file through ECG Studio's reader and writer.

For each record and each of ``q1c``, ``pu0``, ``pu1``, ``pu`` (and ``q2c`` where present): read the file with
:func:`ecgstudio.io.annotations.read_annotation_file`, write the tracks with
:func:`ecgstudio.io.annotations.write_tracks` into a temporary folder, read both
files with ``wfdb.rdann`` and compare the ``sample``, ``symbol``, ``num`` and
``chan`` arrays. Prints a line per inexact file and a summary.

Usage::

    python bench/roundtrip_qtdb.py [QTDB_FOLDER]   # default /work/shared/data/qtdb
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import wfdb

from ecgstudio.io.annotations import read_annotation_file, write_tracks
from ecgstudio.io.records import list_records, read_header

EXTS = ("q1c", "pu0", "pu1", "pu", "q2c")


def compare(original: Path, written: Path, ext: str) -> str | None:
    """``None`` when both files hold the same annotations, else what differs."""
    a = wfdb.rdann(str(original), ext)
    b = wfdb.rdann(str(written), ext)
    if len(a.sample) != len(b.sample):
        return f"{len(a.sample)} annotations, written {len(b.sample)}"
    for name in ("sample", "symbol", "num", "chan"):
        x, y = np.asarray(getattr(a, name)), np.asarray(getattr(b, name))
        if not np.array_equal(x, y):
            first = int(np.flatnonzero(x != y)[0])
            return f"{name} differs first at index {first} (sample {a.sample[first]}): {x[first]!r} vs {y[first]!r}"
    return None


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else Path("/work/shared/data/qtdb")
    exact = {ext: 0 for ext in EXTS}
    total = {ext: 0 for ext in EXTS}
    dropped_total = {ext: 0 for ext in EXTS}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for record in list_records(folder):
            info = read_header(record)
            for ext in EXTS:
                if not record.with_name(f"{record.name}.{ext}").is_file():
                    continue
                total[ext] += 1
                result = read_annotation_file(record, ext, n_samples=info.n_samples, fs=info.fs,
                                              lead_names=info.lead_names)
                dropped_total[ext] += result.n_dropped
                out = write_tracks(record, ext, result.tracks, out_dir=tmp)
                problem = compare(record, out.with_suffix(""), ext)
                if problem is None:
                    exact[ext] += 1
                else:
                    print(f"{record.name}.{ext}: {problem}; dropped waves: {result.n_dropped}")
    for ext in EXTS:
        print(f"{ext}: {exact[ext]}/{total[ext]} exact, {dropped_total[ext]} waves dropped on reading")
    print(f"all: {sum(exact.values())}/{sum(total.values())} exact in {time.perf_counter() - start:.1f} s")
    return 0 if sum(exact.values()) == sum(total.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
