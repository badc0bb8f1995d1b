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
the model once (default: automatic); short records are annotated in groups
sharing model calls (:mod:`ecgstudio.app.batch_annotate`); ``--ray ADDRESS``
spreads them over a Ray cluster (:mod:`ecgstudio.app.ray_annotate`).

Archives (:mod:`ecgstudio.app.archive`): ``--manifest FILE`` (or an input
file called ``RECORDS``) lists records one per line; a record whose output is
newer than the model and the record is skipped unless ``--force`` (which
re-annotates with the same merge of reviewed work); ``--table FILE`` writes
one row per beat (per track) of every record (:mod:`ecgstudio.app.beat_table`).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import EcgStudioError
from ecgstudio.core.measurements import BeatTable
from ecgstudio.core.record import Record
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
    tables: tuple[tuple[str, BeatTable], ...] = ()  # (lead name, beats) per written track, for --table
    skipped: bool = False  # output up to date, not re-annotated (no --force)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the sub-command's options."""
    parser.description = (
        "Pre-annotate records with a segmentation model and write one WFDB annotation file per record "
        "(P, QRS and T boundaries, PhysioNet convention) into --out-dir."
    )
    parser.add_argument("records", nargs="*", metavar="RECORD",
                        help="record path without extension, a .hea file, a folder of records, or a "
                             "RECORDS manifest file")
    parser.add_argument("--manifest", action="append", default=[], metavar="FILE",
                        help="text file of record paths, one per line, relative to its folder "
                             "(PhysioNet RECORDS style); may be repeated")
    parser.add_argument("--force", action="store_true",
                        help="re-annotate records whose output is newer than the model and the record "
                             "(default: skip them; reviewed waves are still kept unless --replace-reviewed)")
    parser.add_argument("--ray", default=None, metavar="ADDRESS",
                        help="spread records over a Ray cluster ('auto': a running one; needs pip install "
                             "'.[cluster]'); --jobs N then sets the number of workers (default: one per CPU)")
    parser.add_argument("--table", default=None, metavar="FILE",
                        help="also write one row per beat (per lead with --per-lead) of every record: "
                             ".csv, or .parquet when pyarrow is installed")
    parser.add_argument("--out-dir", required=True, metavar="DIR",
                        help="folder for the annotation files (created if missing)")
    parser.add_argument("--ext", default=DEFAULT_EXT,
                        help=f"extension of the written files (default: {DEFAULT_EXT})")
    parser.add_argument("--model", default=None, metavar="M",
                        help="model path stem or .keras file (default: the bundled model)")
    parser.add_argument("--jobs", type=int, default=0, metavar="N",
                        help="worker processes, each loading the model once (default 0: automatic, one per core "
                             "for large runs, TensorFlow threads set so that jobs x threads = cores)")
    parser.add_argument("--per-lead", action="store_true",
                        help="one track per lead (chan = lead index) instead of one global track")
    parser.add_argument("--replace-reviewed", action="store_true",
                        help="also replace waves in reviewed spans of an existing annotation file (default: "
                             "they are kept exactly and only unreviewed spans are re-annotated)")


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def expand_inputs(inputs: Sequence[str], manifests: Sequence[str] = ()) -> tuple[list[Path], list[tuple[str, str]]]:
    """Record paths named by the command-line inputs and manifest files.

    An input file called ``RECORDS`` is read as a manifest, like those in
    ``manifests`` (:func:`ecgstudio.app.archive.read_manifest`).

    Returns
    -------
    records : list[Path]
        Record paths without extension, in the order given (folders sorted),
        duplicates removed.
    problems : list[tuple[str, str]]
        ``(input, reason)`` for inputs that name no record.
    """
    from ecgstudio.app.archive import is_manifest, read_manifest
    from ecgstudio.io.records import list_records, resolve_record_path

    records: list[Path] = []
    problems: list[tuple[str, str]] = []
    seen: set[Path] = set()
    items = [(m, True) for m in manifests] + [(i, is_manifest(i)) for i in inputs]
    for item, manifest in items:
        try:
            if manifest:
                found, bad = read_manifest(item)
                problems += bad
                if not found and not bad:
                    problems.append((item, "manifest lists no records"))
            elif Path(item).expanduser().is_dir():
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
    table: bool = False,
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
        nothing is written then); with ``table`` the beats of the tracks as
        written.
    """
    from ecgstudio.app.preannotate import preannotate
    from ecgstudio.io.records import read_record

    start = time.perf_counter()
    name = record_path.name
    try:
        record = read_record(record_path)
        progress = _live_progress(name) if live else None
        tracks = preannotate(record, model, per_lead=per_lead, progress=progress)
    except EcgStudioError as exc:
        return Outcome(name, None, 0, time.perf_counter() - start, str(exc))
    except (OSError, ValueError) as exc:
        return Outcome(name, None, 0, time.perf_counter() - start, f"{name}: {exc}")
    except MemoryError:
        return Outcome(name, None, 0, time.perf_counter() - start, f"{name}: out of memory")
    return finish_record(record_path, record, tracks, out_dir, ext, model, replace_reviewed=replace_reviewed,
                         table=table, start=start)


def finish_record(
    record_path: Path,
    record: Record,
    tracks: list[Delineation],
    out_dir: Path,
    ext: str,
    model: str | None,
    *,
    replace_reviewed: bool = False,
    table: bool = False,
    start: float | None = None,
) -> Outcome:
    """Write a record's predicted ``tracks`` (from :func:`~ecgstudio.app.preannotate.preannotate` or the
    batched path of :mod:`ecgstudio.app.batch_annotate`): beat labels, merge with reviewed work, tables.

    Never raises for a bad record; see :func:`annotate_one` for the outcome.
    """
    from ecgstudio.app.archive import beat_tables
    from ecgstudio.app.preannotate import label_from_beat_file, prediction_quality
    from ecgstudio.app.reannotate import write_prediction

    start = time.perf_counter() if start is None else start
    name = record_path.name
    excluded = ""
    try:
        quality = prediction_quality(tracks[0]) if tracks else None
        if quality is not None:
            excluded = quality.summary(record.lead_names)
            if quality.nothing_usable:
                return Outcome(name, None, 0, time.perf_counter() - start,
                               f"{name}: no usable lead ({excluded}); nothing annotated, nothing written")
        tracks, _ = label_from_beat_file(tracks, record_path, start_sample=record.start_sample)
        merged: list = []
        written, report = write_prediction(record, record_path, tracks, ext=ext, out_dir=out_dir,
                                           model=Path(model).name if model else "default",
                                           replace_reviewed=replace_reviewed, merged=merged)
        tables = beat_tables(merged, record.lead_names) if table else ()
    except EcgStudioError as exc:
        return Outcome(name, None, 0, time.perf_counter() - start, str(exc))
    except (OSError, ValueError) as exc:
        return Outcome(name, None, 0, time.perf_counter() - start, f"{name}: {exc}")
    except MemoryError:
        return Outcome(name, None, 0, time.perf_counter() - start, f"{name}: out of memory")
    return Outcome(name, written, report.n_waves, time.perf_counter() - start, None, report.n_kept,
                   report.replaced_reviewed, excluded, tables)


def _report_line(i: int, total: int, outcome: Outcome) -> str:
    width = len(str(total))
    head = f"[{i:>{width}}/{total}]"
    if outcome.error is None:
        kept = ""
        if outcome.replaced_reviewed:
            kept = ", reviewed waves REPLACED (--replace-reviewed)"
        elif outcome.kept:
            kept = f", kept {outcome.kept} reviewed waves"
        excluded = f"; leads excluded: {outcome.excluded}" if outcome.excluded else ""
        return (f"{head} {outcome.record}: {outcome.n_waves} waves{kept} -> {outcome.written} "
                f"({outcome.seconds:.1f} s){excluded}")
    reason = outcome.error
    return (f"{head} error: {reason}" if outcome.record in reason.split(":")[0]
            else f"{head} {outcome.record}: error: {reason}")


def _local_outcomes(args: argparse.Namespace, todo: list[Path], out_dir: Path, model: str) -> Iterator[Outcome]:
    """Outcomes of the records in this process. The model (TensorFlow's import included, 3-5 s) is loaded and
    its forward pass traced in a background thread, so that reading and preparing the first records overlap
    with it; a model that cannot be loaded ends the run at the first prediction, in one line."""
    from ecgstudio.app.batch_annotate import annotate_many

    start = time.perf_counter()

    def load() -> None:
        from ecgstudio.app.preannotate import load_model
        from ecgstudio.ml.infer import warm_up

        warm_up(load_model(model)[0])
        _err(f"model loaded ({time.perf_counter() - start:.1f} s)")

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecgstudio-load") as pool:
        loading = pool.submit(load)
        yield from annotate_many(todo, out_dir, args.ext, model, args.per_lead,
                                 replace_reviewed=args.replace_reviewed, table=args.table is not None,
                                 model_ready=loading.result)


def _unique_names(records: list[Path], out_dir: Path, ext: str) -> tuple[list[Path], int]:
    names: dict[str, Path] = {}
    unique: list[Path] = []
    failures = 0
    for path in records:
        if path.name in names:
            failures += 1
            _err(f"{path}: error: same record name as {names[path.name]}; both would write "
                 f"{out_dir / (path.name + '.' + ext)}")
            continue
        names[path.name] = path
        unique.append(path)
    return unique, failures


def run(args: argparse.Namespace) -> int:
    """Run the sub-command; returns 0, or 1 if any record failed."""
    from ecgstudio.app.archive import Progress, tables_of_file, up_to_date
    from ecgstudio.app.beat_table import TableWriter, check_table_path
    from ecgstudio.app.preannotate import resolve_model_stem
    from ecgstudio.ml.model import read_metadata

    if args.jobs < 0:
        raise EcgStudioError(f"--jobs must be 0 (automatic) or more, got {args.jobs}")
    if not args.records and not args.manifest:
        raise EcgStudioError("no input: give RECORD paths, folders or --manifest FILE")
    if args.table is not None:
        check_table_path(args.table)
    out_dir = Path(args.out_dir).expanduser()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EcgStudioError(f"cannot create output folder {out_dir}: {exc.strerror or exc}") from None
    model = str(resolve_model_stem(args.model))
    read_metadata(model)  # a missing or incompatible model fails here, once, in one line
    records, problems = expand_inputs(list(args.records), list(args.manifest))
    failures = len(problems)
    for item, reason in problems:
        _err(f"error: {reason}" if reason.startswith(item) else f"{item}: error: {reason}")
    unique, duplicates = _unique_names(records, out_dir, args.ext)
    failures += duplicates
    force = args.force or args.replace_reviewed
    todo = [p for p in unique if force or not up_to_date(out_dir / f"{p.name}.{args.ext}", p, Path(model))]
    skipped = [p for p in unique if p not in set(todo)] if len(todo) < len(unique) else []
    writer = TableWriter(args.table) if args.table is not None else None
    if skipped:
        _err(f"skipping {len(skipped)} record{'s' if len(skipped) != 1 else ''} whose output is newer than "
             "the model and the record (--force re-annotates them)")
    if skipped and writer is not None:
        for path in skipped:
            try:
                for lead, beats in tables_of_file(path, out_dir, args.ext):
                    writer.add(path.name, lead, beats)
            except EcgStudioError as exc:
                failures += 1
                _err(f"{path.name}: error: cannot read its output for --table: {exc}")
    total = len(todo)
    from ecgstudio.app.batch_annotate import auto_jobs, cpu_count, pool_outcomes

    jobs, threads = auto_jobs(total) if args.jobs == 0 else (min(args.jobs, max(total, 1)),
                                                              max(1, cpu_count() // max(args.jobs, 1)))
    if total:
        where = f"Ray cluster {args.ray}" if args.ray else f"{max(jobs, 1)} process{'es' if jobs > 1 else ''}"
        _err(f"annotating {total} record{'s' if total != 1 else ''} with {model} ({where})")
    progress = Progress(total)
    outcomes = 0
    ok = 0
    if total:
        if args.ray:
            from ecgstudio.app.ray_annotate import ray_outcomes

            stream = ray_outcomes(todo, out_dir, args.ext, model, args.per_lead, address=args.ray,
                                  replace_reviewed=args.replace_reviewed, table=args.table is not None,
                                  actors=args.jobs)
        elif jobs <= 1:
            stream = _local_outcomes(args, todo, out_dir, model)
        else:
            stream = pool_outcomes(todo, out_dir, args.ext, model, args.per_lead,
                                   replace_reviewed=args.replace_reviewed, table=args.table is not None,
                                   jobs=jobs, threads=threads)
        for i, outcome in enumerate(stream, 1):
            outcomes += 1
            if outcome.error is None:
                ok += 1
                if writer is not None:
                    for lead, beats in outcome.tables:
                        writer.add(outcome.record, lead, beats)
            else:
                failures += 1
            progress.line(_report_line(i, total, outcome))
            progress.advance()
    elapsed = progress.finish()
    if writer is not None:
        path = writer.close()
        _err(f"table: {writer.rows} beat rows -> {path}")
    rate = f" in {elapsed:.1f} s ({outcomes / elapsed:.1f} records/s)" if outcomes and elapsed > 0 else ""
    up = f", {len(skipped)} up to date (skipped)" if skipped else ""
    _err(f"done: {ok} written{up}, {failures} failed{rate}")
    if not records and not problems:
        return 1
    return 1 if failures else 0
