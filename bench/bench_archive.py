"""Throughput of ``ecgstudio annotate`` on an archive of short records (issue 12).

Runs the whole command as a subprocess (start-up and model load included) on
the first ``--n`` records of a folder (default: LUDB, 12-lead 500 Hz 10 s),
once per ``--jobs`` setting, and prints per run: whole-process seconds,
records/s overall, and records/s after the model is loaded (from the time the
first record's line appears to the last one's). ``--repo`` runs another
checkout (e.g. a ``git worktree`` of an older commit, for the figures before a
change). ``--compare`` checks that every run wrote byte-identical annotation
files. ``--neurokit`` also times NeuroKit2 on lead II of the same records.

``--long N`` adds the issue's second comparison: N fifteen-minute 2-lead
records (default: QTDB, copied signal-only to a temporary folder), ``annotate``
whole process (default ``--jobs``) against NeuroKit2 (``ecg_clean``,
``ecg_peaks``, DWT ``ecg_delineate``) on lead 0 only and on both leads, both
in one NeuroKit2 process that times each lead; the lead-0-only whole process
is that process's wall time less its lead-1 time.

Usage::

    .venv/bin/python bench/bench_archive.py [--data ../shared/data/ludb] [--n 100] [--jobs 1 0]
    .venv/bin/python bench/bench_archive.py --n 0 --long 8 [--long-data ../shared/data/qtdb]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_once(repo: Path, records: list[Path], out: Path, jobs: int | None, python: str) -> dict[str, float]:
    """Annotate ``records`` into ``out``; whole-process and after-load timings."""
    cmd = [python, "-m", "ecgstudio", "annotate", *map(str, records), "--out-dir", str(out)]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=repo, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    stamps = []
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("[") and "/" in line.split("]")[0]:
            stamps.append(time.perf_counter())
    code = proc.wait()
    whole = time.perf_counter() - start
    n = len(stamps)
    after = (n - 1) / (stamps[-1] - stamps[0]) if n > 1 and stamps[-1] > stamps[0] else float("nan")
    return {"code": code, "records": n, "whole_s": whole, "per_s": n / whole, "after_load_per_s": after,
            "first_record_s": (stamps[0] - start) if stamps else float("nan")}


_NEUROKIT = """
import sys, wfdb, neurokit2 as nk
for path in sys.argv[1:]:
    rec = wfdb.rdrecord(path)
    names = [n.lower() for n in rec.sig_name]
    lead = rec.p_signal[:, names.index("ii") if "ii" in names else 0]
    try:
        clean = nk.ecg_clean(lead, sampling_rate=rec.fs)
        _, peaks = nk.ecg_peaks(clean, sampling_rate=rec.fs)
        nk.ecg_delineate(clean, peaks, sampling_rate=rec.fs, method="dwt")
    except Exception as exc:  # NeuroKit2 fails on some records; they still count
        print(path, exc, file=sys.stderr)
"""


def run_neurokit(records: list[Path], python: str) -> float:
    """Whole-process seconds for NeuroKit2 to delineate lead II of ``records`` (peaks + DWT delineation)."""
    start = time.perf_counter()
    subprocess.run([python, "-c", _NEUROKIT, *map(str, records)], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


_NEUROKIT_LEADS = """
import json, sys, time
t0 = time.perf_counter()
import wfdb, neurokit2 as nk
out = {"import_s": time.perf_counter() - t0, "read_s": 0.0, "lead_s": [0.0, 0.0], "failed": [0, 0]}
for path in sys.argv[1:]:
    t = time.perf_counter()
    rec = wfdb.rdrecord(path)
    out["read_s"] += time.perf_counter() - t
    for k in range(min(2, rec.n_sig)):
        t = time.perf_counter()
        try:
            clean = nk.ecg_clean(rec.p_signal[:, k], sampling_rate=rec.fs)
            _, peaks = nk.ecg_peaks(clean, sampling_rate=rec.fs)
            nk.ecg_delineate(clean, peaks, sampling_rate=rec.fs, method="dwt")
        except Exception:  # NeuroKit2 fails on some records; they still count
            out["failed"][k] += 1
        out["lead_s"][k] += time.perf_counter() - t
