"""Cache the bundled model's per-lead probabilities around the q1c beats of QTDB records.

Used by ``bench/t_wave_experiment.py`` to compare T-wave post-processing
variants without re-running the network. For every QTDB record with a ``q1c``
file, the whole record is run through the model (the same path as
``ecgstudio evaluate``), and the probabilities of each lead, the signal (mV)
and the q1c extent +- 10 s are written to ``OUT/<record>.npz``.

Usage::

    python bench/t_wave_cache.py --data ../shared/data/qtdb --out runs/tcache
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from ecgstudio.app.evaluate import _first_track
from ecgstudio.app.preannotate import load_model, predict_in_segments, resolve_model_stem
from ecgstudio.io.records import read_record
from ecgstudio.ml.infer import predict_proba_per_lead

MARGIN_S = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--model", default=None)
    parser.add_argument("--ref-ext", default="q1c")
    args = parser.parse_args()
    folder = Path(args.data)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model, metadata = load_model(resolve_model_stem(args.model))
    names = sorted(p.name[: -len(args.ref_ext) - 1] for p in folder.glob(f"*.{args.ref_ext}"))
    for i, name in enumerate(names, 1):
        t0 = time.perf_counter()
        record = read_record(folder / name)
        ref = _first_track(folder / name, args.ref_ext, record)
        if ref is None or len(ref) == 0:
            continue
        lo = max(0, min(w.start for w in ref) - int(MARGIN_S * record.fs))
        hi = min(record.n_samples, max(w.offset for w in ref) + int(MARGIN_S * record.fs))
        probs = predict_in_segments(predict_proba_per_lead, model, metadata, record.signal, record.fs)
        np.savez_compressed(out / f"{name}.npz", probs=probs[:, lo:hi].astype(np.float16),
                            signal=record.signal[lo:hi].astype(np.float32), start=lo, fs=record.fs)
        print(f"[{i}/{len(names)}] {name} {time.perf_counter() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
