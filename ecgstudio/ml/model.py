"""The BiLSTM segmentation model: architecture, and the ``.keras`` + ``.json`` model pair.

TensorFlow/Keras is imported inside the functions only: ``import
ecgstudio.ml.model`` stays instant (docs/ARCHITECTURE.md §1).

Architecture (per-sample classification of one lead at :data:`MODEL_FS` Hz)::

    input (batch, T, 1)
    Dense(32, L2) -> Bidirectional(LSTM(32, return_sequences)) -> Dropout(0.2)
    -> BatchNormalization -> Dense(64, relu, L2) -> Dropout(0.2)
    -> BatchNormalization -> Dense(6, softmax)        output (batch, T, 6)

``T`` is free, so one model serves any window length.

The metadata schema (:data:`METADATA_FORMAT`, :data:`CLASSES`, the window defaults and limits,
:func:`inference_settings`, :func:`check_metadata`) is :mod:`ecgstudio.ml.metadata`'s, re-exported here;
this module builds the model, the metadata of a new one (:func:`base_metadata`) and reads and writes the pair.
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
from ecgstudio.core.waves import SegmentClass  # noqa: F401 (importable from here before the split)
from ecgstudio.ml._tf import import_tensorflow_quietly
from ecgstudio.ml.metadata import (  # noqa: F401 (re-exported: importable from here before the schema moved out)
    _FIELD_TYPES,
    _INT_FIELDS,
    _NULLABLE,
    _SPLIT_LISTS,
    CLASSES,
    DEFAULT_HOP_SAMPLES,
    DEFAULT_WINDOW_SAMPLES,
    INFERENCE_WINDOW_FACTOR,
    MAX_OVERLAP_FACTOR,
    MAX_WINDOW_SAMPLES,
    METADATA_FORMAT,
    MIN_WINDOW_SAMPLES,
    _is_int,
    _short,
    check_metadata,
    inference_settings,
)
from ecgstudio.ml.rates import BASELINE_CUTOFF_HZ, MODEL_FS
from ecgstudio.paths import model_files, model_stem

#: Layer names, in order (fine-tuning freezes a prefix of these).
LAYER_NAMES: tuple[str, ...] = (
    "dense_in", "bilstm", "dropout_1", "batchnorm_1", "dense_hidden", "dropout_2", "batchnorm_2", "classes",
)

#: Default L2 factor on the two regularised Dense layers (the prototype's 1e-2 helped it collapse).
DEFAULT_L2 = 1e-4

#: Largest model ``.json`` read (8 MiB). The shipped one is 0.2 MiB, almost all of it per-record test metrics
#: (~2.5 KiB per test record and column): 8 MiB leaves room for thousands of test records and long histories.
MAX_METADATA_BYTES = 8 << 20

#: Largest ``.keras`` file loaded (64 MiB; the standard architecture's is 0.3 MiB).
MAX_KERAS_BYTES = 64 << 20


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
