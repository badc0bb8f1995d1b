"""The model metadata schema: the ``.json`` half of a model pair, what it may hold and what inference reads.

:data:`METADATA_FORMAT`, the class names :data:`CLASSES`, the default and allowed training/inference windows,
:func:`inference_settings` (the inference window, hop and taper written for a training window) and
:func:`check_metadata` (the schema check every ``.json`` passes). Reading and writing the files is
:mod:`ecgstudio.ml.model`'s (``read_metadata``, ``write_metadata``), which re-exports every name here.

No TensorFlow: importing this module stays instant.
"""

from __future__ import annotations

import os
from typing import Any

from ecgstudio.core.errors import ModelError
from ecgstudio.core.waves import SegmentClass
from ecgstudio.ml.rates import MODEL_FS

#: Identifier of the metadata schema written into every ``.json``.
METADATA_FORMAT = "ecgstudio-model/1"

#: Class names, index = class code (``SegmentClass``).
CLASSES: tuple[str, ...] = tuple(c.name for c in sorted(SegmentClass))

#: Default window length and hop used in training and inference, in samples at MODEL_FS.
DEFAULT_WINDOW_SAMPLES = 1000
DEFAULT_HOP_SAMPLES = 500

#: Shortest window (samples at MODEL_FS) a model may declare: what ``ecgstudio train`` accepts (0.26 s).
MIN_WINDOW_SAMPLES = 64

#: Longest window a model may declare (10 min at MODEL_FS): longer ones only waste memory.
MAX_WINDOW_SAMPLES = 150_000

#: Windows may overlap at most this much: ``hop >= window / MAX_OVERLAP_FACTOR`` (each sample inferred at most 16
#: times; a hop of 1 would run the model once per sample).
MAX_OVERLAP_FACTOR = 16

#: Inference runs windows this many times the training window (fewer, longer windows: less per-step overhead of
#: the recurrent layer; the shipped model was measured at 2000/1750/250, models/README.md).
INFERENCE_WINDOW_FACTOR = 2


