"""``ecgstudio evaluate``: score a model, and QTDB's own automatic annotators, against a reference.

Two protocols, side by side (:mod:`ecgstudio.core.protocols`):

* **global track vs one lead**: the model's global track (probabilities of all
  leads averaged, as pre-annotation does) and each *peer* annotation file (by
  default QTDB's ``pu0`` and ``pu1``: ecgpuwave run on lead 0 and on lead 1);
* **best lead**: per record and fiducial, the model's per-lead track closest
  to the reference (``model best lead``), and likewise the closest of the
  peers (``peers best lead``; Martínez et al. 2004). It uses the reference to
  choose, so it is optimistic, alike for both.

Scores are pooled over the records (Se, PPV, mean and SD per fiducial), and a
second table gives the pooled SD, the mean per-record SD and the per-beat QT
error (mean, SD, share of beats within 10 and 20 ms). The reference may be a
per-lead file such as LUDB's ``ii`` (``--ref-ext ii --peers``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ecgstudio.core.consensus import consensus_track
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import EcgStudioError, ModelError
from ecgstudio.core.metrics import DEFAULT_TOLERANCE_S, Fiducial, Score, format_table, pool, score_tracks
from ecgstudio.core.protocols import QtScore, best_lead, format_protocols, mean_record_sd, pool_qt, score_qt
from ecgstudio.core.record import Record

#: Label of the model column.
MODEL_COLUMN = "model"

#: Label of the model's best-lead column (per record and fiducial, the closest per-lead track).
MODEL_BEST_COLUMN = "model best lead"

#: Label of the peers' best-lead column (per record and fiducial, the closest peer).
PEERS_BEST_COLUMN = "peers best lead"

AnnotateFn = Callable[[Record], "Delineation | dict[str, Delineation]"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the sub-command's options."""
    parser.description = (
        "Score a model's pre-annotation, and the automatic annotations that come with the database "
        "(QTDB: pu0/pu1 = ecgpuwave on lead 0/1), against reference annotations (QTDB: q1c). "
        "Fiducials are matched within a tolerance; PPV counts only detections inside annotated beats."
    )
    parser.add_argument("--data", required=True, metavar="DIR", help="folder of WFDB records (e.g. QTDB)")
    parser.add_argument("--ref-ext", default="q1c",
                        help="reference annotation extension (default: q1c; LUDB: a lead's file such as ii, or "
                             "'leads': the multi-lead consensus of all per-lead files, for global tracks)")
    parser.add_argument("--model", default=None, metavar="M",
                        help="model path stem or .keras file (default: the bundled model)")
    parser.add_argument("--records", nargs="+", default=None, metavar="NAME",
                        help="records to score (default: the model's test records, else every record "
                             "with a reference file)")
    parser.add_argument("--peers", nargs="*", default=["pu0", "pu1"], metavar="EXT",
                        help="other annotation files to score side by side (default: pu0 pu1; none: --peers)")
    parser.add_argument("--tolerance-ms", type=float, default=DEFAULT_TOLERANCE_S * 1000,
                        help="matching tolerance in ms (default: 150)")
    parser.add_argument("--model-leads", action="store_true",
                        help="also show each per-lead track's column (they always feed 'model best lead')")
    parser.add_argument("--json", default=None, metavar="OUT", help="also write the results as JSON")
    parser.add_argument("--store", action="store_true",
                        help="keep the figures as the model's test metrics in its JSON (what the model chooser shows)")


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _clean(value: Any) -> Any:
    """NaN -> None, recursively (strict JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _tracks(record_path: Path, ext: str, record: Record) -> list[Delineation]:
    from ecgstudio.io.annotations import read_tracks

    if not record_path.with_name(f"{record_path.name}.{ext}").is_file():
        return []
    return read_tracks(record_path, ext, n_samples=record.n_samples, fs=record.fs, lead_names=record.lead_names)


def _reference(record_path: Path, ext: str, record: Record) -> Delineation | None:
    """The reference track; ``ext == "leads"``: the multi-lead consensus of the per-lead files (LUDB)."""
    from ecgstudio.app.finetune_data import ALL_LEADS_EXT, per_lead_files

    if ext != ALL_LEADS_EXT:
        return _first_track(record_path, ext, record)

    tracks = [t for e in per_lead_files(record_path, record.lead_names) for t in _tracks(record_path, e, record)]
    per_lead = [t for t in tracks if t.lead is not None]
    return consensus_track(per_lead, name="leads") if per_lead else None


def _first_track(record_path: Path, ext: str, record: Record) -> Delineation | None:
    tracks = _tracks(record_path, ext, record)
    return tracks[0] if tracks else None


def _scores(track: Delineation, reference: Delineation, tolerance_s: float,
            scored: dict[int, tuple[Score, QtScore]]) -> tuple[Score, QtScore]:
    """``track``'s fiducial and QT scores against ``reference``, computed once per track (``scored`` keeps them)."""
    if id(track) not in scored:
        scored[id(track)] = (score_tracks(reference, track, tolerance_s=tolerance_s),
                             score_qt(reference, track, tolerance_s=tolerance_s))
    return scored[id(track)]


