"""``ecgstudio train``: train the BiLSTM segmentation model on a WFDB database (QTDB layout).

Steps: a deterministic record-level split from ``--seed`` (test records are
never used for training, early stopping or model selection); optional
pre-training on the automatic ``pu0``/``pu1`` annotations of the training
records (validation: the validation records' ``pu`` files); fine-tuning on the
manual ``q1c`` annotations with early stopping on the validation records;
save ``OUT.keras`` + ``OUT.json`` (with the split, history and settings); and,
when ``ecgstudio.app.evaluate.evaluate_model`` is available, the test-record
metrics stored under ``metadata["metrics"]["test"]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from ecgstudio.app.provenance import command_line, portable_path
from ecgstudio.core.errors import EcgStudioError

_EXAMPLE = "ecgstudio train --data /path/to/qtdb --out models/mymodel --epochs 30 --pretrain pu"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the sub-command's options."""
    parser.epilog = f"example: {_EXAMPLE}"
    parser.add_argument("--data", required=True, help="folder of WFDB records with delineation annotations (QTDB)")
    parser.add_argument("--out", required=True, help="output model stem, e.g. models/mymodel (writes .keras + .json)")
    parser.add_argument("--ref", default="q1c", help="annotation extension of the manual labels (default: q1c)")
    parser.add_argument("--epochs", type=int, default=30, help="maximum fine-tuning epochs on --ref (default: 30)")
    parser.add_argument("--pretrain", choices=("pu", "none"), default="none",
                        help="pre-train on the automatic pu0/pu1 annotations of the training records first")
    parser.add_argument("--pretrain-epochs", type=int, default=6, help="maximum pre-training epochs (default: 6)")
    parser.add_argument("--pretrain-steps", type=int, default=250,
                        help="batches per pre-training epoch (default: 250)")
    parser.add_argument("--steps-per-epoch", type=int, default=None,
                        help="batches per fine-tuning epoch (default: one pass over the windows)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split, weights and batches (default: 0)")
    parser.add_argument("--window", type=int, default=1000, help="window length in samples at 250 Hz (default: 1000)")
    parser.add_argument("--hop", type=int, default=None,
                        help="hop_samples of the model: the hop of fine-tuning windows (default: window / 2); "
                             "training windows use window / 4, inference the model's inference_* settings "
                             "(ml.model.inference_settings)")
    parser.add_argument("--batch-size", type=int, default=64, help="windows per batch (default: 64)")
    parser.add_argument("--lr", type=float, default=1e-3, help="initial learning rate (default: 1e-3)")
    parser.add_argument("--finetune-lr", type=float, default=None,
                        help="learning rate on --ref after pre-training (default: --lr / 2)")
    parser.add_argument("--l2", type=float, default=1e-4, help="L2 factor of the Dense layers (default: 1e-4)")
    parser.add_argument("--patience", type=int, default=5, help="early-stopping patience in epochs (default: 5)")
    parser.add_argument("--n-test", type=int, default=20, help="number of test records (default: 20)")
    parser.add_argument("--n-val", type=int, default=10, help="number of validation records (default: 10)")
    parser.add_argument("--max-train-records", type=int, default=None,
                        help="use only the first N training records (quick trials)")
    parser.add_argument("--no-augment", action="store_true", help="no noise/baseline-wander augmentation")
    parser.add_argument("--no-determinism", action="store_true",
                        help="skip tf.config.experimental.enable_op_determinism (slightly faster)")
    parser.add_argument("--no-evaluate", action="store_true", help="do not score the test records at the end")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing OUT.keras/OUT.json pair")


def _print(line: str) -> None:
    print(line, flush=True)


