"""Fine-tuning on a new database (LUDB): does it help, and does it forget? (issue 9)

Cross-validated experiment on LUDB records 1-100 (12 leads, 500 Hz, per-lead cardiologist annotations; the
bundled model never trained on LUDB):

1. The records are split at record level into ``--folds`` folds (seeded permutation, ``--seed``; the fold
   lists are printed and written to the JSON).
2. For each fold, ``ecgstudio.app.finetune.finetune`` fine-tunes the base on the *other* folds' records with
   ``--ann-ext ii`` (their lead-II annotations as the corrections, the whole annotated extent counting as
   reviewed; configurations ``leads*``: every lead's own file, ``--ann-ext leads``) and the given method settings. Only the training folds are seen (incl. the command's own
   early-stopping / acceptance hold-out, taken from them).
3. Base and fine-tuned models are scored with the ``ecgstudio evaluate`` protocol (global track, all leads
   fused; reference ``ii``; tolerance 150 ms) on the fold's held-out records, and on the QTDB test records
   (reference ``q1c``) for forgetting.
4. Held-out LUDB scores are pooled over folds (every record scored once, by a model that never saw it);
   QTDB figures are given per fold and as the worst fold.

Usage::

    python bench/finetune_ludb.py --ludb ../shared/data/ludb --qtdb ../shared/data/qtdb [--folds 2] [--seed 0]
        [--only-folds 0] [--config NAME] [--json out.json] [--cache /tmp/ft/cache] [--per-lead] [--reuse]

``--per-lead`` adds each held-out lead predicted alone and scored against its own LUDB file (what ``--ann-ext
leads`` trains); ``--reuse`` scores an existing fold model instead of training it again.

``--config`` names a row of :data:`CONFIGS` (see models/README.md, "Fine-tuning on a new database").
Scores of a model on a record are cached (keyed by the model file's SHA-256) under ``--cache``.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import pickle
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

FIDUCIALS = ("P on", "P off", "QRS on", "QRS off", "T off")
ALL_FIDUCIALS = ("P on", "P peak", "P off", "QRS on", "R peak", "QRS off", "T peak", "T off")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def _code_key() -> str:
    """Digest of the inference and decoding code: cached scores of an older decoder are never reused."""
    root = Path(__file__).resolve().parents[1] / "ecgstudio"
    digest = hashlib.sha256()
    for folder in ("core", "ml"):
        for file in sorted((root / folder).glob("*.py")):
            digest.update(file.read_bytes())
    return digest.hexdigest()[:8]


def score_model(stem: str | Path, data: str | Path, records: list[str], ref_ext: str,
                cache: Path | None) -> dict[str, Any]:
    """``{record: Score}`` of a model's global track against ``ref_ext`` (evaluate's protocol), cached."""
    from ecgstudio.app.evaluate import MODEL_COLUMN, model_tracks, score_records
    from ecgstudio.app.preannotate import load_model
    from ecgstudio.paths import model_files, model_stem

    stem = model_stem(stem)
    key = f"{_sha(model_files(stem).keras)}-{_code_key()}-{Path(data).name}-{ref_ext}"
    store: dict[str, Any] = {}
    file = cache / f"{key}.pkl" if cache is not None else None
    if file is not None and file.is_file():
        store = pickle.loads(file.read_bytes())
    todo = [r for r in records if r not in store]
    if todo:
        model, meta = load_model(stem)
        _, per_record, _ = score_records(data, todo, lambda rec: model_tracks(model, meta, rec),
                                         ref_ext=ref_ext, peers=(), log=None)
        for r, row in per_record.items():
            store[r] = row[MODEL_COLUMN]
        if file is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_bytes(pickle.dumps(store))
    return {r: store[r] for r in records if r in store}


def score_per_lead(stem: str | Path, data: str | Path, records: list[str], cache: Path | None) -> dict[str, Any]:
    """``{record: [Score per lead]}``: each lead predicted alone, scored against its own LUDB file, cached."""
    from ecgstudio.app.finetune_data import ALL_LEADS_EXT, collect_record
    from ecgstudio.app.preannotate import load_model
    from ecgstudio.core.decode import decode
    from ecgstudio.core.metrics import score_tracks
    from ecgstudio.io.records import read_record
    from ecgstudio.ml.infer import predict_proba
    from ecgstudio.paths import model_files, model_stem

    stem = model_stem(stem)
    file = cache / f"{_sha(model_files(stem).keras)}-{_code_key()}-{Path(data).name}-perlead.pkl" if cache else None
    store: dict[str, Any] = pickle.loads(file.read_bytes()) if file is not None and file.is_file() else {}
    todo = [r for r in records if r not in store]
    if todo:
        model, meta = load_model(stem)
        for r in todo:
            material = collect_record(Path(data) / r, ALL_LEADS_EXT, with_signal=False)
            rec = read_record(material.path)
            store[r] = []
            for track in material.tracks:
                signal = rec.signal[:, [track.lead]]
                test = decode(predict_proba(model, meta, signal, rec.fs), signal, rec.fs)
                store[r].append(score_tracks(track, test))
        if file is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_bytes(pickle.dumps(store))
    return {r: store[r] for r in records if r in store}


def summarise_per_lead(scores: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Pooled ``{fiducial: {n, se, ppv, mean, sd}}`` over every lead of every record."""
    return summarise({f"{r}/{k}": s for r, items in scores.items() for k, s in enumerate(items)})