def _qt_closeness(score: QtScore) -> tuple[int, float]:
    errors = np.abs(np.asarray(score.errors_ms, dtype=np.float64))
    return (-score.n_matched, float(errors.mean()) if errors.size else math.inf)


def score_records(
    data_dir: str | Path,
    records: Sequence[str],
    annotate: AnnotateFn | None,
    *,
    ref_ext: str = "q1c",
    peers: Sequence[str] = ("pu0", "pu1"),
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    log: Callable[[str], None] | None = _err,
    qt: dict[str, dict[str, QtScore]] | None = None,
) -> tuple[dict[str, Score], dict[str, dict[str, Score]], dict[str, str]]:
    """Score ``annotate(record)`` and the peer files on each record.

    Parameters
    ----------
    data_dir : path
        Folder holding the records.
    records : Sequence[str]
        Record names.
    annotate : callable | None
        ``annotate(record) -> Delineation`` (the model's column), or a dict
        ``{column: Delineation}`` for several model columns; ``None``: peers only.
    ref_ext, peers, tolerance_s
        Reference extension, peer extensions, matching tolerance (s).
    log : callable | None
        Receives one progress line per record.
    qt : dict | None
        Filled with record -> column -> :class:`QtScore` when given.

    Returns
    -------
    pooled : dict[str, Score]
        Column name -> score pooled over the records.
    per_record : dict[str, dict[str, Score]]
        Record -> column -> score.
    skipped : dict[str, str]
        Record -> why it was not scored.
    """
    from ecgstudio.io.records import read_record

    folder = Path(data_dir)
    per_record: dict[str, dict[str, Score]] = {}
    skipped: dict[str, str] = {}
    for i, name in enumerate(records, 1):
        start = time.perf_counter()
        path = folder / name
        try:
            record = read_record(path)
            reference = _reference(path, ref_ext, record)
            if reference is None or len(reference) == 0:
                skipped[name] = f"no {ref_ext} annotations"
                if log:
                    log(f"[{i}/{len(records)}] {name}: skipped (no {ref_ext} annotations)")
                continue
            tracks: dict[str, Delineation] = {}
            if annotate is not None:
                produced = annotate(record)
                tracks.update({MODEL_COLUMN: produced} if isinstance(produced, Delineation) else produced)
            peer_leads: list[Delineation] = []  # every single-lead track of every peer file
            for ext in peers:
                found = _tracks(path, ext, record)
                if found:
                    tracks[ext] = found[0]
                    peer_leads += found
            scored: dict[int, tuple[Score, QtScore]] = {}  # id(track) -> its scores: each track scored once

            row = {column: _scores(track, reference, tolerance_s, scored)[0] for column, track in tracks.items()}
            qt_row = {column: _scores(track, reference, tolerance_s, scored)[1] for column, track in tracks.items()}
            model_leads = [t for c, t in tracks.items() if c.startswith(f"{MODEL_COLUMN} lead ")]
            for column, members in ((MODEL_BEST_COLUMN, model_leads), (PEERS_BEST_COLUMN, peer_leads)):
                if len(members) > 1:
                    row[column] = best_lead([_scores(t, reference, tolerance_s, scored)[0] for t in members])[0]
                    qt_row[column] = min((_scores(t, reference, tolerance_s, scored)[1] for t in members), key=_qt_closeness)
            if qt is not None:
                qt[name] = qt_row
        except EcgStudioError as exc:
            skipped[name] = str(exc)
            if log:
                log(f"[{i}/{len(records)}] {name}: error: {exc}")
            continue
        per_record[name] = row
        if log:
            parts = [f"{col} {100 * score[Fiducial.R_PEAK].sensitivity:.0f}%" for col, score in row.items()
                     if col not in (MODEL_BEST_COLUMN, PEERS_BEST_COLUMN)]
            log(f"[{i}/{len(records)}] {name}: R-peak Se " + ", ".join(parts)
                + f" ({time.perf_counter() - start:.1f} s)")
    columns: list[str] = []
    for row in per_record.values():
        columns += [c for c in row if c not in columns]
    pooled = {c: pool(row[c] for row in per_record.values() if c in row) for c in columns}
    return pooled, per_record, skipped


