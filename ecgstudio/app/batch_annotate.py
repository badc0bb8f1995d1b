"""Throughput for ``ecgstudio annotate`` on archives of short records.

:func:`annotate_many` reads records in a background thread (overlapped with
the model and the decoder, which release the GIL), and annotates up to
:data:`GROUP` records together: clean records of the same length and rate for
a global track share model calls (:func:`~ecgstudio.ml.infer_batch.predict_proba_many`)
and one Viterbi loop (:func:`~ecgstudio.core.decode_batch.viterbi_paths`);
each is then decoded, merged with reviewed work and written alone. Per-lead
runs, records with partly unusable leads and records longer than
:data:`GROUP_MAX_S` take the per-record path (:func:`~ecgstudio.app.preannotate.preannotate`). The files are the same
as the per-record path's.

:func:`pool_outcomes` spreads chunks of records over worker processes, each
loading the model once with ``threads`` TensorFlow threads, so that
jobs x threads fits the cores (:func:`auto_jobs`).
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from ecgstudio.app.annotate import Outcome, finish_record
from ecgstudio.core.errors import EcgStudioError

#: Records annotated together (shared model calls and Viterbi loop).
GROUP = 16

#: Longest record annotated in a group (seconds). A longer one fills model batches on its own, so it is
#: annotated (and reported) as soon as it is read instead of waiting for a group to fill.
GROUP_MAX_S = 60.0

#: Bytes of signal files read ahead at most (a record takes 2-4 times its file size in memory as float32
#: signal): hundreds of ten-second 12-lead records, one 24-hour two-lead record at a time.
READ_AHEAD_BYTES = 64_000_000

#: Records per task sent to a worker process.
CHUNK = 32

#: Fewer records than this per extra worker are not worth its start-up (importing TensorFlow and loading the
#: model: 5-10 s on 2 busy cores, against a 15-25 % higher rate; bench/bench_archive.py).
RECORDS_PER_WORKER = 250


def cpu_count() -> int:
    """CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def auto_jobs(total: int, cores: int | None = None) -> tuple[int, int]:
    """``(worker processes, TensorFlow threads each)`` for ``total`` records: one worker per core once
    there are enough records to repay each worker's start-up, threads so that jobs x threads = cores."""
    cores = cpu_count() if cores is None else cores
    jobs = max(1, min(cores, total // RECORDS_PER_WORKER))
    return jobs, max(1, cores // jobs)


def set_threads(threads: int) -> None:
    """Limit TensorFlow (intra- and inter-op) and BLAS/OpenMP threads; call before TensorFlow starts."""
    for var in ("TF_NUM_INTRAOP_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1" if threads <= 2 else "2"


def _read(path: Path, per_lead: bool = False) -> tuple[Path, Any, Any, float, Outcome | None, Any]:
    """Read one record and check its leads; for a record the batched path takes, also prepare its leads
    for the model (in the reader thread, overlapped with the model and the decoder)."""
    from ecgstudio.core.quality import assess_leads
    from ecgstudio.io.records import read_record

    start = time.perf_counter()
    name = path.name
    try:
        record = read_record(path)
        quality = assess_leads(record.signal, record.fs)
        prepared = None
        if _batchable(record, quality, per_lead):
            from ecgstudio.app.preannotate import usable_signal
            from ecgstudio.ml.preprocess import prepare_leads

            prepared = prepare_leads(usable_signal(record.signal, list(quality.usable_leads), quality), record.fs)
        return path, record, quality, start, None, prepared
    except EcgStudioError as exc:
        error = str(exc)
    except (OSError, ValueError) as exc:
        error = f"{name}: {exc}"
    except MemoryError:
        error = f"{name}: out of memory"
    return path, None, None, start, Outcome(name, None, 0, time.perf_counter() - start, error), None


def _size(path: Path) -> int:
    """Bytes of the record's signal file (``.dat``/``.mat``; 0 when neither is there): a cheap proxy of
    its size in memory (float32 per sample, 1-2 bytes per sample on disk)."""
    for suffix in (".dat", ".mat"):
        try:
            return path.with_name(path.name + suffix).stat().st_size
        except OSError:
            continue
    return 0


def _read_ahead(paths: Sequence[Path], ahead: int, per_lead: bool,
                budget: int = READ_AHEAD_BYTES) -> Iterator[tuple[Path, Any, Any, float, Outcome | None, Any]]:
    """Records read (and prepared) in a background thread, in order: at most ``ahead`` records and
    ``budget`` bytes of signal files waiting at a time, always at least one; so a folder of 24-hour
    records holds one or two in memory, not dozens."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecgstudio-read") as pool:
        queue: deque[tuple[Future, int]] = deque()
        it = iter(paths)
        waiting = 0
        following: Path | None = next(it, None)
        while following is not None or queue:
            while following is not None:
                size = _size(following)
                if queue and (len(queue) >= ahead or waiting + size > budget):
                    break
                queue.append((pool.submit(_read, following, per_lead), size))
                waiting += size
                following = next(it, None)
            future, size = queue.popleft()
            waiting -= size
            yield future.result()


def _batchable(record: Any, quality: Any, per_lead: bool) -> bool:
    leads = list(quality.usable_leads)
    return (not per_lead and bool(leads) and not any(len(quality.spans(k)) for k in leads)
            and record.n_samples <= GROUP_MAX_S * record.fs)


def _predict_group(items: list[tuple[Path, Any, Any, float, Outcome | None, Any]],
                   model: str | None) -> list[list[Any]]:
    """Global tracks of clean records of one length and rate, in shared model calls and Viterbi loop."""
    from ecgstudio.app.preannotate import load_model, remember_quality, usable_signal
    from ecgstudio.core.decode import decode
    from ecgstudio.core.decode_batch import viterbi_paths
    from ecgstudio.ml.infer_batch import predict_proba_many

    keras_model, metadata = load_model(model)
    fs = items[0][1].fs
    usable = [usable_signal(record.signal, list(quality.usable_leads), quality) for _, record, quality, *_ in items]
    probs = predict_proba_many(keras_model, metadata, usable, fs, prepared=[item[5] for item in items])
    paths = viterbi_paths(probs, fs)
    out = []
    for (_, _, quality, *_), p, sig, path in zip(items, probs, usable, paths, strict=True):
        track = decode(p, sig, fs, lead=None, name="model", path=path)
        remember_quality(track, quality)
        out.append([track])
    return out


def annotate_many(
    paths: Sequence[Path],
    out_dir: Path,
    ext: str,
    model: str | None,
    per_lead: bool,
    *,
    replace_reviewed: bool = False,
    table: bool = False,
    group: int = GROUP,
    model_ready: Callable[[], object] | None = None,
) -> Iterator[Outcome]:
    """Outcomes of ``paths`` in order, as :func:`~ecgstudio.app.annotate.annotate_one` gives them one by one.

    Never raises for a bad record: a group whose shared prediction fails is
    retried record by record, so the failure is reported for its record only.
    ``model_ready`` (e.g. a background model load's ``Future.result``) is
    called before the first prediction; what it raises (a model that cannot
    be loaded) ends the run.
    """
    from ecgstudio.app.preannotate import preannotate

    pending: list[tuple[Path, Any, Any, float, Outcome | None, Any]] = []

    def flush() -> Iterator[Outcome]:
        if model_ready is not None and pending:
            model_ready()
        tracks: dict[int, list[Any]] = {}
        groups: dict[tuple[int, float], list[int]] = {}
        for i, (_, record, _, _, failed, prepared) in enumerate(pending):
            if failed is None and prepared is not None:
                groups.setdefault((record.n_samples, record.fs), []).append(i)
        for members in groups.values():
            try:
                for i, t in zip(members, _predict_group([pending[i] for i in members], model), strict=True):
                    tracks[i] = t
            except (EcgStudioError, OSError, ValueError, MemoryError):
                pass  # each record alone below: the failure is reported for its record
        for i, (path, record, _, start, failed, _) in enumerate(pending):
            if failed is not None:
                yield failed
                continue
            if i not in tracks:
                try:
                    tracks[i] = preannotate(record, model, per_lead=per_lead)
                except EcgStudioError as exc:
                    yield Outcome(path.name, None, 0, time.perf_counter() - start, str(exc))
                    continue
                except (OSError, ValueError) as exc:
                    yield Outcome(path.name, None, 0, time.perf_counter() - start, f"{path.name}: {exc}")
                    continue
                except MemoryError:
                    yield Outcome(path.name, None, 0, time.perf_counter() - start, f"{path.name}: out of memory")
                    continue
            yield finish_record(path, record, tracks.pop(i), out_dir, ext, model,
                                replace_reviewed=replace_reviewed, table=table, start=start)
        pending.clear()

    for item in _read_ahead(paths, ahead=2 * group, per_lead=per_lead):
        pending.append(item)
        alone = item[4] is None and item[5] is None  # read, but not for the shared path (long, per-lead...)
        if alone or len(pending) >= group:  # never hold a long record back in a group
            yield from flush()
    yield from flush()


_worker_error: str | None = None


def _worker_init(model: str | None, threads: int) -> None:
    """Limit threads and load the model once per worker process; remember a failure instead of dying."""
    global _worker_error
    set_threads(threads)
    from ecgstudio.app.preannotate import load_model

    try:
        load_model(model)
    except EcgStudioError as exc:
        _worker_error = str(exc)


def _worker_chunk(paths: list[Path], out_dir: Path, ext: str, model: str | None, per_lead: bool,
                  replace_reviewed: bool, table: bool) -> list[Outcome]:
    if _worker_error is not None:
        return [Outcome(p.name, None, 0, 0.0, _worker_error) for p in paths]
    return list(annotate_many(paths, out_dir, ext, model, per_lead, replace_reviewed=replace_reviewed,
                              table=table))


def pool_outcomes(paths: Sequence[Path], out_dir: Path, ext: str, model: str, per_lead: bool, *,
                  replace_reviewed: bool, table: bool, jobs: int, threads: int) -> Iterator[Outcome]:
    """Outcomes of ``paths`` (in completion order) from ``jobs`` worker processes.

    Raises
    ------
    EcgStudioError
        If a worker process dies.
    """
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # TensorFlow does not survive fork
    chunk = max(1, min(CHUNK, -(-len(paths) // (4 * jobs))))
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_worker_init,
                             initargs=(model, threads)) as pool:
        futures = [pool.submit(_worker_chunk, list(paths[lo:lo + chunk]), out_dir, ext, model, per_lead,
                               replace_reviewed, table)
                   for lo in range(0, len(paths), chunk)]
        for future in as_completed(futures):
            try:
                yield from future.result()
            except BrokenProcessPool as exc:
                raise EcgStudioError(f"a worker process died ({exc})") from None
