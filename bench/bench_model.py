"""Benchmark of pre-annotation: model load, a 15-minute record, a 24-hour record.

Usage::

    python bench/bench_model.py [--record PATH] [--model STEM] [--hours 24] [--no-long] [--json OUT]

Measures

1. TensorFlow import + model pair load (in this process, first thing);
2. the bundled 15-min 2-lead sample (or ``--record``): inference and decoding,
   after load, best of three runs (the first call also traces the graph and is
   reported separately), and the whole service (:func:`ecgstudio.app.preannotate.preannotate`:
   lead quality checks, inference, decoding);
3. a ``--hours``-long 2-lead record synthesised by tiling that record, in a
   fresh child process, annotated by the same service as the GUI and
   ``ecgstudio annotate`` (:func:`ecgstudio.app.preannotate.preannotate`,
   which infers records over an hour long in overlapping one-hour segments):
   synthesis, inference, decoding, and the child's peak resident memory
   (``resource.getrusage`` max RSS, which includes the TensorFlow runtime) -
   what a user annotating a Holter recording sees.

Targets: 15-min 2-lead <= 0.5 s after load; 24 h <= 45 s with <= 2 GB peak.
Without a trained ``models/default`` an untrained model of the same
architecture stands in (same cost; the wave counts are then meaningless).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_SHORT_S = 0.5
TARGET_LONG_S = 45.0
TARGET_LONG_MB = 2048.0


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _model_stem(requested: str | None, scratch: Path) -> tuple[Path, bool]:
    """The model to benchmark and whether it is an untrained stand-in."""
    from ecgstudio.app.preannotate import resolve_model_stem
    from ecgstudio.paths import model_files

    stem = resolve_model_stem(requested)
    if model_files(stem).keras.is_file():
        return stem, False
    if requested:
        sys.exit(f"bench_model: model not found: {stem}")
    from ecgstudio.ml.model import base_metadata, build_model, save_model_pair

    standin = scratch / "untrained"
    save_model_pair(build_model(seed=0), standin, base_metadata())
    return standin, True


def _timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def bench_short(stem: Path, record_path: Path, import_s: float) -> dict[str, Any]:
    """Load time and the 15-minute record (this process)."""
    from ecgstudio.app.preannotate import load_model, preannotate
    from ecgstudio.core.decode import decode
    from ecgstudio.io.records import read_record
    from ecgstudio.ml.infer import predict_proba

    (model, meta), load_s = _timed(load_model, stem)
    record, read_s = _timed(read_record, record_path)
    probs, first_s = _timed(predict_proba, model, meta, record.signal, record.fs)
    infer_runs, decode_runs, service_runs, n_waves = [], [], [], 0
    for _ in range(3):
        probs, t_inf = _timed(predict_proba, model, meta, record.signal, record.fs)
        track, t_dec = _timed(decode, probs, record.signal, record.fs)
        infer_runs.append(t_inf)
        decode_runs.append(t_dec)
        n_waves = len(track)
        _, t_service = _timed(preannotate, record, stem)  # + lead quality checks and fusion (issue 15)
        service_runs.append(t_service)
    return {
        "record": str(record_path), "duration_s": record.duration_s, "leads": record.n_leads, "fs": record.fs,
        "tf_import_s": import_s, "model_load_s": load_s, "read_s": read_s, "first_inference_s": first_s,
        "inference_s": min(infer_runs), "decode_s": min(decode_runs),
        "total_after_load_s": min(infer_runs) + min(decode_runs), "service_s": min(service_runs),
        "n_waves": n_waves,
        "max_rss_mb": _max_rss_mb(),
    }


def bench_long(stem: Path, record_path: Path, hours: float) -> dict[str, Any]:
    """The tiled long record through the pre-annotation service (child process: clean peak memory)."""
    import numpy as np

    from ecgstudio.app.preannotate import load_model, preannotate
    from ecgstudio.core.record import Record
    from ecgstudio.io.records import read_record

    load_model(stem)
    base = read_record(record_path)
    rss_loaded = _max_rss_mb()
    start = time.perf_counter()
    n = int(round(hours * 3600 * base.fs))
    reps = -(-n // base.n_samples)
    signal = np.tile(base.signal, (reps, 1))[:n]
    record = Record(f"{base.name}x{reps}", signal, base.fs, base.lead_names)
    del signal
    synth_s = time.perf_counter() - start
    marks: dict[str, float] = {}

    def progress(fraction: float) -> None:  # inference owns the first 90 % of the bar
        if fraction >= 0.9 and "inferred" not in marks:
            marks["inferred"] = time.perf_counter()
            marks["rss_inferred"] = _max_rss_mb()

    start = time.perf_counter()
    (track,) = preannotate(record, stem, progress=progress)
    end = time.perf_counter()
    return {
        "hours": hours, "n_samples": n, "leads": record.n_leads, "synth_s": synth_s,
        "inference_s": marks["inferred"] - start, "decode_s": end - marks["inferred"], "total_s": end - start,
        "n_waves": len(track), "rss_after_load_mb": rss_loaded,
        "max_rss_after_inference_mb": marks["rss_inferred"], "max_rss_mb": _max_rss_mb(),
    }


def _row(name: str, value: str, target: str = "", verdict: str = "") -> str:
    return f"{name:<44}{value:>14}  {target:<14}{verdict}"


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    from ecgstudio.paths import sample_record_path

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record", default=str(sample_record_path()), help="record to annotate and tile")
    parser.add_argument("--model", default=None, help="model stem (default: models/default)")
    parser.add_argument("--hours", type=float, default=24.0, help="length of the tiled record")
    parser.add_argument("--no-long", action="store_true", help="skip the long record")
    parser.add_argument("--json", default=None, help="write the figures as JSON")
    parser.add_argument("--child-long", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    record_path = Path(args.record)

    if args.child_long:
        print(json.dumps(bench_long(Path(args.model), record_path, args.hours)))
        return 0

    start = time.perf_counter()
    import keras  # noqa: F401  - the TensorFlow import is part of what a user waits for

    import_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as scratch:
        stem, standin = _model_stem(args.model, Path(scratch))
        short = bench_short(stem, record_path, import_s)
        long: dict[str, Any] | None = None
        if not args.no_long:
            cmd = [sys.executable, os.path.abspath(__file__), "--child-long", "--model", str(stem),
                   "--record", str(record_path), "--hours", str(args.hours)]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                tail = (done.stderr.strip().splitlines() or ["?"])[-1]
                print(f"bench_model: long-record run failed: {tail}", file=sys.stderr)
            else:
                long = json.loads(done.stdout.strip().splitlines()[-1])

    print(f"model: {stem.name}{' (untrained stand-in: no models/default yet)' if standin else ''}; "
          f"cpu cores: {os.cpu_count()}")
    print(_row("step", "measured", "target"))
    print(_row("TensorFlow import", f"{short['tf_import_s']:.2f} s"))
    print(_row("model pair load", f"{short['model_load_s']:.2f} s"))
    mins = short["duration_s"] / 60
    print(_row(f"{mins:.0f}-min {short['leads']}-lead: first inference (tracing)",
               f"{short['first_inference_s']:.2f} s"))
    print(_row(f"{mins:.0f}-min {short['leads']}-lead: inference", f"{short['inference_s']:.3f} s"))
    print(_row(f"{mins:.0f}-min {short['leads']}-lead: decode", f"{short['decode_s']:.3f} s"))
    ok = short["total_after_load_s"] <= TARGET_SHORT_S
    print(_row(f"{mins:.0f}-min {short['leads']}-lead: total after load", f"{short['total_after_load_s']:.3f} s",
               f"<= {TARGET_SHORT_S} s", _verdict(ok)))
    if "service_s" in short:
        print(_row(f"{mins:.0f}-min {short['leads']}-lead: preannotate()", f"{short['service_s']:.3f} s"))
    if long is not None:
        h = long["hours"]
        print(_row(f"{h:g} h {long['leads']}-lead: synthesis (tiling)", f"{long['synth_s']:.2f} s"))
        print(_row(f"{h:g} h: inference", f"{long['inference_s']:.1f} s"))
        print(_row(f"{h:g} h: decode", f"{long['decode_s']:.1f} s"))
        print(_row(f"{h:g} h: total", f"{long['total_s']:.1f} s", f"<= {TARGET_LONG_S:g} s",
                   _verdict(long["total_s"] <= TARGET_LONG_S)))
        print(_row(f"{h:g} h: peak RSS after model load", f"{long['rss_after_load_mb']:.0f} MB"))
        print(_row(f"{h:g} h: peak RSS after inference", f"{long['max_rss_after_inference_mb']:.0f} MB"))
        print(_row(f"{h:g} h: peak RSS (incl. TF runtime)", f"{long['max_rss_mb']:.0f} MB",
                   f"<= {TARGET_LONG_MB:g} MB", _verdict(long["max_rss_mb"] <= TARGET_LONG_MB)))
        print(_row(f"{h:g} h: waves found", f"{long['n_waves']}"))
    if args.json:
        Path(args.json).write_text(json.dumps({"model": str(stem), "untrained": standin, "short": short,
                                               "long": long}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
