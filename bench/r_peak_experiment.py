"""Global R-peak rules on cached probabilities (QTDB validation/test, LUDB halves).

The decoder places a global track's R peak at the model's QR -> RS boundary
(``DecodeConfig.r_peak = "model"``, chosen here on the development records:
QTDB validation and LUDB 1-50). This compares it with the signal rules on the
same decoded QRS complexes: the largest energy (sum over leads of the squared
deviation from the QRS chord, the decoder's rule until 2026-12-04), the median
of the per-lead peaks, lead 0's peak and the peak of the lead of largest
peak-to-peak amplitude. Run ``bench/t_wave_cache.py`` first (QTDB, and LUDB with
``--ref-ext ii``).

Usage::

    python bench/r_peak_experiment.py --cache runs/tcache --data ../shared/data/qtdb \\
        --ludb-cache runs/tcache_ludb --ludb-data ../shared/data/ludb
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from t_wave_experiment import PEAK_CHOICE, load, tracks_for

from ecgstudio.core.peaks import find_peaks_in_segments
from ecgstudio.core.waves import WaveKind

RULES = ("model", "energy", "median", "lead0", "largest_pp")


def r_peak_sds(items: list[dict]) -> dict[str, float]:
    """Pooled SD (ms) of the matched R-peak errors per rule."""
    errors: dict[str, list[float]] = {k: [] for k in RULES}
    for item in items:
        track, _ = tracks_for(item, PEAK_CHOICE)
        sig, fs = item["signal"], item["fs"]
        ref = [w.peak for w in item["ref"] if w.kind is WaveKind.QRS and w.peak is not None]
        found: dict[str, list[int]] = {k: [] for k in RULES}
        for wave in track:
            if wave.kind is not WaveKind.QRS:
                continue
            seg = sig[wave.onset:wave.offset + 1]
            dev = np.abs(seg - np.linspace(seg[0], seg[-1], len(seg)))
            per_lead = wave.onset + dev.argmax(axis=0)
            found["model"].append(wave.peak)  # the decoder's rule: the model's QR -> RS boundary
            found["median"].append(int(np.median(per_lead)))
            found["lead0"].append(int(per_lead[0]))
            found["largest_pp"].append(int(per_lead[(seg.max(axis=0) - seg.min(axis=0)).argmax()]))
        qrs = [w for w in track if w.kind is WaveKind.QRS]
        found["energy"] = find_peaks_in_segments(  # the decoder's signal rule (DecodeConfig(r_peak="signal"))
            sig, np.array([w.onset for w in qrs], np.int64), np.array([w.offset for w in qrs], np.int64)).tolist()
        for rule, peaks in found.items():
            cand = np.sort(np.array(peaks))
            for r in ref:
                if cand.size:
                    i = int(np.abs(cand - r).argmin())
                    if abs(cand[i] - r) <= 0.15 * fs:
                        errors[rule].append((cand[i] - r) * 1000 / fs)
    return {k: round(float(np.std(v, ddof=1)), 1) for k, v in errors.items() if len(v) > 1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--ludb-cache", default=None)
    parser.add_argument("--ludb-data", default=None)
    parser.add_argument("--model-json", default="models/default.json")
    args = parser.parse_args()
    split = json.loads(Path(args.model_json).read_text())["split"]
    for label, names in (("QTDB validation", split["validation"]), ("QTDB test", split["test"])):
        print(label, r_peak_sds(load(Path(args.cache), Path(args.data), names, "q1c")), flush=True)
    if args.ludb_cache and args.ludb_data:
        for label, rng in (("LUDB 1-50", range(1, 51)), ("LUDB 51-100", range(51, 101))):
            items = load(Path(args.ludb_cache), Path(args.ludb_data), [str(i) for i in rng], "ii")
            print(label, r_peak_sds(items), flush=True)


if __name__ == "__main__":
    main()