def model_tracks(model: Any, metadata: dict[str, Any], record: Record, *, per_lead: bool = False,
                 ) -> dict[str, Delineation]:
    """The model's global track (and per-lead tracks) of a record, exactly as pre-annotation makes them.

    Both come from :func:`ecgstudio.app.preannotate.predict_tracks` (lead quality, inference, decoding), so
    ``evaluate`` scores what the editor and ``annotate`` write; ``per_lead`` runs it a second time for the
    per-lead tracks (``"model lead <index>"``).
    """
    from ecgstudio.app.preannotate import predict_tracks

    out = {MODEL_COLUMN: predict_tracks(model, metadata, record)[0]}
    if per_lead:
        for track in predict_tracks(model, metadata, record, per_lead=True):
            out[f"{MODEL_COLUMN} lead {track.lead}"] = track
    return out


def split_test_records(metadata: dict[str, Any], model: str | Path = "the model") -> list[str]:
    """The test records a model's metadata lists (``split.test``); empty when it lists none.

    Raises
    ------
    ModelError
        One line when ``split`` is not an object or ``split.test`` not a list of record names (a text such as
        ``"sel100"`` is refused, not read letter by letter).
    """
    split = metadata.get("split")
    if split is None:
        return []
    if not isinstance(split, dict):
        raise ModelError(f"corrupt model metadata {model}: 'split' must be an object with a 'test' list, "
                         f"got {type(split).__name__}")
    listed = split.get("test")
    if listed is None:
        return []
    if not isinstance(listed, list) or not all(isinstance(name, str) and name for name in listed):
        raise ModelError(f"corrupt model metadata {model}: split 'test' must be a list of record names, "
                         f"got {str(listed)[:40]!r}")
    return list(listed)


def _records_with(folder: Path, ext: str) -> list[str]:
    from ecgstudio.io.records import list_records

    return [p.name for p in list_records(folder) if p.with_name(f"{p.name}.{ext}").is_file()]


