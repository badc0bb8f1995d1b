"""The ``ecgstudio finetune`` sub-command: options, the run, and what it prints.

The service is :func:`ecgstudio.app.finetune.finetune`; the sub-command's
module for :mod:`ecgstudio.cli` stays :mod:`ecgstudio.app.finetune`, which
re-exports :func:`add_arguments`, :func:`run` and :data:`EXIT_NOT_BETTER`.
The service module is imported inside the functions (it imports this one), and
:func:`run` calls ``finetune`` through it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ecgstudio.app.finetune_gate import GATE_FIDUCIALS
from ecgstudio.app.provenance import command_line
from ecgstudio.ml.finetune import (
    AUTO_BATCH_STEPS,
    DEFAULT_FINETUNE_BATCH,
    DEFAULT_FINETUNE_EPOCHS,
    DEFAULT_FINETUNE_LR,
    DEFAULT_FINETUNE_PATIENCE,
    MAX_AUTO_BATCH,
)
from ecgstudio.ml.train import set_seeds
from ecgstudio.paths import default_model_path

#: Exit code of ``ecgstudio finetune`` when the new model was written but is not better on the held-out records.
EXIT_NOT_BETTER = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``ecgstudio finetune``."""
    from ecgstudio.app import finetune as service

    parser.description = (
        "Fine-tune a model on reviewed, corrected annotations and write a NEW model pair. Uses the reviewed "
        "spans of each record's 'ecgs' file (review sidecar <record>.ecgs.review.json); records without review "
        "state use --ann-ext, whose whole annotated extent counts as reviewed. Part of the material is held out "
        "(whole records, or the last part of a single record) for early stopping and before/after scores."
    )
    parser.add_argument("records", nargs="+", metavar="RECORD",
                        help="record path (without extension, or .hea) or a folder of records")
    parser.add_argument("--base", default=str(default_model_path()), metavar="MODEL",
                        help="model to start from (stem, .keras or .json; default: the bundled model)")
    parser.add_argument("--out", required=True, metavar="STEM",
                        help="stem of the new model pair, e.g. models/mine (must not exist)")
    parser.add_argument("--ann-ext", default=None, metavar="EXT",
                        help="reference annotator for records without review state, e.g. q1c or ii; 'leads': "
                             "every per-lead file of a record (LUDB i ... v6), each labelling its own lead")
    parser.add_argument("--epochs", type=int, default=DEFAULT_FINETUNE_EPOCHS,
                        help=f"maximum epochs (default {DEFAULT_FINETUNE_EPOCHS}; early stopping)")
    parser.add_argument("--batch-size", type=int, default=None, metavar="N",
                        help=f"windows per batch (default: {DEFAULT_FINETUNE_BATCH} for a few reviewed beats, "
                             f"doubling up to {MAX_AUTO_BATCH} while an epoch keeps {AUTO_BATCH_STEPS} batches)")
    parser.add_argument("--steps", type=int, default=None, metavar="N",
                        help="batches per epoch, drawn at random (default: one pass over the windows)")
    parser.add_argument("--patience", type=int, default=DEFAULT_FINETUNE_PATIENCE, metavar="N",
                        help=f"epochs without held-out improvement before stopping (default {DEFAULT_FINETUNE_PATIENCE})")
    parser.add_argument("--freeze", type=int, default=0, metavar="N", help="keep the first N layers frozen (0-8)")
    parser.add_argument("--val-fraction", type=float, default=service.DEFAULT_VAL_FRACTION, metavar="F",
                        help=f"share held out (default {service.DEFAULT_VAL_FRACTION})")
    parser.add_argument("--lr", type=float, default=DEFAULT_FINETUNE_LR,
                        help=f"initial learning rate (default {DEFAULT_FINETUNE_LR})")
    parser.add_argument("--holdout", choices=service.HOLDOUTS, default="records",
                        help="hold out whole records (default; one record: its last beats) or the last beats "
                             "of every record (time)")
    parser.add_argument("--seed", type=int, default=0, help="seed of split, batch order and augmentation")
    parser.add_argument("--deterministic", action="store_true",
                        help="also seed this process's global generators and switch on TensorFlow's op "
                             "determinism (slower; for bit-exact repeats)")
    parser.add_argument("--blend", type=float, default=service.DEFAULT_BLEND, metavar="A",
                        help="keep this share of the fine-tuning step: base + A * (tuned - base) (default 1)")
    parser.add_argument("--distill", type=float, default=service.DEFAULT_DISTILL, metavar="W",
                        help="weight of the base model's own labels on unannotated leads of the training records "
                             "(default 1; 0: off)")
    parser.add_argument("--guard", default=None, metavar="DIR",
                        help="no forgetting: also score base and new model on the base's own test records in DIR "
                             "(bundled model: the QT Database) and refuse the new model when a boundary's "
                             "sensitivity falls by more than 1 point there")
    parser.add_argument("--guard-ref", default="q1c", metavar="EXT", help="reference of the --guard records")
    parser.add_argument("--no-p", choices=("rhythm", "statement", "unlabelled"), default="rhythm",
                        help="tracks without P waves: their TP gaps are a statement only in editor-reviewed spans "
                             "or AF/flutter records (rhythm, default), always, or never")
    parser.add_argument("--label-leads", choices=("own", "all"), default="own",
                        help="a per-lead --ann-ext file labels its own lead (own, default) or every lead of its "
                             "record, scored as a global track (all: the file's boundaries are the record's)")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def run(args: argparse.Namespace) -> int:
    """Run ``ecgstudio finetune``; returns 0, or :data:`EXIT_NOT_BETTER` (3) when the gate rejects the new model."""
    from ecgstudio.app import finetune as service

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    if args.deterministic:
        set_seeds(args.seed)  # process-wide, so only here, in the command's own process
    result = service.finetune(
        args.records, args.base, args.out, ann_ext=args.ann_ext, epochs=args.epochs, freeze=args.freeze,
        val_fraction=args.val_fraction, seed=args.seed, lr=args.lr, holdout=args.holdout, log=log,
        blend=args.blend, distill=args.distill, no_p=args.no_p, label_leads=args.label_leads, batch_size=args.batch_size, patience=args.patience,
        steps_per_epoch=args.steps,
        command=command_line("ecgstudio finetune", args, path_options=("records", "base", "out"), positional="records"),
    )
    b, a = result.before, result.after
    print(f"wrote {result.stem}.keras and {result.stem}.json: {result.n_beats} reviewed beats from "
          f"{len(result.records)} record(s), {result.epochs_run} epochs, {result.wall_s:.0f} s; held-out "
          f"accuracy {b['accuracy']:.3f} -> {a['accuracy']:.3f}, loss {b['loss']:.3f} -> {a['loss']:.3f}")
    if b.get("waves") and a.get("waves"):
        for fid in GATE_FIDUCIALS:
            before, after = b["waves"][fid], a["waves"][fid]
            if None not in (before["sensitivity"], after["sensitivity"]):
                print(f"held-out {fid:<8} sensitivity {100 * before['sensitivity']:5.1f} -> "
                      f"{100 * after['sensitivity']:5.1f} %, error SD {_ms(before['sd_error_ms'])} -> "
                      f"{_ms(after['sd_error_ms'])} ms")
    accepted, verdict = result.accepted, result.verdict
    if args.guard:
        from ecgstudio.app.finetune_guard import guard, record_guard

        checked = guard(args.base, result.stem, args.guard, GATE_FIDUCIALS, ref_ext=args.guard_ref, log=log)
        for line in checked.lines:
            print(line)
        record_guard(result.stem, checked)
        if accepted and not checked.passed:
            accepted, verdict = False, f"NOT ACCEPTED: {checked.verdict}"
        elif accepted:
            verdict = f"{verdict}; {checked.verdict}"
    print(f"held-out records {', '.join(result.validation_records)}: the new model is {verdict}"
          if accepted else f"{verdict}; keep using {Path(args.base).name} (the new pair is written "
          "for inspection only)")
    return 0 if accepted else EXIT_NOT_BETTER
