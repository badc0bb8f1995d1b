"""Pre-annotation: a record in, model tracks out (used by ``annotate`` and the GUI).

The model pair is loaded once per stem and kept (loading takes seconds):
:func:`load_model` caches it by path and file modification time, so a model
re-saved under the same name is reloaded. TensorFlow is imported by
``ecgstudio.ml`` only when a model is first loaded.

Unusable leads (:mod:`ecgstudio.core.quality`: flat, invalid, saturated or
clipped, disconnected, noisy stretches) are checked before fusion: the global
track is decoded from the mean probabilities of the leads usable at each
sample, its peaks come from those leads only, and where no lead is usable it
has no waves. A clean record takes exactly the former path (one fused
inference); leads unusable over the whole record are simply left out; only
records with partly unusable leads are inferred lead by lead and fused sample
by sample. :func:`prediction_quality` tells which stretches were excluded.
Segmented inference and the fusion of usable leads live in
:mod:`ecgstudio.app._usable_inference`, re-exported here.
"""

from __future__ import annotations

import os
import threading
import weakref
from pathlib import Path
from typing import Any

import numpy as np

from ecgstudio import paths
from ecgstudio.app._usable_inference import SEGMENT_OVERLAP_S as SEGMENT_OVERLAP_S
from ecgstudio.app._usable_inference import SEGMENT_S as SEGMENT_S
from ecgstudio.app._usable_inference import (
    CancelFn,
    ProgressFn,
    _no_waves,
    _scaled,
    _usable_signal,
    fuse_usable_leads,
    predict_in_segments,
)
from ecgstudio.app._usable_inference import usable_signal as usable_signal
from ecgstudio.core.decode import decode
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.quality import LeadQuality, assess_leads
from ecgstudio.core.record import Record
from ecgstudio.paths import default_model_path

#: Share of the progress bar given to inference (the rest is decoding).
_INFERENCE_SHARE = 0.9

_lock = threading.Lock()
_cache: dict[Path, tuple[float, Any, dict[str, Any]]] = {}
_quality: weakref.WeakKeyDictionary[Delineation, LeadQuality] = weakref.WeakKeyDictionary()


def resolve_model_stem(model_stem: str | os.PathLike[str] | None = None) -> Path:
    """Absolute stem of a model pair (``None``: the shipped default model).

    Accepts a stem (``models/default``) or the pair's ``.keras``/``.json`` file.
    """
    if model_stem is None:
        return default_model_path()
    return paths.model_stem(Path(os.fspath(model_stem)).expanduser()).absolute()


def load_model(model_stem: str | os.PathLike[str] | None = None) -> tuple[Any, dict[str, Any]]:
    """The model pair at ``model_stem``, loaded once and then served from a cache.

    Returns
    -------
    model : keras.Model
    metadata : dict

    Raises
    ------
    ModelError
        If the pair is missing, corrupt or incompatible (one-line message).
    """
    from ecgstudio.ml.model import load_model_pair

    stem = resolve_model_stem(model_stem)
    keras_file = paths.model_files(stem).keras
    try:
        mtime = keras_file.stat().st_mtime
    except OSError:
        mtime = -1.0
    with _lock:
        hit = _cache.get(stem)
        if hit is not None and hit[0] == mtime:
            return hit[1], hit[2]
        model, metadata = load_model_pair(stem)
        _cache[stem] = (mtime, model, metadata)
        return model, metadata


def clear_model_cache() -> None:
    """Forget every loaded model (frees memory; the next use reloads)."""
    with _lock:
        _cache.clear()


def prediction_quality(track: Delineation) -> LeadQuality | None:
    """The lead quality behind a track returned by :func:`preannotate` (``None`` for other tracks).

    Tracks rebuilt from it (e.g. by :func:`label_from_beat_file`) are other
    tracks: ask before relabelling.
    """
    return _quality.get(track)


def remember_quality(track: Delineation, quality: LeadQuality) -> None:
    """Make :func:`prediction_quality` give ``quality`` for a track predicted outside :func:`preannotate`."""
    _quality[track] = quality


def preannotate(
    record: Record,
    model_stem: str | os.PathLike[str] | None = None,
    *,
    per_lead: bool = False,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    name: str = "model",
) -> list[Delineation]:
    """Model tracks of a record.

    Parameters
    ----------
    record : Record
        The signal to annotate, ``(n_samples, n_leads)`` mV at ``record.fs``.
        Wave positions are relative to ``record.signal[0]``.
    model_stem : path | None
        Model pair to use (stem, ``.keras`` or ``.json``); ``None`` = the
        shipped default model.
    per_lead : bool
        ``False``: one global track from the probabilities averaged over the
        leads usable at each sample (peaks from those leads). ``True``: one
        track per lead, each from that lead's own probabilities and signal,
        without waves where the lead itself is unusable.
    progress : callable | None
        ``progress(fraction)`` with fraction in [0, 1] (called from the
        calling thread).
    cancel : callable | None
        Polled during inference; returning True raises
        :class:`ecgstudio.ml.cancel.Cancelled`.
    name : str
        Track name (per-lead tracks are named ``"<name> <lead name>"``).

    Returns
    -------
    list[Delineation]
        ``[global track]`` or one track per lead (``track.lead`` = lead index).
        :func:`prediction_quality` gives each track's
        :class:`~ecgstudio.core.quality.LeadQuality` (excluded stretches and
        why); a record without any usable lead gives empty tracks. Records
        longer than :data:`SEGMENT_S` are inferred in overlapping segments
        (:func:`predict_in_segments`) so a 24-hour Holter recording needs
        about a gigabyte less memory.

    Raises
    ------
    ModelError
        If the model cannot be loaded.
    """
    model, metadata = load_model(model_stem)
    return predict_tracks(model, metadata, record, per_lead=per_lead, progress=progress, cancel=cancel, name=name)


