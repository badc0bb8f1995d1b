"""Choose the decoder's T-wave settings on development records (cached probabilities).

Run ``bench/t_wave_cache.py`` first (QTDB, and LUDB with ``--ref-ext ii``).
``--grid peak`` scores T-peak settings on the default model's 10 QTDB
validation records and prints the chosen one's figures on the test records;
``--grid end`` scores T-end settings (trapezium area, :mod:`ecgstudio.core.t_wave`)
on the validation records and LUDB records 1-50; the setting with the lowest
sum of pooled and mean per-record T-end SDs (global track and best lead) is
the default. ``bench/t_wave_ab.py`` then measures on held-out records.

Usage::

    python bench/t_wave_cache.py --data ../shared/data/qtdb --out runs/tcache
    python bench/t_wave_cache.py --data ../shared/data/ludb --out runs/tcache_ludb --ref-ext ii
    python bench/t_wave_experiment.py --cache runs/tcache --data ../shared/data/qtdb --grid peak
    python bench/t_wave_experiment.py --cache runs/tcache --data ../shared/data/qtdb --grid end \\
        --ludb-cache runs/tcache_ludb --ludb-data ../shared/data/ludb
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ecgstudio.core.decode import DecodeConfig, decode
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.metrics import Fiducial, pool, score_tracks
from ecgstudio.core.protocols import best_lead
from ecgstudio.core.t_wave import TEndConfig
from ecgstudio.core.waves import Wave
from ecgstudio.io.annotations import read_tracks
from ecgstudio.io.records import read_header


def shifted(track: Delineation, start: int, n: int) -> Delineation:
    waves = []
    for w in track:
        if w.start - start < 1 or w.offset - start > n - 2:
            continue
        waves.append(Wave(w.kind, None if w.onset is None else w.onset - start,
                          None if w.peak is None else w.peak - start, w.offset - start, w.lead, w.symbol))
    out, _ = Delineation.from_waves_lenient(waves, n_samples=n, fs=track.fs, lead=track.lead, name=track.name)
    return out


def load(cache: Path, data: Path, names: list[str], ref_ext: str) -> list[dict]:
    items = []
    for name in names:
        z = np.load(cache / f"{name}.npz")
        start, fs = int(z["start"]), float(z["fs"])
        probs = z["probs"].astype(np.float32)
        sig = z["signal"]
        n = sig.shape[0]
        hdr = read_header(data / name)
        total = hdr.n_samples if hasattr(hdr, "n_samples") else None
        ref = read_tracks(data / name, ref_ext, n_samples=total, fs=fs)[0]
        peers = {}
        for ext in ("pu0", "pu1"):
            if (data / f"{name}.{ext}").is_file():
                peers[ext] = shifted(read_tracks(data / name, ext, n_samples=total, fs=fs)[0], start, n)
        items.append(dict(name=name, probs=probs, signal=sig, fs=fs, ref=shifted(ref, start, n), peers=peers))
    return items


def config_of(variant) -> DecodeConfig:
    """``None``: the decoder alone; ``(smooth, fraction)``: T peaks refined; ``(smooth, fraction, TEndConfig)``."""
    if variant is None:
        return DecodeConfig(t_peak_smooth_s=0.0, t_peak_start_fraction=0.0, t_end=None)
    return DecodeConfig(t_peak_smooth_s=variant[0], t_peak_start_fraction=variant[1],
                        t_end=variant[2] if len(variant) == 3 else None)


def tracks_for(item: dict, variant) -> tuple[Delineation, list[Delineation]]:
    probs, sig, fs = item["probs"], item["signal"], item["fs"]
    config = config_of(variant)
    glob = decode(probs.mean(axis=0), sig, fs, config=config)
    leads = [decode(np.ascontiguousarray(probs[i]), sig[:, i], fs, lead=i, config=config)
             for i in range(probs.shape[0])]
    return glob, leads


def summarise(items: list[dict], config, cached: dict) -> dict[str, dict[str, float]]:
    """Pooled global-track and best-lead (:func:`ecgstudio.core.protocols.best_lead`) figures per fiducial."""
    glob_scores, best_scores = [], []
    for item in items:
        key = (item["name"], config)
        if key not in cached:
            glob, leads = tracks_for(item, config)
            cached[key] = (score_tracks(item["ref"], glob), [score_tracks(item["ref"], t) for t in leads])
        g, ls = cached[key]
        glob_scores.append(g)
        best_scores.append(best_lead(ls)[0])
    pooled, best = pool(glob_scores), pool(best_scores)
    return {f.value: dict(g_sd=pooled[f].sd_error_ms, g_mean=pooled[f].mean_error_ms, g_se=pooled[f].sensitivity,
                          b_sd=best[f].sd_error_ms, b_se=best[f].sensitivity) for f in Fiducial}


def end_grid(qtdb_val: list[dict], ludb_dev: list[dict]) -> None:
    """T-end settings (after the chosen T-peak settings), scored on QTDB validation and LUDB 1-50."""
    from ecgstudio.core.protocols import mean_record_sd

    def stats(items: list[dict], variant) -> dict[str, tuple[float, float, float, float]]:
        glob, best = [], []
        for item in items:
            g, leads = tracks_for(item, variant)
            glob.append(score_tracks(item["ref"], g))
            best.append(best_lead([score_tracks(item["ref"], t) for t in leads])[0])
        out = {}
        for name, scores in (("g", glob), ("b", best)):
            pooled, rec = pool(scores), mean_record_sd(scores)
            item = pooled[Fiducial.T_OFF]
            out[name] = (item.sd_error_ms, rec[Fiducial.T_OFF], 100 * item.sensitivity, item.mean_error_ms)
        return out

    variants: list = [PEAK_CHOICE]
    for combine in ("largest", "median", "latest"):
        for blend in (0.5, 1.0):
            for reach in (0.04, 0.08):
                variants.append((*PEAK_CHOICE, TEndConfig(reach_s=reach, combine=combine, blend=blend)))
    for variant in variants:
        label = "no T end" if len(variant) == 2 else f"{variant[2].combine} b{variant[2].blend} r{variant[2].reach_s}"
        a, b = stats(qtdb_val, variant), stats(ludb_dev, variant)
        total = sum(x[0] + x[1] for x in a.values()) + sum(x[0] + x[1] for x in b.values())

        def fmt(d: dict) -> str:
            return " ".join(f"{k} {x[0]:.1f}/{x[1]:.1f} Se{x[2]:.1f} m{x[3]:.0f}" for k, x in d.items())

        print(f"{label:24} qtdb-val {fmt(a)} | ludb1-50 {fmt(b)} | sum {total:.1f}", flush=True)


#: The T-peak settings chosen by ``--grid peak`` (smoothing s, start fraction).
PEAK_CHOICE = (0.06, 0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", required=True, help="bench/t_wave_cache.py output for QTDB")
    parser.add_argument("--data", required=True, help="the QT Database folder")
    parser.add_argument("--model-json", default="models/default.json")
    parser.add_argument("--grid", choices=("peak", "end"), default="peak",
                        help="peak: T-peak settings on the QTDB validation records; end: T-end settings on "
                             "those and LUDB 1-50 (needs --ludb-cache/--ludb-data)")
    parser.add_argument("--ludb-cache", default=None, help="bench/t_wave_cache.py output for LUDB (--ref-ext ii)")
    parser.add_argument("--ludb-data", default=None)
    args = parser.parse_args()
    meta = json.loads(Path(args.model_json).read_text())
    cache = Path(args.cache)
    names = sorted(p.stem for p in cache.glob("*.npz"))
    dev = [n for n in meta["split"]["validation"] if n in names]
    dev_items = load(cache, Path(args.data), dev, "q1c")
    if args.grid == "end":
        if not (args.ludb_cache and args.ludb_data):
            parser.error("--grid end needs --ludb-cache and --ludb-data")
        end_grid(dev_items, load(Path(args.ludb_cache), Path(args.ludb_data), [str(i) for i in range(1, 51)], "ii"))
        return
    test_items = load(cache, Path(args.data), meta["split"]["test"], "q1c")
    configs: list = [None] + [(sm, f) for sm in (0.0, 0.02, 0.04, 0.06) for f in (0.0, 0.2, 0.35, 0.5)]
    cached: dict = {}
    rows = []
    for config in configs:
        d = summarise(dev_items, config, cached)
        rows.append((config, d))
        print(f"{str(config):32} validation  T peak global {d['T peak']['g_sd']:5.1f} best {d['T peak']['b_sd']:5.1f}",
              flush=True)
    best = min(rows[1:], key=lambda r: r[1]["T peak"]["g_sd"] + r[1]["T peak"]["b_sd"])[0]
    for label, config in (("decoder only", None), ("chosen on validation", best)):
        t = summarise(test_items, config, cached)
        print(f"TEST {label} {config}: " + "; ".join(
            f"{k} g {v['g_sd']:.1f} ({100 * v['g_se']:.1f}%) best {v['b_sd']:.1f} ({100 * v['b_se']:.1f}%)"
            for k, v in t.items()), flush=True)


if __name__ == "__main__":
    main()
