"""Does a wave's confidence tell worse waves from better ones? The figures behind ``core.confidence``.

For every record of the model's test split (or ``--records``), the model's
probabilities (mean over the leads, cached in ``--probs`` as ``<record>.npy``)
are decoded as pre-annotation decodes them, and each decoded wave that lies in a
beat the reference (``q1c``) annotated gets an error: the largest distance, in
ms, between one of its fiducials and the reference fiducial matched to it
(one-to-one, within 150 ms), whether one fiducial is further off than its CSE
tolerance, or whether none of its fiducials has a counterpart (unmatched).

Two scores are compared: ``mean_prob`` (the mean probability of the wave's class
over the wave, the former confidence) and ``boundary`` (the confidence the
decoder now gives, ``core.confidence.boundary_confidence``: the sharpness of the
weaker boundary). For each, the worst ``--share`` of each record's waves (what
``U`` walks) is set against the rest: mean largest error, share beyond CSE,
share unmatched, and Spearman's rho between score and error over all matched
waves; then the same per wave kind.

Usage::

    python bench/confidence_calibration.py --data ../shared/data/qtdb --probs runs/conf_probs

(``--probs`` is filled on the first run: about a minute per record on a CPU.)
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from ecgstudio.core.decode import decode
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.disagreement import CSE_TOLERANCES_MS
from ecgstudio.core.metrics import DEFAULT_TOLERANCE_S, FIDUCIAL_SOURCE, annotated_regions, match_nearest
from ecgstudio.core.waves import WaveKind
from ecgstudio.io.annotations import read_tracks
from ecgstudio.io.records import read_record
from ecgstudio.paths import model_files

#: Model classes of each decoded wave kind (P; QR + RS; ST, the class T waves are decoded from).
CLASSES = {WaveKind.P: (0,), WaveKind.QRS: (2, 3), WaveKind.T: (4,)}
SCORES = ("mean_prob", "boundary")


@dataclass
class Table:
    """Per-wave columns over all records (appended record by record)."""

    kind: list[np.ndarray] = field(default_factory=list)
    error_ms: list[np.ndarray] = field(default_factory=list)  # NaN: unmatched or outside the annotated beats
    beyond_cse: list[np.ndarray] = field(default_factory=list)
    unmatched: list[np.ndarray] = field(default_factory=list)
    inside: list[np.ndarray] = field(default_factory=list)
    worst: dict[str, list[np.ndarray]] = field(default_factory=lambda: {s: [] for s in SCORES})
    score: dict[str, list[np.ndarray]] = field(default_factory=lambda: {s: [] for s in SCORES})

    def column(self, name: str, score: str | None = None) -> np.ndarray:
        """One column over all records (``score`` names the ``worst``/``score`` column)."""
        parts = getattr(self, name) if score is None else getattr(self, name)[score]
        return np.concatenate(parts)


def mean_probability(probs: np.ndarray, track: Delineation) -> np.ndarray:
    """Mean probability of each wave's class over ``[start, offset)``."""
    out = np.empty(len(track))
    for i, wave in enumerate(track):
        mass = probs[wave.start:max(wave.offset, wave.start + 1), list(CLASSES[wave.kind])].sum(axis=1)
        out[i] = float(np.mean(mass, dtype=np.float64))
    return out


def worst_per_kind(score: np.ndarray, kinds: np.ndarray, share: float) -> np.ndarray:
    """Mask of the worst ``share`` (rounded up) of ``score`` within each kind."""
    mask = np.zeros(score.size, dtype=bool)
    for kind in np.unique(kinds):
        idx = np.flatnonzero(kinds == kind)
        take = int(math.ceil(share * idx.size - 1e-9))
        mask[idx[np.argsort(score[idx], kind="stable")[:take]]] = True
    return mask


def wave_errors(track: Delineation, reference: Delineation) -> tuple[np.ndarray, ...]:
    """Per wave: largest fiducial error (ms), beyond a CSE tolerance, unmatched, inside the annotated beats."""
    fs, n = track.fs, len(track)
    waves = list(track)
    error = np.full(n, np.nan)
    beyond = np.zeros(n, dtype=bool)
    matched = np.zeros(n, dtype=bool)
    tolerance = int(round(DEFAULT_TOLERANCE_S * fs))
    for fid, (kind, attr) in FIDUCIAL_SOURCE.items():
        idx = [i for i, w in enumerate(waves) if w.kind is kind and getattr(w, attr) is not None]
        mine = np.array([getattr(waves[i], attr) for i in idx], dtype=np.int64)
        ref = np.sort(np.array([getattr(w, attr) for w in reference if w.kind is kind
                                and getattr(w, attr) is not None], dtype=np.int64))
        if ref.size == 0 or mine.size == 0:
            continue
        ri, ti = match_nearest(ref, mine, tolerance)
        for r, t in zip(ri, ti, strict=True):
            i = idx[t]
            ms = abs(int(mine[t]) - int(ref[r])) * 1000.0 / fs
            matched[i] = True
            error[i] = ms if np.isnan(error[i]) else max(error[i], ms)
            beyond[i] |= ms > CSE_TOLERANCES_MS[fid]
    regions = annotated_regions(reference, 0)
    starts = np.array([w.start for w in waves], dtype=np.int64)
    stops = np.array([w.offset for w in waves], dtype=np.int64)
    j = np.searchsorted(regions[:, 0], stops, side="right") - 1
    inside = (j >= 0) & (stops >= regions[np.maximum(j, 0), 0]) & (starts < regions[np.maximum(j, 0), 1])
    return error, beyond, inside & ~matched, inside


