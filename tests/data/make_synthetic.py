"""Write the tiny synthetic 12-lead record ``synth12`` used by the tests.

``synth12``: 12 leads (I, II, III, aVR, aVL, aVF, V1-V6), 500 Hz, 6 s, WFDB
format 16, gain 1000 adu/mV. Each beat is a sum of Gaussian bumps (P, Q, R, S,
T) with lead-specific amplitudes. One LUDB-style annotation file per lead
(``synth12.i``, ``synth12.ii``, ... ``synth12.v6``) marks the waves with the
PhysioNet boundary convention, with lead-specific shifts of a few samples; the
``v6`` file omits the T onsets, as manual annotations often do.

The output is deterministic. Run from anywhere::

    python tests/data/make_synthetic.py [OUT_DIR]   # default: this folder
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import wfdb

FS = 500
DURATION_S = 6.0
LEADS = ["i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6"]
RR_S = 0.85
FIRST_BEAT_S = 0.35

#: (centre relative to R in s, width sigma in s) of each bump
BUMPS = {"P": (-0.17, 0.020), "Q": (-0.025, 0.008), "R": (0.0, 0.010), "S": (0.025, 0.009),
         "T": (0.28, 0.045)}


def lead_amplitudes(rng: np.random.Generator, n_leads: int) -> dict[str, np.ndarray]:
    """mV amplitude of each bump per lead (aVR inverted, as in real ECGs)."""
    amps = {
        "P": rng.uniform(0.08, 0.2, n_leads),
        "Q": -rng.uniform(0.05, 0.2, n_leads),
        "R": rng.uniform(0.6, 1.6, n_leads),
        "S": -rng.uniform(0.1, 0.5, n_leads),
        "T": rng.uniform(0.15, 0.4, n_leads),
    }
    for key in amps:
        amps[key][LEADS.index("avr")] *= -1
    return amps


def make(out_dir: Path) -> None:
    """Write ``synth12`` (header, signal, 12 lead annotation files) into ``out_dir``."""
    rng = np.random.default_rng(12)
    n = int(DURATION_S * FS)
    t = np.arange(n) / FS
    amps = lead_amplitudes(rng, len(LEADS))
    signal = rng.normal(0, 0.01, (n, len(LEADS)))
    r_peaks = np.arange(FIRST_BEAT_S, DURATION_S - 0.6, RR_S)
    for r in r_peaks:
        for key, (centre, sigma) in BUMPS.items():
            bump = np.exp(-0.5 * ((t - r - centre) / sigma) ** 2)
            signal += bump[:, None] * amps[key][None, :]
    wfdb.wrsamp("synth12", fs=FS, units=["mV"] * len(LEADS), sig_name=LEADS, p_signal=signal,
                fmt=["16"] * len(LEADS), adc_gain=[1000.0] * len(LEADS), baseline=[0] * len(LEADS),
                write_dir=str(out_dir), comments=["synthetic 12-lead test record, see make_synthetic.py"])
    for lead in LEADS:
        shift = int(rng.integers(-3, 4))
        samples, symbols, nums = [], [], []
        for r in r_peaks:
            r_s = int(round(r * FS)) + shift
            beat = [
                (r_s - 120, "(", 0), (r_s - 85, "p", 0), (r_s - 50, ")", 0),
                (r_s - 30, "(", 1), (r_s, "N", 0), (r_s + 35, ")", 1),
                (r_s + 70, "(", 2), (r_s + 140, "t", 0), (r_s + 220, ")", 2),
            ]
            if lead == "v6":
                beat = [b for b in beat if not (b[1] == "(" and b[2] == 2)]
            for sample, symbol, num in beat:
                samples.append(sample)
                symbols.append(symbol)
                nums.append(num)
        # wfdb.wrann accepts letter-only extensions: write "tmpann", then rename
        wfdb.wrann("synth12", "tmpann", np.array(samples), symbols, num=np.array(nums),
                   chan=np.zeros(len(samples), dtype=int), fs=FS, write_dir=str(out_dir))
        (out_dir / "synth12.tmpann").replace(out_dir / f"synth12.{lead}")


if __name__ == "__main__":
    make(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