class _Progress:
    """Prints ``label: NN%`` lines every 10 percent."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.next_tenth = 1

    def __call__(self, fraction: float) -> None:
        if fraction * 10 >= self.next_tenth:
            _print(f"  {self.label}: {int(fraction * 100)}%")
            self.next_tenth = int(fraction * 10) + 1


def _evaluate_if_available(stem: Path, data_dir: Path, records: list[str], ref: str) -> dict[str, Any] | None:
    try:
        from ecgstudio.app import evaluate
    except ImportError:
        return None
    fn = getattr(evaluate, "evaluate_model", None)
    if fn is None:
        _print("note: ecgstudio.app.evaluate.evaluate_model is not available; test metrics not computed")
        return None
    return fn(stem, data_dir, records, ref_ext=ref)


def run(args: argparse.Namespace) -> int:
    """Run the sub-command; returns the exit code."""
    from ecgstudio.app.dataset import annotated_records, build_window_set, complete_records, split_records
    from ecgstudio.ml.batches import Augment
    from ecgstudio.ml.model import base_metadata, build_model, save_model_pair, write_metadata
    from ecgstudio.ml.train import FitConfig, fit, set_seeds
    from ecgstudio.paths import model_files, model_stem

    data_dir = Path(args.data)
    if not data_dir.is_dir():
        raise EcgStudioError(f"data folder not found: {data_dir}")
    stem = model_stem(args.out)
    if not args.overwrite and model_files(stem).existing():
        raise EcgStudioError(f"model {stem} exists; choose another --out or pass --overwrite")
    window = int(args.window)
    hop = int(args.hop or window // 2)
    if window < 64 or not 0 < hop <= window:
        raise EcgStudioError(f"bad window/hop: {window}/{hop} (need window >= 64 and 0 < hop <= window)")
    started = time.perf_counter()
    names = [p.name for p in annotated_records(data_dir, args.ref)]
    if not names:
        raise EcgStudioError(f"no records with .{args.ref} annotations in {data_dir}")
    complete = complete_records(data_dir, names, args.ref)
    split = split_records(names, seed=args.seed, n_test=args.n_test, n_val=args.n_val, test_candidates=complete)
    train_names = list(split.train[: args.max_train_records] if args.max_train_records else split.train)
    _print(f"{len(names)} records with .{args.ref}: {len(split.train)} train, {len(split.validation)} validation, "
           f"{len(split.test)} test (seed {args.seed})")
    _print("test records: " + " ".join(split.test))

    set_seeds(args.seed, deterministic=not args.no_determinism)
    model = build_model(seed=args.seed, l2=args.l2)
    augment = None if args.no_augment else Augment()
    meta = base_metadata(window_samples=window, hop_samples=hop, seed=args.seed, l2=args.l2)
    history: dict[str, Any] = {}
    log_lines = _print

    if args.pretrain == "pu" and args.pretrain_epochs > 0:
        pre_train = build_window_set(data_dir, train_names, ext="pu", window=window, hop=window,
                                     jitter=window // 2, log=log_lines)
        pre_val = build_window_set(data_dir, split.validation, ext="pu", window=window, hop=window, log=log_lines)
        _print(f"pre-training on pu0/pu1: {len(pre_train)} windows, {len(pre_val)} validation windows")
        config = FitConfig(epochs=args.pretrain_epochs, steps_per_epoch=args.pretrain_steps,
                           batch_size=args.batch_size, lr=args.lr, patience=args.patience, seed=args.seed,
                           augment=augment, max_val_windows=1500)
        history["pretrain"] = fit(model, pre_train, pre_val, config, progress=_Progress("pre-training"),
                                  log=log_lines)
        del pre_train, pre_val

    train = build_window_set(data_dir, train_names, ext=args.ref, window=window, hop=window // 4,
                             jitter=window // 8, log=log_lines)
    val = build_window_set(data_dir, split.validation, ext=args.ref, window=window, hop=window // 4, log=log_lines)
    if len(train) == 0 or len(val) == 0:
        raise EcgStudioError(f"no labelled windows of {window} samples in the {args.ref} annotations")
    _print(f"training on {args.ref}: {len(train)} windows, {len(val)} validation windows")
    pretrained = "pretrain" in history
    lr = args.finetune_lr or (args.lr / 2 if pretrained else args.lr)
    config = FitConfig(epochs=args.epochs, steps_per_epoch=args.steps_per_epoch, batch_size=args.batch_size, lr=lr,
                       patience=args.patience, seed=args.seed + 1, augment=augment)
    history["train"] = fit(model, train, val, config, progress=_Progress("training"), log=log_lines)
    seconds = time.perf_counter() - started

    meta.update(
        training_data={
            "database": data_dir.name,
            "path": portable_path(data_dir),
            "reference_annotations": args.ref,
            "pretraining": "pu0 -> lead 0, pu1 -> lead 1 (ecgpuwave), training records only" if pretrained
            else None,
            "labels": "core.masks.to_mask(track, beat_samples=atr beats, else pu0 QRS peaks); records whose "
                      f"{args.ref} has no P wave: TP samples unlabelled; windows >= 50 % labelled",
            "augmentation": None if augment is None else {k: v for k, v in vars(augment).items()},
            "complete_records": len(complete),
        },
        split=split.as_dict() | {"train_used": train_names},
        history=history,
        metrics={"validation": {"loss": history["train"]["best_val_loss"],
                                "accuracy": history["train"]["val_accuracy"][history["train"]["best_epoch"] - 1]
                                if history["train"]["best_epoch"] else None}},
        training_seconds=round(seconds, 1),
        command=command_line("ecgstudio train", args, path_options=("data", "out")),
        hyperparameters={k: v for k, v in vars(args).items() if k not in ("data", "out")},
    )
    save_model_pair(model, stem, meta)
    _print(f"saved {stem}.keras and {stem}.json after {seconds / 60:.1f} min")

    if not args.no_evaluate:
        _print(f"evaluating on the {len(split.test)} test records ...")
        try:
            test = _evaluate_if_available(stem, data_dir, list(split.test), args.ref)
        except EcgStudioError as exc:
            _print(f"warning: evaluation failed: {exc}")
            test = None
        if test is not None:
            meta["metrics"]["test"] = test
            write_metadata(stem, meta)
            _print(f"test metrics written to {stem}.json")
    return 0