print(json.dumps(out))
"""


def run_neurokit_leads(records: list[Path], python: str) -> dict[str, float]:
    """NeuroKit2 on leads 0 and 1 of ``records`` in one process: wall seconds and the time per lead."""
    start = time.perf_counter()
    done = subprocess.run([python, "-c", _NEUROKIT_LEADS, *map(str, records)], check=True, capture_output=True,
                          text=True)
    wall = time.perf_counter() - start
    inner = json.loads(done.stdout.strip().splitlines()[-1])
    return {"both_s": wall, "lead0_s": wall - inner["lead_s"][1], "import_s": inner["import_s"],
            "read_s": inner["read_s"], "lead0_only_s": inner["lead_s"][0], "lead1_only_s": inner["lead_s"][1],
            "failed0": inner["failed"][0], "failed1": inner["failed"][1]}


def long_comparison(data: Path, n: int, repo: Path, python: str, tmp: Path) -> None:
    """Print ``annotate`` vs NeuroKit2 on ``n`` long 2-lead records of ``data`` (copied, signal files only)."""
    src = tmp / "long_in"
    src.mkdir()
    heads = sorted(data.glob("*.hea"), key=lambda p: (len(p.name), p.name))[:n]
    for head in heads:
        shutil.copy(head, src / head.name)
        for dat in {line.split()[0] for line in head.read_text().splitlines()[1:] if line and line[0] != "#"}:
            shutil.copy(data / dat, src / dat)
    records = [src / h.stem for h in heads]
    minutes = [int(h.read_text().split()[3]) / float(h.read_text().split()[2].split("/")[0]) / 60 for h in heads]
    print(f"{len(records)} long records from {data} ({min(minutes):.1f}-{max(minutes):.1f} min, "
          f"{sum(minutes):.0f} min in all)", flush=True)
    r = run_once(repo, records, tmp / "long_out", None, python)
    print(f"annotate (default --jobs): exit {r['code']}, {r['records']} records, whole process {r['whole_s']:.1f} s, "
          f"first record after {r['first_record_s']:.1f} s", flush=True)
    try:
        nk = run_neurokit_leads(records, python)
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"NeuroKit2 not run (exit {getattr(exc, 'returncode', exc)}; is neurokit2 installed?)")
        return
    print(f"NeuroKit2 one process: import {nk['import_s']:.1f} s, reading {nk['read_s']:.1f} s, "
          f"lead 0 {nk['lead0_only_s']:.1f} s ({nk['failed0']:.0f} failed), "
          f"lead 1 {nk['lead1_only_s']:.1f} s ({nk['failed1']:.0f} failed)")
    for label, key in (("lead 0 only", "lead0_s"), ("both leads", "both_s")):
        print(f"NeuroKit2 {label}: whole process {nk[key]:.1f} s -> annotate is {nk[key] / r['whole_s']:.1f}x "
              f"faster", flush=True)


def main() -> int:
    """Run the benchmark and print one line per configuration."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "ludb"))
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--jobs", nargs="+", default=["1", "0"],
                        help="--jobs values to run ('none' omits the option, for old checkouts)")
    parser.add_argument("--repo", default=str(ROOT), help="checkout to run (default: this one)")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--compare", action="store_true", help="check the runs wrote identical files")
    parser.add_argument("--neurokit", action="store_true", help="also time NeuroKit2 on lead II (if installed)")
    parser.add_argument("--long", type=int, default=0, metavar="N",
                        help="also compare with NeuroKit2 on N long 2-lead records of --long-data")
    parser.add_argument("--long-data", default=str(ROOT.parent / "shared" / "data" / "qtdb"))
    args = parser.parse_args()
    records = sorted((p.with_suffix("") for p in Path(args.data).glob("*.hea")),
                     key=lambda p: (len(p.name), p.name))[: args.n]
    print(f"{len(records)} records from {args.data}; repo {args.repo}")
    if args.long:
        with tempfile.TemporaryDirectory() as tmp:
            long_comparison(Path(args.long_data), args.long, Path(args.repo), args.python, Path(tmp))
    if not records:
        return 0
    if args.neurokit:
        try:
            print(f"NeuroKit2, lead II only: whole process {run_neurokit(records, args.python):.1f} s", flush=True)
        except (subprocess.CalledProcessError, OSError) as exc:
            print(f"NeuroKit2 not run (exit {getattr(exc, 'returncode', exc)}; is neurokit2 installed?)")
    outs = []
    with tempfile.TemporaryDirectory() as tmp:
        for jobs in args.jobs:
            out = Path(tmp) / f"jobs{jobs}"
            r = run_once(Path(args.repo), records, out, None if jobs == "none" else int(jobs), args.python)
            outs.append(out)
            print(f"--jobs {jobs:>4}: exit {r['code']}, {r['records']} records, whole process {r['whole_s']:.1f} s "
                  f"({r['per_s']:.1f} records/s), first record after {r['first_record_s']:.1f} s, "
                  f"after load {r['after_load_per_s']:.1f} records/s", flush=True)
        if args.compare and len(outs) > 1:
            names = sorted(p.name for p in outs[0].glob("*") if not p.name.endswith(".json"))
            same = all((outs[0] / n).read_bytes() == (o / n).read_bytes() for o in outs[1:] for n in names)
            print(f"annotation files identical across runs: {same} ({len(names)} files)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