def summarise(scores: dict[str, Any], records: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Pooled ``{fiducial: {n, se, ppv, mean, sd}}`` (Se/PPV in %, ms) over ``records`` (default all)."""
    from ecgstudio.core.metrics import pool

    chosen = [scores[r] for r in (records if records is not None else list(scores)) if r in scores]
    out = {}
    for label, item in pool(chosen).summary().items():
        out[label] = {"n": item["n_reference"], "se": 100 * item["sensitivity"], "ppv": 100 * item["ppv"],
                      "mean": item["mean_error_ms"], "sd": item["sd_error_ms"]}
    return out


def table(rows: dict[str, dict[str, dict[str, float]]], fiducials=ALL_FIDUCIALS) -> str:
    """Text table: one line per fiducial, one Se/PPV/mean/SD block per column."""
    names = list(rows)
    head = f"{'':9}" + "".join(f"| {n[:27]:<27} " for n in names)
    sub = f"{'':9}" + "".join(f"| {'Se':>6}{'PPV':>6}{'mean':>7}{'SD':>7} " for _ in names)
    lines = [head, sub]
    for fid in fiducials:
        cells = "".join(f"| {rows[n][fid]['se']:6.1f}{rows[n][fid]['ppv']:6.1f}{rows[n][fid]['mean']:7.1f}"
                        f"{rows[n][fid]['sd']:7.1f} " for n in names)
        lines.append(f"{fid:<9}{cells}")
    return "\n".join(lines)


#: Configurations tried (issue 9). Keys are ``ecgstudio.app.finetune.finetune`` keyword arguments.
CONFIGS: dict[str, dict[str, Any]] = {
    "orig": {"no_p": "statement"},                      # the behaviour of issue 9
    "rhythm": {"no_p": "rhythm"},                       # fix (a): no-P TP gaps a statement only for AF/flutter
    "unlabelled": {"no_p": "unlabelled"},
    "rhythm-distill": {"no_p": "rhythm", "distill": 1.0, "distill_leads": 2, "epochs": 8},
    "rhythm-blend": {"no_p": "rhythm", "blend": 0.5},
    "rhythm-lr3e-5": {"no_p": "rhythm", "lr": 3e-5},
    "rhythm-freeze2": {"no_p": "rhythm", "freeze": 2},
    "rhythm-distill-blend": {"no_p": "rhythm", "distill": 1.0, "distill_leads": 2, "epochs": 8, "blend": 0.5},
    # all 12 leads, each labelled by its own LUDB file (--ann-ext leads); no unannotated lead left to distil on
    "leads": {"ann_ext": "leads", "batch_size": 64, "epochs": 4, "patience": 2},
    "leads-lr3e-5": {"ann_ext": "leads", "batch_size": 64, "epochs": 4, "patience": 2, "lr": 3e-5},
    "leads-lr1e-5": {"ann_ext": "leads", "batch_size": 64, "epochs": 4, "patience": 2, "lr": 1e-5},
    "leads-freeze2": {"ann_ext": "leads", "batch_size": 64, "epochs": 4, "patience": 2, "freeze": 2},
    "leads-freeze2-lr3e-5": {"ann_ext": "leads", "batch_size": 64, "epochs": 4, "patience": 2, "freeze": 2,
                             "lr": 3e-5},
    # the lead-II file labels all 12 leads (--label-leads all): the record's boundaries, as q1c on QTDB
    "ii-all": {"ann_ext": "ii", "label_leads": "all", "batch_size": 64, "epochs": 4, "patience": 2, "lr": 1e-4},
    "ii-all-lr3e-5": {"ann_ext": "ii", "label_leads": "all", "batch_size": 64, "epochs": 4, "patience": 2,
                      "lr": 3e-5},
    "ii-all-lr1e-5": {"ann_ext": "ii", "label_leads": "all", "batch_size": 64, "epochs": 4, "patience": 2,
                      "lr": 1e-5},
    "ii-all-freeze2": {"ann_ext": "ii", "label_leads": "all", "batch_size": 64, "epochs": 4, "patience": 2,
                       "lr": 1e-4, "freeze": 2},
    "ii-all-freeze2-lr3e-5": {"ann_ext": "ii", "label_leads": "all", "batch_size": 64, "epochs": 4, "patience": 2,
                              "lr": 3e-5, "freeze": 2},
    "leads-lr3e-5-e8": {"ann_ext": "leads", "batch_size": 64, "epochs": 8, "patience": 2, "lr": 3e-5},
    "leads-lr3e-5-blend": {"ann_ext": "leads", "batch_size": 64, "epochs": 8, "patience": 2, "lr": 3e-5,
                           "blend": 0.7},
    # the command's own defaults (lead II labels its own lead, distillation on two other leads, lr 1e-4,
    # batch size from the number of windows, at most 10 epochs); "cli-defaults-b8e15": the defaults before 2026-12-04
    "cli-defaults": {"distill": 1.0},
    "cli-defaults-b8e15": {"distill": 1.0, "batch_size": 8, "epochs": 15},
    "ii-distill-freeze2-lr3e-5": {"ann_ext": "ii", "batch_size": 64, "epochs": 4, "patience": 2, "lr": 3e-5,
                                  "freeze": 2, "distill": 1.0},
    "leads-lr5e-5": {"ann_ext": "leads", "batch_size": 64, "epochs": 4, "patience": 2, "lr": 5e-5},
}
for _settings in CONFIGS.values():  # every row states its method; the command's defaults may change
    _settings.setdefault("distill", 0.0)


def folds_of(records: list[str], k: int, seed: int) -> list[list[str]]:
    """``k`` record-level folds of a seeded permutation (sorted lists)."""
    order = np.random.default_rng(seed).permutation(len(records))
    return [sorted((records[i] for i in order[f::k]), key=int) for f in range(k)]


def main(argv: list[str] | None = None) -> int:
    """Run the cross-validated experiment for one configuration; print and optionally save the figures."""
    from ecgstudio.app.finetune import finetune
    from ecgstudio.ml.model import read_metadata
    from ecgstudio.paths import default_model_path, model_files

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ludb", default="../shared/data/ludb")
    ap.add_argument("--qtdb", default="../shared/data/qtdb")
    ap.add_argument("--base", default=str(default_model_path()))
    ap.add_argument("--config", default="rhythm", choices=sorted(CONFIGS))
    ap.add_argument("--folds", type=int, default=2)
    ap.add_argument("--halves", action="store_true",
                    help="instead of folds: train on records 1-50, score 51-100 (the rows of models/README.md)")
    ap.add_argument("--only-folds", type=int, nargs="*", default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out-dir", default="/tmp/ft/models")
    ap.add_argument("--cache", default="/tmp/ft/cache")
    ap.add_argument("--json", default=None)
    ap.add_argument("--per-lead", action="store_true",
                    help="also score every lead of the held-out LUDB records alone against its own file")
    ap.add_argument("--reuse", action="store_true", help="reuse the fold's model pair when it exists (no training)")
    args = ap.parse_args(argv)
    cache = Path(args.cache) if args.cache else None
    ludb = Path(args.ludb)
    records = sorted((p.stem for p in ludb.glob("*.hea")), key=int)
    folds = ([[r for r in records if int(r) > 50]] if args.halves else folds_of(records, args.folds, args.seed))
    qtdb_test = list(read_metadata(args.base)["split"]["test"])
    base_ludb = score_model(args.base, ludb, records, "ii", cache)
    base_qtdb = summarise(score_model(args.base, args.qtdb, qtdb_test, "q1c", cache))
    tuned_ludb: dict[str, Any] = {}
    per_lead_base: dict[str, Any] = {}
    per_lead_tuned: dict[str, Any] = {}
    per_fold = []
    for f, held in enumerate(folds):
        if args.only_folds is not None and f not in args.only_folds:
            continue
        train = [str(ludb / r) for r in records if r not in held]
        out = Path(args.out_dir) / f"{args.config}-k{args.folds}s{args.seed}f{f}"
        started = time.perf_counter()
        files = model_files(out)
        if args.reuse and files.keras.is_file():
            gate_meta = json.loads(files.json.read_text())["finetune"]
            result = argparse.Namespace(epochs_run=json.loads(files.json.read_text())["history"].get(
                "epochs_run", 0), verdict=gate_meta["gate"]["verdict"], accepted=gate_meta["gate"]["accepted"])
            wall = float(gate_meta.get("wall_s", 0.0))
        else:
            for file in files:
                file.unlink(missing_ok=True)
            settings = {"ann_ext": "ii", **CONFIGS[args.config]}
            result = finetune(train, args.base, out, seed=args.seed, **settings,
                              log=lambda line, t0=started: print(f"  [{time.perf_counter() - t0:5.0f} s] {line}",
                                                                 flush=True))
            wall = time.perf_counter() - started
        tuned_ludb.update(score_model(out, ludb, held, "ii", cache))
        qt = summarise(score_model(out, args.qtdb, qtdb_test, "q1c", cache))
        if args.per_lead:
            per_lead_base.update(score_per_lead(args.base, ludb, held, cache))
            per_lead_tuned.update(score_per_lead(out, ludb, held, cache))
        per_fold.append({"fold": f, "held_out": held, "wall_s": round(wall, 1), "epochs": result.epochs_run,
                         "gate": result.verdict, "accepted": result.accepted, "qtdb": qt,
                         "ludb_base": summarise(base_ludb, held), "ludb_tuned": summarise(tuned_ludb, held)})
        print(f"fold {f}: {len(train)} training records, {wall:.0f} s, {result.epochs_run} epochs; gate: "
              f"{result.verdict}", flush=True)
    held_all = [r for r in records if r in tuned_ludb]
    rows = {"LUDB held-out base": summarise(base_ludb, held_all),
            f"LUDB held-out {args.config}": summarise(tuned_ludb, held_all),
            "QTDB test base": base_qtdb}
    for item in per_fold:
        rows[f"QTDB test fold {item['fold']}"] = item["qtdb"]
    if per_lead_tuned:
        rows["LUDB per-lead base"] = summarise_per_lead(per_lead_base)
        rows[f"LUDB per-lead {args.config}"] = summarise_per_lead(per_lead_tuned)
    print(table(rows))
    worst_qt = {fid: min(item["qtdb"][fid]["se"] - base_qtdb[fid]["se"] for item in per_fold) for fid in FIDUCIALS}
    lb, lt = rows["LUDB held-out base"], rows[f"LUDB held-out {args.config}"]
    improved = [fid for fid in FIDUCIALS if lt[fid]["sd"] < lb[fid]["sd"] or lt[fid]["se"] > lb[fid]["se"]]
    ludb_drop = {fid: lt[fid]["se"] - lb[fid]["se"] for fid in FIDUCIALS}
    print(f"held-out LUDB: improved SD or Se on {len(improved)}/5 ({', '.join(improved)}); Se change "
          + ", ".join(f"{k} {v:+.1f}" for k, v in ludb_drop.items()))
    print("QTDB test, worst fold Se change: " + ", ".join(f"{k} {v:+.1f}" for k, v in worst_qt.items()))
    if args.json:
        Path(args.json).write_text(json.dumps({"config": args.config, "settings": CONFIGS[args.config],
                                               "folds": per_fold, "rows": rows, "improved": improved},
                                              indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
