"""The BiLSTM segmentation model: architecture, and the ``.keras`` + ``.json`` model pair.

TensorFlow/Keras is imported inside the functions only: ``import
ecgstudio.ml.model`` stays instant (docs/ARCHITECTURE.md §1).

Architecture (per-sample classification of one lead at :data:`MODEL_FS` Hz)::

    input (batch, T, 1)
    Dense(32, L2) -> Bidirectional(LSTM(32, return_sequences)) -> Dropout(0.2)
    -> BatchNormalization -> Dense(64, relu, L2) -> Dropout(0.2)
    -> BatchNormalization -> Dense(6, softmax)        output (batch, T, 6)

``T`` is free, so one model serves any window length.
"""

from __future__ import annotations

import json
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ecgstudio import __version__, atomic, safe_read
from ecgstudio.core.errors import ModelError
from ecgstudio.core.waves import SegmentClass
from ecgstudio.ml._tf import import_tensorflow_quietly
from ecgstudio.ml.rates import BASELINE_CUTOFF_HZ, MODEL_FS
from ecgstudio.paths import model_files, model_stem

#: Identifier of the metadata schema written into every ``.json``.
METADATA_FORMAT = "ecgstudio-model/1"

#: Class names, index = class code (``SegmentClass``).
CLASSES: tuple[str, ...] = tuple(c.name for c in sorted(SegmentClass))

#: Layer names, in order (fine-tuning freezes a prefix of these).
LAYER_NAMES: tuple[str, ...] = (
    "dense_in", "bilstm", "dropout_1", "batchnorm_1", "dense_hidden", "dropout_2", "batchnorm_2", "classes",
)

#: Default window length and hop used in training and inference, in samples at MODEL_FS.
DEFAULT_WINDOW_SAMPLES = 1000
DEFAULT_HOP_SAMPLES = 500

#: Default L2 factor on the two regularised Dense layers (the prototype's 1e-2 helped it collapse).
DEFAULT_L2 = 1e-4

#: Largest model ``.json`` read (8 MiB). The shipped one is 0.2 MiB, almost all of it per-record test metrics
#: (~2.5 KiB per test record and column): 8 MiB leaves room for thousands of test records and long histories.
MAX_METADATA_BYTES = 8 << 20

#: Largest ``.keras`` file loaded (64 MiB; the standard architecture's is 0.3 MiB).
MAX_KERAS_BYTES = 64 << 20

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


def build_model(*, seed: int = 0, l2: float = DEFAULT_L2, units: int = 32) -> Any:
    """Build the (uncompiled) BiLSTM model.

    Parameters
    ----------
    seed : int
        Seed of the weight initialisers (the same seed gives the same weights).
    l2 : float
        L2 factor of the kernel regulariser of ``dense_in`` and ``dense_hidden``.
    units : int
        LSTM units per direction and width of ``dense_in`` (32 in the design).

    Returns
    -------
    keras.Model
        Input ``(batch, T, 1)`` float32, output ``(batch, T, 6)`` softmax
        probabilities of the classes :data:`CLASSES`.
    """
    import_tensorflow_quietly()
    import keras
    from keras import layers, regularizers

    init = keras.initializers
    inputs = keras.Input(shape=(None, 1), name="ecg", dtype="float32")
    x = layers.Dense(units, kernel_regularizer=regularizers.L2(l2), name=LAYER_NAMES[0],
                     kernel_initializer=init.GlorotUniform(seed=seed))(inputs)
    x = layers.Bidirectional(
        layers.LSTM(units, return_sequences=True, kernel_initializer=init.GlorotUniform(seed=seed + 1),
                    recurrent_initializer=init.Orthogonal(seed=seed + 2)),
        name=LAYER_NAMES[1],
    )(x)
    x = layers.Dropout(0.2, seed=seed + 3, name=LAYER_NAMES[2])(x)
    x = layers.BatchNormalization(name=LAYER_NAMES[3])(x)
    x = layers.Dense(64, activation="relu", kernel_regularizer=regularizers.L2(l2), name=LAYER_NAMES[4],
                     kernel_initializer=init.GlorotUniform(seed=seed + 4))(x)
    x = layers.Dropout(0.2, seed=seed + 5, name=LAYER_NAMES[5])(x)
    x = layers.BatchNormalization(name=LAYER_NAMES[6])(x)
    outputs = layers.Dense(len(CLASSES), activation="softmax", name=LAYER_NAMES[7],
                           kernel_initializer=init.GlorotUniform(seed=seed + 6))(x)
    return keras.Model(inputs, outputs, name="ecgstudio_bilstm")


