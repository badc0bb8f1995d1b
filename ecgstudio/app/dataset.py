"""Training data from a WFDB database with delineation annotations (QTDB layout).

Labels
------
* ``q1c`` (manual, global track): every lead of the record is trained on the
  same labels. Masks come from :func:`ecgstudio.core.masks.to_mask` with the
  record's ``atr`` beats (or, where a record has no ``atr``, the QRS peaks of
  its ``pu0`` track) as ``beat_samples``, so beats the annotator skipped and
  regions minutes apart stay unlabelled (sample weight 0).
* Records whose ``q1c`` has no P wave at all: the T-offset -> QRS-onset gaps
  would be labelled TP although a P wave lies in them, so every TP sample of
  such a record is unlabelled; the other classes still count.
* ``pu0``/``pu1`` (ecgpuwave, whole record, one per signal) for pre-training:
  ``pu<k>`` labels lead ``k`` only.

Windows are cut where at least half of the window is labelled.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import EcgStudioError
from ecgstudio.core.masks import to_mask
from ecgstudio.core.waves import SegmentClass, WaveKind
from ecgstudio.io.annotations import read_beats, read_tracks
from ecgstudio.io.records import list_records, read_header, read_record
from ecgstudio.ml.batches import WindowSet, labelled_window_starts
from ecgstudio.ml.preprocess import MODEL_FS, prepare_lead

LogFn = Callable[[str], None]


@dataclass(frozen=True)
class LabelledLead:
    """One prepared lead with its labels, at the model rate.

    Attributes
    ----------
    record : str
        Record name.
    lead : int
        Lead index in the record.
    signal : np.ndarray
        float32 ``(m,)``, output of :func:`prepare_lead`.
    classes : np.ndarray
        int8 ``(m,)`` segment classes.
    weights : np.ndarray
        float32 ``(m,)``: 1 where labelled, 0 elsewhere.
    """

    record: str
    lead: int
    signal: np.ndarray
    classes: np.ndarray
    weights: np.ndarray


@dataclass(frozen=True)
class Split:
    """Record-level split: test records are never trained on or used for model selection."""

    train: tuple[str, ...]
    validation: tuple[str, ...]
    test: tuple[str, ...]

    def as_dict(self) -> dict[str, list[str]]:
        """JSON form ``{"train": [...], "validation": [...], "test": [...]}``."""
        return {"train": list(self.train), "validation": list(self.validation), "test": list(self.test)}


def annotated_records(data_dir: str | os.PathLike[str], ext: str = "q1c") -> list[Path]:
    """Records of ``data_dir`` that have an ``ext`` annotation file, in natural order."""
    return [p for p in list_records(data_dir) if p.with_name(f"{p.name}.{ext}").is_file()]


def _has_kind(track: Delineation, kind: WaveKind) -> bool:
    return any(w.kind is kind for w in track.waves)


def split_records(
    names: Sequence[str],
    *,
    seed: int,
    n_test: int = 20,
    n_val: int = 10,
    test_candidates: Sequence[str] | None = None,
) -> Split:
    """Deterministic record-level split from the seed.

    Parameters
    ----------
    names : sequence of str
        All usable record names.
    seed : int
        The same seed and names give the same split.
    n_test, n_val : int
        Numbers of test and validation records.
    test_candidates : sequence of str | None
        Records allowed in test/validation (e.g. those with complete P/QRS/T
        labels); the others always go to training. ``None``: all.

    Returns
    -------
    Split
        Sorted name tuples.
    """
    names = sorted(set(names))
    candidates = sorted(set(test_candidates if test_candidates is not None else names) & set(names))
    if n_test + n_val > len(candidates) or n_test + n_val >= len(names):
        raise EcgStudioError(f"cannot split {len(names)} records into {n_test} test and {n_val} validation records "
                             "and still train")
    order = np.random.default_rng(seed).permutation(len(candidates))
    test = sorted(candidates[i] for i in order[:n_test])
    val = sorted(candidates[i] for i in order[n_test:n_test + n_val])
    held = set(test) | set(val)
    train = sorted(n for n in names if n not in held)
    return Split(tuple(train), tuple(val), tuple(test))


def _beat_samples(record: Path, n_samples: int, fs: float) -> np.ndarray | None:
    if record.with_name(f"{record.name}.atr").is_file():
        return read_beats(record, "atr")[0]
    if record.with_name(f"{record.name}.pu0").is_file():
        tracks = read_tracks(record, "pu0", n_samples=n_samples, fs=fs)
        return np.array([w.peak if w.peak is not None else w.start
                         for t in tracks for w in t.waves if w.kind is WaveKind.QRS], dtype=np.int64)
    return None


def _to_model_rate(values: np.ndarray, fs: float, m: int) -> np.ndarray:
    """Nearest-sample mapping of a per-sample label array to the model grid (length ``m``)."""
    if values.size == 0 or m == 0:
        return np.zeros(m, dtype=values.dtype)
    pos = np.minimum(np.round(np.arange(m) * (fs / MODEL_FS)).astype(np.int64), values.size - 1)
    return values[pos]


def load_labelled_leads(record: str | os.PathLike[str], ext: str = "q1c", *,
                        tp_without_p: bool | None = None, every_lead: bool = False) -> list[LabelledLead]:
    """Prepared leads of one record with the labels of annotation file ``ext``.

    ``ext`` holding a global track labels every lead; per-lead tracks (``pu0``)
    label their own lead only. Records whose global track has no P wave get
    their TP samples unlabelled (see the module docs).

    ``tp_without_p`` (fine-tuning) overrides that rule for every track without
    a P wave: ``True`` labels its TP samples ("no P wave here" is a statement,
    e.g. reviewed atrial fibrillation), ``False`` leaves them unlabelled (a P
    wave may lie there). ``None``: global tracks unlabelled, per-lead labelled.

    ``every_lead`` labels every lead with each track, per-lead ones too: a
    per-lead file taken as the record's own boundaries, as a global track is.

    Returns
    -------
    list of LabelledLead
        One entry per labelled lead (possibly empty).
    """
    record = Path(record)
    rec = read_record(record)
    n, fs = rec.n_samples, rec.fs
    tracks = read_tracks(record, ext, n_samples=n, fs=fs, lead_names=rec.lead_names)
    beats = _beat_samples(record, n, fs)
    out: list[LabelledLead] = []
    for track in tracks:
        if not track.waves:
            continue
        classes, labelled = to_mask(track, beat_samples=beats)
        statement = track.lead is not None if tp_without_p is None else tp_without_p
        if not statement and not _has_kind(track, WaveKind.P):
            labelled &= classes != SegmentClass.TP
        leads = range(rec.n_leads) if track.lead is None or every_lead else [track.lead]
        for lead in leads:
            if lead >= rec.n_leads:
                continue
            x = prepare_lead(rec.signal[:, lead], fs)
            out.append(LabelledLead(
                record=rec.name, lead=lead, signal=x,
                classes=_to_model_rate(classes, fs, x.size).astype(np.int8),
                weights=_to_model_rate(labelled, fs, x.size).astype(np.float32),
            ))
    return out


def build_window_set(
    data_dir: str | os.PathLike[str],
    records: Sequence[str],
    *,
    ext: str = "q1c",
    window: int,
    hop: int,
    min_fraction: float = 0.5,
    jitter: int = 0,
    log: LogFn | None = None,
) -> WindowSet:
    """Training windows of some records of ``data_dir`` labelled by ``ext``.

    Parameters
    ----------
    data_dir : path
        WFDB folder.
    records : sequence of str
        Record names (``data_dir/<name>``).
    ext : str
        Annotation extension: ``q1c`` (global) or ``pu`` (meaning ``pu0`` for
        lead 0 and ``pu1`` for lead 1; any ``pu<k>`` files present are used).
    window, hop : int
        Window length and step in samples at 250 Hz.
    min_fraction : float
        Minimum labelled fraction of a window.
    jitter : int
        Random start shift when sampled for training (see :class:`WindowSet`).
    log : callable | None
        Receives one line per record that cannot be used.

    Returns
    -------
    WindowSet
        Holds only the labelled leads; windows indexed by (lead segment, start).
    """
    data_dir = Path(data_dir)
    signals: list[np.ndarray] = []
    classes: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    index: list[np.ndarray] = []
    for name in records:
        record = data_dir / name
        if ext == "pu":
            exts = sorted(p.suffix[1:] for p in data_dir.glob(f"{name}.pu[0-9]*"))
        else:
            exts = [ext]
        for one_ext in exts:
            try:
                leads = load_labelled_leads(record, one_ext)
            except EcgStudioError as exc:
                if log is not None:
                    log(f"skipping {name}.{one_ext}: {exc}")
                continue
            for lead in leads:
                starts = labelled_window_starts(lead.weights > 0, window, hop, min_fraction)
                if starts.size == 0:
                    continue
                seg = len(signals)
                signals.append(lead.signal)
                classes.append(lead.classes)
                weights.append(lead.weights)
                index.append(np.stack([np.full(starts.size, seg, dtype=np.int64), starts], axis=1))
    all_index = np.concatenate(index) if index else np.zeros((0, 2), dtype=np.int64)
    return WindowSet(signals, classes, weights, all_index, window, jitter=jitter)


def complete_records(data_dir: str | os.PathLike[str], names: Sequence[str], ext: str = "q1c") -> list[str]:
    """Those of ``names`` whose ``ext`` track has P, QRS and T waves (fit for every fiducial's test)."""
    data_dir = Path(data_dir)
    good = []
    for name in names:
        record = data_dir / name
        try:
            info = read_header(record)
            tracks = read_tracks(record, ext, n_samples=info.n_samples, fs=info.fs)
        except EcgStudioError:
            continue
        if tracks and all(_has_kind(tracks[0], k) for k in WaveKind):
            good.append(name)
    return good