def predict_tracks(
    model: Any,
    metadata: dict[str, Any],
    record: Record,
    *,
    per_lead: bool = False,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    name: str = "model",
) -> list[Delineation]:
    """Record -> probabilities -> tracks with a loaded model: the one pipeline of pre-annotation
    (editor and ``annotate``), ``evaluate`` and the held-out scores of fine-tuning.

    Lead quality is assessed (:func:`~ecgstudio.core.quality.assess_leads`), the usable leads are
    inferred (:func:`predict_in_segments`) and decoded (:func:`~ecgstudio.core.decode.decode`).
    Parameters and result as :func:`preannotate`, whose model pair is loaded already:
    ``model`` ``(batch, T, 1) -> (batch, T, 6)`` and its checked ``metadata``.
    """
    from ecgstudio.ml.infer import predict_proba, predict_proba_per_lead

    signal, fs, n = record.signal, record.fs, record.n_samples
    quality = assess_leads(signal, fs)
    leads = list(quality.usable_leads)
    infer_progress = _scaled(progress, 0.0, _INFERENCE_SHARE)
    if not per_lead:
        if not leads:
            tracks = [Delineation((), n_samples=n, fs=fs, lead=None, name=name)]
        elif not any(len(quality.spans(k)) for k in leads):  # clean, or whole leads left out
            usable = _usable_signal(signal, leads, quality, relative=True)
            probs = predict_in_segments(predict_proba, model, metadata, usable, fs, progress=infer_progress,
                                        cancel=cancel)
            tracks = [decode(probs, usable, fs, lead=None, name=name)]
        else:
            usable = _usable_signal(signal, leads, quality, relative=True)
            probs = predict_in_segments(predict_proba_per_lead, model, metadata, usable, fs,
                                        progress=infer_progress, cancel=cancel,
                                        reduce=fuse_usable_leads(quality, leads))
            tracks = [decode(probs, usable, fs, lead=None, name=name,
                             excluded=[quality.spans(k) for k in leads], unannotated=quality.unusable_spans())]
    else:
        usable = _usable_signal(signal, leads, quality, relative=False) if leads else signal[:, :0]
        all_probs = (predict_in_segments(predict_proba_per_lead, model, metadata, usable, fs,
                                         progress=infer_progress, cancel=cancel) if leads else None)
        tracks = []
        for lead in range(record.n_leads):
            track_name = f"{name} {record.lead_names[lead]}"
            if lead not in leads or all_probs is None:
                tracks.append(Delineation((), n_samples=n, fs=fs, lead=lead, name=track_name))
            else:
                col = leads.index(lead)
                spans = quality.spans(lead, relative=False)
                probs = np.ascontiguousarray(all_probs[col])
                if len(spans):
                    probs = _no_waves(probs.copy(), spans)
                tracks.append(decode(probs, usable[:, col], fs, lead=lead, name=track_name, unannotated=spans))
            if progress is not None:
                progress(_INFERENCE_SHARE + (1 - _INFERENCE_SHARE) * (lead + 1) / record.n_leads)
    if progress is not None:
        progress(1.0)
    for track in tracks:
        _quality[track] = quality
    return tracks


def label_from_beat_file(
    tracks: list[Delineation],
    record_path: str | os.PathLike[str],
    *,
    start_sample: int = 0,
    tolerance_s: float | None = None,
) -> tuple[list[Delineation], int]:
    """Tracks whose QRS complexes carry the beat labels of the record's beat file (``atr``).

    Each QRS complex that matches a beat annotation (within ``tolerance_s`` of
    its peak, or inside it; :func:`ecgstudio.core.beat_labels.label_qrs`) gets
    that beat's symbol (``V``, ``A``, ``L`` ...); the others, and all P and T
    waves, are unchanged. Without a beat file the tracks come back as given.

    Parameters
    ----------
    tracks : list[Delineation]
        Tracks of the record (e.g. from :func:`preannotate`).
    record_path : str | os.PathLike
        Record path without extension; the beat file is read from beside it
        (:func:`ecgstudio.io.beats.read_beat_file`: ``atr``, else another
        beat-only file).
    start_sample : int
        Sample of the full record at which the tracks' sample 0 lies
        (``Record.start_sample`` for a partial record).
    tolerance_s : float | None
        Largest peak-to-beat distance in seconds; ``None`` = 150 ms.

    Returns
    -------
    tracks : list[Delineation]
        One per given track, in order: the same object where nothing changed,
        else a new track with the same name, lead, length and ``fs``.
    n_matched : int
        QRS complexes that matched a beat annotation (over all tracks).

    Raises
    ------
    AnnotationError
        If the record's ``atr`` exists but is corrupt or written for another
        sampling frequency.
    """
    from ecgstudio.core.beat_labels import DEFAULT_TOLERANCE_S, label_qrs
    from ecgstudio.io.beats import read_beat_file

    out = list(tracks)
    if not out:
        return out, 0
    beats = read_beat_file(record_path, fs=out[0].fs)
    if beats is None:
        return out, 0
    samples = beats.samples - int(start_sample)
    tolerance = DEFAULT_TOLERANCE_S if tolerance_s is None else float(tolerance_s)
    n_matched = 0
    for i, track in enumerate(out):
        waves, matched = label_qrs(track.waves, samples, beats.symbols, track.fs, tolerance)
        n_matched += matched
        if any(new is not old for new, old in zip(waves, track.waves, strict=True)):
            out[i] = Delineation(waves, n_samples=track.n_samples, fs=track.fs, lead=track.lead,
                                 name=track.name)
    return out, n_matched