def evaluate_model(
    model_stem: str | Path | None,
    data_dir: str | Path,
    records: Sequence[str] | None = None,
    ref_ext: str = "q1c",
    peers: Sequence[str] = ("pu0", "pu1"),
    *,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    model_leads: bool = False,
    log: Callable[[str], None] | None = _err,
) -> dict[str, Any]:
    """Score a model pair (and the peer annotators) on records of a database.

    Parameters
    ----------
    model_stem : path | None
        Model pair (stem or ``.keras``); ``None``: the shipped default model.
    data_dir : path
        Folder of the records (e.g. the QT Database).
    records : Sequence[str] | None
        Record names; ``None``: the test records listed in the model's
        metadata, else every record that has a ``ref_ext`` file.
    ref_ext : str
        Reference annotation extension.
    peers : Sequence[str]
        Annotation extensions scored side by side with the model.
    tolerance_s : float
        Matching tolerance in seconds.
    model_leads : bool
        Also score the model's per-lead tracks (columns ``model lead 0`` ...),
        comparable with ``pu0``/``pu1``.
    log : callable | None
        Progress lines (default: stderr).

    Returns
    -------
    dict
        JSON-ready (NaN written as ``null``): ``model``, ``reference``,
        ``tolerance_ms``, ``records`` (scored), ``skipped`` ({record: reason}:
        no reference annotations), ``failed`` ({record: one-line error}),
        ``columns`` ({column: {fiducial: {n_reference, n_test, n_matched,
        sensitivity, ppv, mean_error_ms, sd_error_ms}}}), ``per_record``
        ({record: {column: {fiducial: ...}}}) and ``table`` (the text table).

    Raises
    ------
    ModelError
        If the model cannot be loaded.
    EcgStudioError
        If ``data_dir`` is not a folder or no record can be scored.
    """
    from ecgstudio.app.preannotate import load_model, resolve_model_stem
    from ecgstudio.paths import model_files

    folder = Path(data_dir)
    if not folder.is_dir():
        raise EcgStudioError(f"data folder not found: {folder}")
    stem = resolve_model_stem(model_stem)
    model, metadata = load_model(stem)
    if records is None:
        listed = split_test_records(metadata, model_files(stem).json)
        records = listed or _records_with(folder, ref_ext)
        if log:
            source = "the model's test records" if listed else f"every record with a {ref_ext} file"
            log(f"scoring {len(records)} records ({source})")
    if not records:
        raise EcgStudioError(f"no records to score in {folder}")

    def annotate(record: Record) -> dict[str, Delineation]:
        return model_tracks(model, metadata, record, per_lead=True)

    qt: dict[str, dict[str, QtScore]] = {}
    pooled, per_record, skipped = score_records(folder, list(records), annotate, ref_ext=ref_ext,
                                                peers=peers, tolerance_s=tolerance_s, log=log, qt=qt)
    if not per_record:
        raise EcgStudioError(f"none of the {len(records)} records could be scored against {ref_ext}")
    if not model_leads:  # the per-lead columns fed "model best lead"; shown only when asked for
        def shown(column: str) -> bool:
            return not column.startswith(f"{MODEL_COLUMN} lead ")

        pooled = {c: v for c, v in pooled.items() if shown(c)}
        per_record = {r: {c: v for c, v in row.items() if shown(c)} for r, row in per_record.items()}
    qt_pooled = {c: pool_qt(row[c] for row in qt.values() if c in row) for c in pooled}
    record_sd = {c: mean_record_sd(row[c] for row in per_record.values() if c in row) for c in pooled}
    title = (f"{len(per_record)} records of {folder}, reference {ref_ext}, tolerance "
             f"{tolerance_s * 1000:g} ms, model {stem.name}")
    result = {
        "model": str(stem),
        "reference": ref_ext,
        "tolerance_ms": tolerance_s * 1000,
        "records": list(per_record),
        "skipped": {r: why for r, why in skipped.items() if why == f"no {ref_ext} annotations"},
        "failed": {r: why for r, why in skipped.items() if why != f"no {ref_ext} annotations"},
        "columns": {c: s.summary() for c, s in pooled.items()},
        "per_record": {r: {c: s.summary() for c, s in row.items()} for r, row in per_record.items()},
        "mean_record_sd_ms": {c: {f.value: v for f, v in sds.items()} for c, sds in record_sd.items()},
        "qt": {c: q.summary() for c, q in qt_pooled.items()},
        "table": format_table(pooled, title=title) + "\n\n" + format_protocols(
            pooled, record_sd, qt_pooled, title="Protocols: pooled SD, mean per-record SD, per-beat QT error"),
    }
    return _clean(result)


def run(args: argparse.Namespace) -> int:
    """Run the sub-command; returns 0, or 1 if a record could not be read (the others are scored)."""
    if args.tolerance_ms <= 0:
        raise EcgStudioError(f"--tolerance-ms must be positive, got {args.tolerance_ms}")
    result = evaluate_model(args.model, args.data, args.records, args.ref_ext, tuple(args.peers),
                            tolerance_s=args.tolerance_ms / 1000, model_leads=args.model_leads)
    print(result["table"])
    if result["skipped"]:
        print(f"skipped (no {args.ref_ext}): {', '.join(result['skipped'])}")
    for record, why in result["failed"].items():
        _err(f"{record}: error: {why}")
    if args.json:
        out = Path(args.json).expanduser()
        try:
            out.write_text(json.dumps(result, indent=1, allow_nan=False) + "\n", encoding="utf-8")
        except OSError as exc:
            raise EcgStudioError(f"cannot write {out}: {exc.strerror or exc}") from None
        _err(f"results written to {out}")
    if args.store:
        from ecgstudio.app.stored_metrics import store_evaluation

        path = store_evaluation(args.model, args.data, result, records_given=args.records is not None,
                                tolerance_ms=args.tolerance_ms)
        _err(f"test metrics stored in {path}")
    return 1 if result["failed"] else 0