def probabilities(name: str, data: Path, cache: Path, model_stem: Path | None) -> np.ndarray:
    """The model's probabilities of a record, mean over its leads (cached as float16)."""
    path = cache / f"{name}.npy"
    if path.is_file():
        return np.load(path)
    from ecgstudio.app.preannotate import load_model, predict_in_segments, resolve_model_stem
    from ecgstudio.ml.infer import predict_proba_per_lead

    model, metadata = load_model(resolve_model_stem(model_stem))
    record = read_record(data / name)
    probs = predict_in_segments(predict_proba_per_lead, model, metadata, record.signal, record.fs)
    mean = probs.mean(axis=0, dtype=np.float32).astype(np.float16)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, mean)
    return mean


def collect(names: list[str], data: Path, cache: Path, model_stem: Path | None, ref_ext: str,
            share: float) -> Table:
    """Decode, score and compare every record."""
    table = Table()
    for k, name in enumerate(names, 1):
        t0 = time.perf_counter()
        record = read_record(data / name)
        probs = probabilities(name, data, cache, model_stem)
        track = decode(probs, record.signal, record.fs)
        reference = read_tracks(data / name, ref_ext, n_samples=record.n_samples, fs=record.fs,
                                lead_names=record.lead_names)[0]
        error, beyond, unmatched, inside = wave_errors(track, reference)
        scores = {"mean_prob": mean_probability(probs, track),
                  "boundary": np.array([w.confidence for w in track], dtype=np.float64)}
        kinds = np.array([w.kind.value for w in track])
        for s, values in scores.items():
            take = int(math.ceil(share * values.size - 1e-9))
            worst = np.zeros(values.size, dtype=bool)
            worst[np.argsort(values, kind="stable")[:take]] = True
            table.score[s].append(values)
            table.worst[s].append(worst)
        table.kind.append(kinds)
        table.error_ms.append(np.where(inside, error, np.nan))
        table.beyond_cse.append(beyond & inside)
        table.unmatched.append(unmatched)
        table.inside.append(inside)
        print(f"[{k}/{len(names)}] {name}: {len(track)} waves, {int(inside.sum())} in annotated beats "
              f"({time.perf_counter() - t0:.1f} s)", flush=True)
    return table


def report(table: Table, share: float) -> None:
    """Print the comparison (module docstring)."""
    inside = table.column("inside")
    error = table.column("error_ms")
    beyond = table.column("beyond_cse")
    unmatched = table.column("unmatched")
    kinds = table.column("kind")
    ok = inside & np.isfinite(error)
    pct = f"{share * 100:g} %"
    print(f"\n{inside.size} waves, {int(inside.sum())} in annotated beats, {int(ok.sum())} matched, "
          f"{int(unmatched.sum())} unmatched")
    print(f"worst {pct} of each record's waves vs the rest (in annotated beats):")
    print(f"{'score':10s} {'n':>5s} {'|err| ms':>15s} {'> CSE':>11s} {'unmatched':>11s} {'rho':>6s}  kinds")
    for s in SCORES:
        worst = table.column("worst", s)
        score = table.column("score", s)
        w, r = worst & inside, ~worst & inside
        rho = spearmanr(score[ok], error[ok]).statistic
        composition = {k: int((w & (kinds == k)).sum()) for k in ("P", "QRS", "T")}
        print(f"{s:10s} {int(w.sum()):5d} {np.nanmean(error[w]):6.1f} vs {np.nanmean(error[r]):5.1f} "
              f"{beyond[w & ok].mean():.2f} vs {beyond[r & ok].mean():.2f} "
              f"{unmatched[w].mean():.2f} vs {unmatched[r].mean():.2f} {rho:+6.2f}  {composition}")
    print(f"\nwithin each kind: worst {pct} of the kind vs the rest, mean |err| ms and share > CSE")
    for s in SCORES:
        score = table.column("score", s)
        worst = worst_per_kind(score, kinds, share)
        parts = []
        for k in ("P", "QRS", "T"):
            sel = ok & (kinds == k)
            a, b = sel & worst, sel & ~worst
            parts.append(f"{k} {np.mean(error[a]):5.1f}/{np.mean(error[b]):5.1f} ms "
                         f"{beyond[a].mean():.2f}/{beyond[b].mean():.2f} (n={int(a.sum())})")
        print(f"{s:10s} " + "; ".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path, help="QTDB folder")
    parser.add_argument("--probs", required=True, type=Path, help="cache of probabilities (<record>.npy)")
    parser.add_argument("--model", default=None, type=Path, help="model stem (default: the shipped model)")
    parser.add_argument("--records", nargs="*", default=None, help="record names (default: the model's test split)")
    parser.add_argument("--ref-ext", default="q1c")
    parser.add_argument("--share", type=float, default=0.05)
    args = parser.parse_args()
    names = args.records
    if not names:
        from ecgstudio.app.preannotate import resolve_model_stem

        meta = json.loads(model_files(resolve_model_stem(args.model)).json.read_text())
        names = list(meta["split"]["test"])
    report(collect(names, args.data, args.probs, args.model, args.ref_ext, args.share), args.share)


if __name__ == "__main__":
    main()