def inference_settings(window_samples: int) -> dict[str, int]:
    """The inference window, hop and taper that training writes for a model trained on ``window_samples``.

    The window is :data:`INFERENCE_WINDOW_FACTOR` training windows (at most :data:`MAX_WINDOW_SAMPLES`); the
    taper ramp is a quarter of the training window (the training default) and the hop leaves exactly one ramp
    of overlap, so neighbouring windows crossfade linearly. ``window_samples=1000`` gives the shipped model's
    ``2000`` / ``1750`` / ``250``.

    Returns
    -------
    dict
        ``inference_window_samples``, ``inference_hop_samples``, ``taper_samples`` (samples at
        :data:`~ecgstudio.ml.preprocess.MODEL_FS`), the keys :func:`ecgstudio.ml.infer.window_config` reads.
    """
    window = min(INFERENCE_WINDOW_FACTOR * int(window_samples), MAX_WINDOW_SAMPLES)
    taper = max(1, min(int(window_samples) // 4, window // 2))
    return {"inference_window_samples": window, "inference_hop_samples": window - taper, "taper_samples": taper}


#: Fields whose type :func:`check_metadata` checks when present: name -> (allowed types, description).
_FIELD_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "format": ((str,), "a text"),
    "classes": ((list,), "a list of class names"),
    "lead_handling": ((str,), "a text"),
    "preprocessing": ((dict,), "an object"),
    "architecture": ((dict,), "an object"),
    "training_data": ((dict,), "an object"),
    "split": ((dict, type(None)), "an object with train/validation/test lists of record names"),
    "metrics": ((dict, type(None)), "an object"),
    "history": ((dict, type(None)), "an object"),
    "parent_model": ((str, dict, type(None)), "a model name, an object or null"),
    "created": ((str, type(None)), "a date text or null"),
    "package_version": ((str, type(None)), "a text or null"),
}

#: Integer fields (samples at MODEL_FS); the window/hop ones are range-checked by :func:`check_metadata`.
_INT_FIELDS = ("window_samples", "hop_samples", "inference_window_samples", "inference_hop_samples",
               "taper_samples", "seed")

#: Of those, the ones that may be ``null`` (inference then uses the default taper; the seed is informative).
_NULLABLE = frozenset({"taper_samples", "seed"})

#: Lists of record names inside ``split``.
_SPLIT_LISTS = ("train", "validation", "test")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_metadata(meta: Any, where: str | os.PathLike[str], *, complete: bool = True) -> dict[str, Any]:
    """Check model metadata against the schema ECG Studio reads; returns it unchanged.

    Parameters
    ----------
    meta : Any
        The parsed ``.json``.
    where : path
        The file, for messages.
    complete : bool
        Also require what inference needs (``format``, ``classes``, ``input_fs``, ``window_samples``,
        ``hop_samples``) with compatible values; ``False`` checks only the types of the fields present
        (listing models, whose ``.json`` may be partial).

    Raises
    ------
    ModelError
        One line naming the file and the field: wrong type (``"split": "sel100"``, ``"split": null`` inside
        a required list, ``"window_samples": "1000"``), out of range (a window of 1 sample, a hop larger than
        the window or smaller than a sixteenth of it), or incompatible (format, classes, input_fs).
    """
    where = str(where)
    if not isinstance(meta, dict):
        raise ModelError(f"corrupt model metadata {where}: not a JSON object")
    for key, (types, description) in _FIELD_TYPES.items():
        if key in meta and not isinstance(meta[key], types):
            raise ModelError(f"corrupt model metadata {where}: {key!r} must be {description}, "
                             f"got {_short(meta[key])}")
    for key in _INT_FIELDS:
        if key in meta and not _is_int(meta[key]) and not (key in _NULLABLE and meta[key] is None):
            raise ModelError(f"corrupt model metadata {where}: {key!r} must be an integer, got {_short(meta[key])}")
    if "classes" in meta and not all(isinstance(c, str) for c in meta["classes"]):
        raise ModelError(f"corrupt model metadata {where}: 'classes' must be a list of class names")
    split = meta.get("split")
    if isinstance(split, dict):
        for key in _SPLIT_LISTS:
            names = split.get(key, [])
            if not isinstance(names, list) or not all(isinstance(n, str) and n and "\0" not in n for n in names):
                raise ModelError(f"corrupt model metadata {where}: split {key!r} must be a list of record names, "
                                 f"got {_short(names)}")
    if "input_fs" in meta and (isinstance(meta["input_fs"], bool) or not isinstance(meta["input_fs"], int | float)):
        raise ModelError(f"corrupt model metadata {where}: 'input_fs' must be a number, "
                         f"got {_short(meta['input_fs'])}")
    if complete:
        if meta.get("format") != METADATA_FORMAT:
            raise ModelError(f"incompatible model metadata {where}: format {_short(meta.get('format'))}, "
                             f"expected {METADATA_FORMAT!r}")
        if list(meta.get("classes", [])) != list(CLASSES):
            raise ModelError(f"incompatible model {where}: classes {_short(meta.get('classes'))}, "
                             f"expected {list(CLASSES)}")
        if meta.get("input_fs") != MODEL_FS:
            raise ModelError(f"incompatible model {where}: input_fs {_short(meta.get('input_fs'))}, "
                             f"expected {MODEL_FS}")
        for key in ("window_samples", "hop_samples"):
            if key not in meta:
                raise ModelError(f"incompatible model metadata {where}: {key!r} is missing")
    for window_key, hop_key in (("window_samples", "hop_samples"),
                                ("inference_window_samples", "inference_hop_samples")):
        window, hop = meta.get(window_key), meta.get(hop_key)
        if window is not None and not MIN_WINDOW_SAMPLES <= window <= MAX_WINDOW_SAMPLES:
            raise ModelError(f"incompatible model metadata {where}: bad {window_key} {window} (need "
                             f"{MIN_WINDOW_SAMPLES}..{MAX_WINDOW_SAMPLES} samples at {MODEL_FS} Hz)")
        if hop is not None and hop <= 0:
            raise ModelError(f"incompatible model metadata {where}: bad {hop_key} {hop} (must be positive)")
        if window is not None and hop is not None:
            if hop > window:
                raise ModelError(f"incompatible model metadata {where}: hop larger than window ({hop_key} {hop} > "
                                 f"{window_key} {window})")
            if hop * MAX_OVERLAP_FACTOR < window:
                raise ModelError(f"incompatible model metadata {where}: bad {hop_key} {hop} (at least 1/"
                                 f"{MAX_OVERLAP_FACTOR} of the {window}-sample window)")
    if ("inference_window_samples" in meta) != ("inference_hop_samples" in meta):
        raise ModelError(f"incompatible model metadata {where}: inference_window_samples and inference_hop_samples "
                         "go together")
    taper = meta.get("taper_samples")
    if taper is not None:
        window = meta.get("inference_window_samples", meta.get("window_samples", DEFAULT_WINDOW_SAMPLES))
        if not 1 <= taper <= window // 2:
            raise ModelError(f"incompatible model metadata {where}: bad taper_samples {taper} "
                             f"(need 1..{window // 2})")
    return meta
