"""Write ``sel100x``: a 30 s excerpt of QTDB record ``sel100`` for the tests.

Samples 150000-157499 of ``sel100`` (where the manual ``q1c`` beats start), both
leads, written with the original digital values, gain and format (212), so the
excerpt reads back to exactly the same millivolts as the original. The
annotations of ``q1c`` and ``pu`` inside that range are written as
``sel100x.q1c`` and ``sel100x.pu``, shifted by -150000 samples.

Usage::

    python tests/data/make_excerpt.py QTDB_FOLDER [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import wfdb

START = 150_000
STOP = 157_500
NAME = "sel100x"


def make(qtdb: Path, out_dir: Path) -> None:
    """Write the excerpt record and its annotation excerpts."""
    source = str(qtdb / "sel100")
    rec = wfdb.rdrecord(source, sampfrom=START, sampto=STOP, physical=False)
    wfdb.wrsamp(NAME, fs=rec.fs, units=rec.units, sig_name=rec.sig_name, d_signal=rec.d_signal,
                fmt=rec.fmt, adc_gain=rec.adc_gain, baseline=rec.baseline,
                write_dir=str(out_dir),
                comments=[f"excerpt of QTDB sel100, samples {START}-{STOP - 1}, see make_excerpt.py"])
    for ext in ("q1c", "pu"):
        ann = wfdb.rdann(source, ext)
        keep = (ann.sample >= START) & (ann.sample < STOP)
        idx = np.flatnonzero(keep)
        # wfdb.wrann accepts letter-only extensions: write "tmpann", then rename
        wfdb.wrann(NAME, "tmpann", ann.sample[idx] - START, [ann.symbol[i] for i in idx],
                   chan=ann.chan[idx], num=ann.num[idx], fs=ann.fs, write_dir=str(out_dir))
        (out_dir / f"{NAME}.tmpann").replace(out_dir / f"{NAME}.{ext}")


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    make(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else here)
