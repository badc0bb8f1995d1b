"""Compare T-wave post-processing variants on cached QTDB probabilities.

Run ``bench/t_wave_cache.py`` first. Prints, for the model's training +
validation records (where settings are chosen) and for its test records
(reported only), the pooled error SD of T peak / T off (and QT) for the
global track and for the per-lead best lead, for each variant.

Usage::

    python bench/t_wave_experiment.py --cache runs/tcache --data ../shared/data/qtdb
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np

from ecgstudio.core.decode import DecodeConfig, decode
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.metrics import Fiducial, pool, score_tracks
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


def best_lead(ref: Delineation, leads: list[Delineation]):
    scores = [score_tracks(ref, t) for t in leads]
    return scores


def summarise(items: list[dict], config: TEndConfig | None, cached: dict) -> dict[str, dict[str, float]]:
    glob_scores, best_scores = [], {f: [] for f in Fiducial}
    for item in items:
        key = (item["name"], config)
        if key not in cached:
            glob, leads = tracks_for(item, config)
            cached[key] = (score_tracks(item["ref"], glob), [score_tracks(item["ref"], t) for t in leads])
        g, ls = cached[key]
        glob_scores.append(g)
        for f in Fiducial:
            best = min(ls, key=lambda s: (-s[f].n_matched, np.mean(np.abs(s[f].errors_ms)) if s[f].errors_ms else 1e9))
            best_scores[f].append(best[f])
    pooled = pool(glob_scores)
    out = {}
    for f in Fiducial:
        errs = np.concatenate([np.array(s.errors_ms) for s in best_scores[f]]) if best_scores[f] else np.zeros(0)
        nref = sum(s.n_reference for s in best_scores[f])
        out[f.value] = dict(g_sd=pooled[f].sd_error_ms, g_mean=pooled[f].mean_error_ms, g_se=pooled[f].sensitivity,
                            b_sd=float(np.std(errs, ddof=1)) if errs.size > 1 else float("nan"),
                            b_se=errs.size / max(nref, 1))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--model-json", default="models/default.json")
    parser.add_argument("--grid", default="small")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    meta = json.loads(Path(args.model_json).read_text())
    test = meta["split"]["test"]
    cache = Path(args.cache)
    names = sorted(p.stem for p in cache.glob("*.npz"))
    dev = [n for n in meta["split"]["validation"] if n in names]
    dev_items = load(cache, Path(args.data), dev, "q1c")
    test_items = load(cache, Path(args.data), test, "q1c")
    configs: list[TEndConfig | None] = [None]
    if args.grid == "peak":
        configs += [(s, f) for s in (0.0, 0.02, 0.04, 0.06) for f in (0.0, 0.2, 0.35, 0.5)]
    if args.grid == "small":
        configs.append((0.06, 0.2))
        for smooth_s, reach_s, combine, blend in itertools.product((0.016, 0.032), (0.04, 0.08, 0.12),
                                                                   ("largest", "median", "latest"), (0.5, 1.0)):
            configs.append((0.06, 0.2, TEndConfig(smooth_s=smooth_s, reach_s=reach_s, combine=combine,
                                                  blend=blend)))
    cached: dict = {}
    rows = []
    for config in configs:
        d = summarise(dev_items, config, cached)
        rows.append((config, d))
        c = config[2] if isinstance(config, tuple) and len(config) == 3 else config
        label = ("decoder only" if config is None else str(config) if c is config
                 else f"s{c.smooth_s} r{c.reach_s} {c.combine} b{c.blend}")
        print(f"{label:32} dev  T off g {d['T off']['g_sd']:5.1f} (mean {d['T off']['g_mean']:5.1f}) "
              f"best {d['T off']['b_sd']:5.1f} Se {100 * d['T off']['g_se']:.1f} T peak g {d['T peak']['g_sd']:5.1f} best {d['T peak']['b_sd']:5.1f}",
              flush=True)
    target = "T peak" if args.grid == "peak" else "T off"
    best = min(rows[1:], key=lambda r: r[1][target]["g_sd"] + r[1][target]["b_sd"])[0]
    for label, config in (("decoder only", None), ("peaks only", (0.06, 0.2)), ("chosen on dev", best)):
        t = summarise(test_items, config, cached)
        print(f"TEST {label} {config}: " + "; ".join(
            f"{k} g {v['g_sd']:.1f} ({100 * v['g_se']:.1f}%) best {v['b_sd']:.1f} ({100 * v['b_se']:.1f}%)"
            for k, v in t.items()), flush=True)


if __name__ == "__main__":
    main()