def base_metadata(
    *,
    window_samples: int = DEFAULT_WINDOW_SAMPLES,
    hop_samples: int = DEFAULT_HOP_SAMPLES,
    seed: int = 0,
    l2: float = DEFAULT_L2,
) -> dict[str, Any]:
    """Metadata fields every model pair carries; training fills in the rest.

    ``window_samples`` is the training window, ``hop_samples`` the hop of fine-tuning windows; inference
    reads the :func:`inference_settings` derived from the window, written here so that every pair carries
    every setting inference reads.

    Returns
    -------
    dict
        JSON-ready: ``format``, ``classes``, ``input_fs``, ``window_samples``,
        ``hop_samples``, ``inference_window_samples``, ``inference_hop_samples``,
        ``taper_samples``, ``lead_handling``, ``preprocessing``, ``seed``,
        ``architecture``, ``created``, ``package_version`` and empty
        ``training_data``, ``split``, ``metrics``, ``history``, ``parent_model``.
    """
    inference = inference_settings(window_samples)
    return {
        "format": METADATA_FORMAT,
        "classes": list(CLASSES),
        "input_fs": MODEL_FS,
        "window_samples": int(window_samples),
        "hop_samples": int(hop_samples),
        **inference,
        "lead_handling": (
            "one lead per input sequence; every lead of a record is run separately; the global track is "
            "decoded from the mean of all leads' probabilities; per-lead probabilities give per-lead tracks"
        ),
        "preprocessing": {
            "nan": "linear interpolation (all-NaN lead -> 0)",
            "resample": f"scipy.signal.resample_poly to {MODEL_FS} Hz",
            "baseline": f"2nd-order Butterworth high-pass {BASELINE_CUTOFF_HZ} Hz, zero-phase (sosfiltfilt)",
            "normalisation": "per window: minus median, divided by (p99 - p1) / 2, clipped to +-20",
            "stitching": (
                f"inference: windows of inference_window_samples ({inference['inference_window_samples']}), hop "
                f"inference_hop_samples ({inference['inference_hop_samples']}), trapezoid taper weights with ramp "
                f"taper_samples ({inference['taper_samples']}): a linear crossfade across each overlap"
            ),
        },
        "architecture": {"name": "bilstm", "units": 32, "l2": float(l2), "layers": list(LAYER_NAMES)},
        "seed": int(seed),
        "training_data": {},
        "split": {"train": [], "validation": [], "test": []},
        "metrics": {},
        "history": {},
        "parent_model": None,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "package_version": __version__,
    }


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_metadata(stem: str | os.PathLike[str], metadata: dict[str, Any]) -> Path:
    """Write ``stem.json`` atomically (temporary file, then ``os.replace``)."""
    path = model_files(stem).json
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(metadata, indent=2, default=_json_default, allow_nan=False)
    return atomic.write_text(path, text + "\n")


def save_model_pair(model: Any, stem: str | os.PathLike[str], metadata: dict[str, Any]) -> Path:
    """Write ``stem.keras`` and ``stem.json`` (each atomically).

    Parameters
    ----------
    model : keras.Model
        The model to save.
    stem : path
        Path without extension (a ``.keras``/``.json`` suffix is stripped).
    metadata : dict
        JSON-serialisable metadata (numpy scalars/arrays are converted);
        ``format``, ``classes`` and ``input_fs`` are filled in when missing.

    Returns
    -------
    Path
        The stem.
    """
    stem = model_stem(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    meta = dict(metadata)
    meta.setdefault("format", METADATA_FORMAT)
    meta.setdefault("classes", list(CLASSES))
    meta.setdefault("input_fs", MODEL_FS)
    keras_path = model_files(stem).keras
    with atomic.replacing(keras_path, suffix=".tmp.keras") as tmp:
        model.save(tmp)
    write_metadata(stem, meta)
    return stem


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


def read_metadata(path: str | os.PathLike[str], *, complete: bool = True) -> dict[str, Any]:
    """Read and check the ``.json`` of a model pair.

    The file must be a regular file of at most :data:`MAX_METADATA_BYTES`, hold UTF-8 JSON nested at most
    :data:`~ecgstudio.safe_read.DEFAULT_MAX_JSON_DEPTH` levels and pass :func:`check_metadata`.

    Raises
    ------
    ModelError
        One line naming the file: missing, not a regular file, too large, not JSON, nested too deeply, a field
        of the wrong type or out of range, or an incompatible model.
    """
    json_path = model_files(path).json
    if not os.path.lexists(json_path):
        raise ModelError(f"model metadata not found: {json_path}")
    meta = safe_read.load_json(json_path, MAX_METADATA_BYTES, what="model metadata", error=ModelError)
    return check_metadata(meta, json_path, complete=complete)


def _check_keras_file(keras_path: Path) -> None:
    """Refuse a ``.keras`` that is missing, not a regular file, too large or not a zip archive (one line)."""
    if not os.path.lexists(keras_path):
        raise ModelError(f"model file not found: {keras_path}")
    safe_read.check_regular(keras_path, MAX_KERAS_BYTES, what="model file", error=ModelError)
    handle = safe_read.open_regular(keras_path, what="model file", error=ModelError)
    assert handle is not None
    with handle:
        try:
            is_zip = zipfile.is_zipfile(handle)
        except OSError as exc:
            raise ModelError(f"cannot load model {keras_path}: {exc.strerror or exc}") from None
    if not is_zip:
        raise ModelError(f"cannot load model {keras_path}: not a Keras model file (a .keras file is a zip archive; "
                         "this one is corrupt or of another format)")


def load_model_pair(path: str | os.PathLike[str]) -> tuple[Any, dict[str, Any]]:
    """Load a model pair written by :func:`save_model_pair`.

    Parameters
    ----------
    path : path
        The stem, or the ``.keras`` or ``.json`` file of the pair.

    Returns
    -------
    model : keras.Model
        Uncompiled, ready for inference (``(batch, T, 1) -> (batch, T, 6)``).
    metadata : dict
        The checked metadata.

    Raises
    ------
    ModelError
        One line, when a file is missing, corrupt or incompatible.
    """
    stem = model_stem(path)
    keras_path = model_files(stem).keras
    _check_keras_file(keras_path)
    meta = read_metadata(stem)
    try:
        import_tensorflow_quietly()
        import keras

        model = keras.models.load_model(keras_path, compile=False)
    except Exception as exc:  # keras raises many types for a bad file
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ModelError(f"cannot load model {keras_path}: {reason}") from None
    in_shape = tuple(model.input_shape)
    out_shape = tuple(model.output_shape)
    if len(in_shape) != 3 or in_shape[-1] != 1 or len(out_shape) != 3 or out_shape[-1] != len(CLASSES):
        raise ModelError(f"incompatible model {keras_path}: input {in_shape}, output {out_shape}; "
                         f"expected (None, None, 1) -> (None, None, {len(CLASSES)})")
    return model, meta
