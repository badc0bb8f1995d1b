"""``ecgstudio annotate``: headless pre-annotation of records with a model.

Each RECORD is a record path without extension (as wfdb takes it), its
``.hea`` file, or a folder (every record in it). For each record the model's
track(s) are written to ``OUT_DIR/<record>.<EXT>`` (WFDB annotation file,
PhysioNet boundary convention) with its review sidecar. Where that file
already exists, its reviewed waves are kept exactly and only unreviewed spans
are re-annotated (``--replace-reviewed`` replaces everything and clears the
review marks). Unusable leads (flat, invalid, saturated, clipped, disconnected,
noisy: :mod:`ecgstudio.core.quality`) are left out where they are unusable and
named on the record's line with the seconds excluded. A record that cannot be
read or written, or has no usable lead, is reported on one line and the run
goes on; the exit code is then 1.
With ``--jobs N`` records are processed by N worker processes, each loading
the model once.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from ecgstudio.core.errors import EcgStudioError
from ecgstudio.io.annotations import DEFAULT_EXT


@dataclass(frozen=True)
class Outcome:
    """Result of one record: the written file, or the reason it failed."""

    record: str
    written: Path | None
    n_waves: int
    seconds: float
    error: str | None = None
    kept: int = 0
    replaced_reviewed: bool = False
    excluded: str = ""  # unusable leads left out of the track and for how long (quality summary)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the sub-command's options."""
    parser.description = (
        "Pre-annotate records with a segmentation model and write one WFDB annotation file per record "
        "(P, QRS and T boundaries, PhysioNet convention) into --out-dir."
    )
    parser.add_argument("records", nargs="+", metavar="RECORD",
                        help="record path without extension, a .hea file, or a folder of records")
    parser.add_argument("--out-dir", required=True, metavar="DIR",
                        help="folder for the annotation files (created if missing)")
    parser.add_argument("--ext", default=DEFAULT_EXT,
                        help=f"extension of the written files (default: {DEFAULT_EXT})")
    parser.add_argument("--model", default=None, metavar="M",
                        help="model path stem or .keras file (default: the bundled model)")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="worker processes (default: 1)")
    parser.add_argument("--per-lead", action="store_true",
                        help="one track per lead (chan = lead index) instead of one global track")
    parser.add_argument("--replace-reviewed", action="store_true",
                        help="also replace waves in reviewed spans of an existing annotation file (default: "
                             "they are kept exactly and only unreviewed spans are re-annotated)")


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def expand_inputs(inputs: list[str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Record paths named by the command-line inputs.

    Returns
    -------
    records : list[Path]
        Record paths without extension, in the order given (folders sorted),
        duplicates removed.
    problems : list[tuple[str, str]]
        ``(input, reason)`` for inputs that name no record.
    """
    from ecgstudio.io.records import list_records, resolve_record_path

    records: list[Path] = []
    problems: list[tuple[str, str]] = []
    seen: set[Path] = set()
    for item in inputs:
        try:
            if Path(item).expanduser().is_dir():
                found = list_records(item)
                if not found:
                    problems.append((item, "folder holds no WFDB records (.hea files)"))
            else:
                found = [resolve_record_path(item)]
        except EcgStudioError as exc:
            problems.append((item, str(exc)))
            continue
        for path in found:
            if path not in seen:
                seen.add(path)
                records.append(path)
    return records, problems


def _live_progress(name: str) -> Callable[[float], None] | None:
    if not sys.stderr.isatty():
        return None
    last = [-1]

    def show(fraction: float) -> None:
        percent = int(100 * fraction)
        if percent != last[0]:
            last[0] = percent
            print(f"\r  {name}: {percent:3d} %", end="\r" if percent < 100 else "\r\033[K",
                  file=sys.stderr, flush=True)

    return show


def annotate_one(
    record_path: Path,
    out_dir: Path,
    ext: str,
    model: str | None,
    per_lead: bool,
    live: bool = False,
    replace_reviewed: bool = False,
) -> Outcome:
    """Read, pre-annotate and write one record; never raises for a bad record.

    An existing ``<record>.<ext>`` in ``out_dir`` keeps its reviewed waves
    exactly (:func:`ecgstudio.app.reannotate.write_prediction`) unless
    ``replace_reviewed``; an unreadable one is left alone and reported.

    Returns
    -------
    Outcome
        The written file, wave count, reviewed waves kept and the unusable
        leads left out, or a one-line error (also when no lead is usable:
        nothing is written then).
    """
    from ecgstudio.app.preannotate import preannotate, prediction_quality
    from ecgstudio.app.reannotate import write_prediction
    from ecgstudio.io.records import read_record

    start = time.perf_counter()
    name = record_path.name
    excluded = ""
    try:
        record = read_record(record_path)
        progress = _live_progress(name) if live else None
        tracks = preannotate(record, model, per_lead=per_lead, progress=progress)
        quality = prediction_quality(tracks[0]) if tracks else None
        if quality is not None:
            excluded = quality.summary(record.lead_names)
            if quality.nothing_usable:
                return Outcome(name, None, 0, time.perf_counter() - start,
                               f"{name}: no usable lead ({excluded}); nothing annotated, nothing written")
        from ecgstudio.app.preannotate import label_from_beat_file  # beat labels (V, A ...) from atr
        tracks, _ = label_from_beat_file(tracks, record_path, start_sample=record.start_sample)
        written, report = write_prediction(record, record_path, tracks, ext=ext, out_dir=out_dir,
                                           model=Path(model).name if model else "default",
                                           replace_reviewed=replace_reviewed)
    except EcgStudioError as exc:
        return Outcome(name, None, 0, time.perf_counter() - start, str(exc))
    except (OSError, ValueError) as exc:
        return Outcome(name, None, 0, time.perf_counter() - start, f"{name}: {exc}")
    except MemoryError:
        return Outcome(name, None, 0, time.perf_counter() - start, f"{name}: out of memory")
    return Outcome(name, written, report.n_waves, time.perf_counter() - start, None, report.n_kept,
                   report.replaced_reviewed, excluded)


_worker_error: str | None = None


def _worker_init(model: str | None) -> None:
    """Load the model once per worker process; remember a failure instead of dying."""
    global _worker_error
    from ecgstudio.app.preannotate import load_model

    try:
        load_model(model)
    except EcgStudioError as exc:
        _worker_error = str(exc)


def _annotate_in_worker(
    record_path: Path, out_dir: Path, ext: str, model: str | None, per_lead: bool, replace_reviewed: bool,
) -> Outcome:
    if _worker_error is not None:
        return Outcome(record_path.name, None, 0, 0.0, _worker_error)
    return annotate_one(record_path, out_dir, ext, model, per_lead, replace_reviewed=replace_reviewed)


def _report(i: int, total: int, outcome: Outcome) -> None:
    width = len(str(total))
    head = f"[{i:>{width}}/{total}]"
    if outcome.error is None:
        kept = ""
        if outcome.replaced_reviewed:
            kept = ", reviewed waves REPLACED (--replace-reviewed)"
        elif outcome.kept:
            kept = f", kept {outcome.kept} reviewed waves"
        excluded = f"; leads excluded: {outcome.excluded}" if outcome.excluded else ""
        _err(f"{head} {outcome.record}: {outcome.n_waves} waves{kept} -> {outcome.written} "
             f"({outcome.seconds:.1f} s){excluded}")
    else:
        reason = outcome.error
        _err(f"{head} error: {reason}" if outcome.record in reason.split(":")[0]
             else f"{head} {outcome.record}: error: {reason}")


def run(args: argparse.Namespace) -> int:
    """Run the sub-command; returns 0, or 1 if any record failed."""
    from ecgstudio.app.preannotate import load_model, resolve_model_stem
    from ecgstudio.ml.model import read_metadata

    if args.jobs < 1:
        raise EcgStudioError(f"--jobs must be at least 1, got {args.jobs}")
    out_dir = Path(args.out_dir).expanduser()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EcgStudioError(f"cannot create output folder {out_dir}: {exc.strerror or exc}") from None
    model = str(resolve_model_stem(args.model))
    read_metadata(model)  # a missing or incompatible model fails here, once, in one line
    records, problems = expand_inputs(list(args.records))
    failures = len(problems)
    for item, reason in problems:
        _err(f"error: {reason}" if reason.startswith(item) else f"{item}: error: {reason}")
    names: dict[str, Path] = {}
    unique: list[Path] = []
    for path in records:
        if path.name in names:
            failures += 1
            _err(f"{path}: error: same record name as {names[path.name]}; both would write "
                 f"{out_dir / (path.name + '.' + args.ext)}")
            continue
        names[path.name] = path
        unique.append(path)
    total = len(unique)
    if total:
        _err(f"annotating {total} record{'s' if total != 1 else ''} with {model} "
             f"({min(args.jobs, total)} process{'es' if min(args.jobs, total) > 1 else ''})")
    jobs = min(args.jobs, total)
    outcomes: list[Outcome] = []
    if jobs <= 1:
        if total:
            start = time.perf_counter()
            load_model(model)
            _err(f"model loaded ({time.perf_counter() - start:.1f} s)")
        for i, path in enumerate(unique, 1):
            outcome = annotate_one(path, out_dir, args.ext, model, args.per_lead, live=True,
                                   replace_reviewed=args.replace_reviewed)
            outcomes.append(outcome)
            _report(i, total, outcome)
    else:
        import multiprocessing

        context = multiprocessing.get_context("spawn")  # TensorFlow does not survive fork
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_worker_init,
                                 initargs=(model,)) as pool:
            futures = [pool.submit(_annotate_in_worker, path, out_dir, args.ext, model, args.per_lead,
                                   args.replace_reviewed)
                       for path in unique]
            for i, future in enumerate(as_completed(futures), 1):
                try:
                    outcome = future.result()
                except BrokenProcessPool as exc:
                    raise EcgStudioError(f"a worker process died ({exc})") from None
                outcomes.append(outcome)
                _report(i, total, outcome)
    failures += sum(o.error is not None for o in outcomes)
    ok = len(outcomes) - sum(o.error is not None for o in outcomes)
    _err(f"done: {ok} written, {failures} failed")
    if not records and not problems:
        return 1
    return 1 if failures else 0
