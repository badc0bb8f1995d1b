"""The BiLSTM architecture and the .keras + .json model pair."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ecgstudio.core.errors import ModelError
from ecgstudio.ml.model import (
    CLASSES,
    LAYER_NAMES,
    base_metadata,
    build_model,
    load_model_pair,
    save_model_pair,
)


@pytest.fixture(scope="module")
def model():
    return build_model(seed=3)


def test_architecture_has_the_prescribed_layers_in_order(model) -> None:
    kinds = [type(layer).__name__ for layer in model.layers[1:]]
    assert kinds == ["Dense", "Bidirectional", "Dropout", "BatchNormalization", "Dense", "Dropout",
                     "BatchNormalization", "Dense"]
    assert [layer.name for layer in model.layers[1:]] == list(LAYER_NAMES)
    assert model.get_layer("dense_in").units == 32
    assert model.get_layer("bilstm").forward_layer.units == 32
    assert model.get_layer("dense_hidden").units == 64
    assert model.get_layer("classes").units == len(CLASSES) == 6
    assert model.get_layer("dense_in").kernel_regularizer is not None
    assert model.get_layer("dense_hidden").kernel_regularizer is not None


def test_output_is_per_sample_probabilities_for_any_length(model) -> None:
    for length in (37, 250):
        x = np.random.default_rng(0).standard_normal((3, length, 1)).astype(np.float32)
        p = np.asarray(model.predict_on_batch(x))
        assert p.shape == (3, length, 6)
        np.testing.assert_allclose(p.sum(axis=-1), 1.0, atol=1e-5)


def test_same_seed_gives_same_initial_weights() -> None:
    a, b = build_model(seed=7), build_model(seed=7)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)


def test_save_and_load_round_trip_keeps_predictions_and_metadata(model, tmp_path: Path) -> None:
    meta = base_metadata(window_samples=800, hop_samples=400, seed=3)
    meta["split"] = {"train": ["a", "b"], "validation": ["c"], "test": ["d"]}
    meta["metrics"] = {"test": {"qrs_on": {"se": np.float64(0.99)}}}
    stem = save_model_pair(model, tmp_path / "sub" / "m", meta)
    assert stem.with_suffix(".keras").is_file() and stem.with_suffix(".json").is_file()
    x = np.random.default_rng(1).standard_normal((2, 120, 1)).astype(np.float32)
    expected = np.asarray(model.predict_on_batch(x))
    for path in (stem, stem.with_suffix(".keras"), stem.with_suffix(".json")):
        loaded, loaded_meta = load_model_pair(path)
        np.testing.assert_allclose(np.asarray(loaded.predict_on_batch(x)), expected, atol=1e-6)
        assert loaded_meta["split"] == meta["split"]
        assert loaded_meta["window_samples"] == 800 and loaded_meta["hop_samples"] == 400
        assert loaded_meta["metrics"]["test"]["qrs_on"]["se"] == pytest.approx(0.99)
        assert loaded_meta["classes"] == list(CLASSES)
    assert sorted(p.name for p in stem.parent.iterdir()) == ["m.json", "m.keras"]  # no temporary files left


def test_a_dotted_name_is_saved_listed_and_loaded_under_its_full_name(model, tmp_path: Path) -> None:
    # "ft.v2" used to be written as ft.keras and then looked up as ft.v2.keras (not found)
    from ecgstudio.app.models import list_models
    from ecgstudio.app.preannotate import clear_model_cache, load_model

    (tmp_path / "ft.json").write_text("{}")  # an unrelated file the dotted name must not touch
    stem = save_model_pair(model, tmp_path / "ft.v2", base_metadata(seed=3))
    assert stem == tmp_path / "ft.v2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ft.json", "ft.v2.json", "ft.v2.keras"]
    assert (tmp_path / "ft.json").read_text() == "{}"
    listed = {info.name: info for info in list_models([(tmp_path, "user")])}
    assert listed["ft.v2"].usable and listed["ft.v2"].stem == str(stem)
    x = np.random.default_rng(2).standard_normal((1, 64, 1)).astype(np.float32)
    expected = np.asarray(model.predict_on_batch(x))
    clear_model_cache()
    for spelling in (listed["ft.v2"].stem, f"{stem}.keras", f"{stem}.json"):
        loaded, _ = load_model(spelling)
        np.testing.assert_allclose(np.asarray(loaded.predict_on_batch(x)), expected, atol=1e-6)
    clear_model_cache()


def _one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


def test_missing_or_corrupt_files_raise_model_error(model, tmp_path: Path) -> None:
    with pytest.raises(ModelError) as exc:
        load_model_pair(tmp_path / "nothing")
    assert "not found" in _one_line(exc)
    stem = save_model_pair(model, tmp_path / "m", base_metadata())
    stem.with_suffix(".json").unlink()
    with pytest.raises(ModelError) as exc:
        load_model_pair(stem)
    assert "m.json" in _one_line(exc)
    save_model_pair(model, stem, base_metadata())
    stem.with_suffix(".json").write_text("{not json")
    with pytest.raises(ModelError) as exc:
        load_model_pair(stem)
    assert "corrupt" in _one_line(exc)
    save_model_pair(model, stem, base_metadata())
    stem.with_suffix(".keras").write_bytes(b"this is not a zip file")
    with pytest.raises(ModelError) as exc:
        load_model_pair(stem)
    assert "m.keras" in _one_line(exc)


def test_incompatible_metadata_raises_model_error(model, tmp_path: Path) -> None:
    stem = save_model_pair(model, tmp_path / "m", base_metadata())
    for key, value in (("classes", ["P", "QRS", "T"]), ("input_fs", 500), ("format", "other/9"),
                       ("window_samples", 0)):
        meta = base_metadata()
        meta[key] = value
        stem.with_suffix(".json").write_text(json.dumps(meta))
        with pytest.raises(ModelError) as exc:
            load_model_pair(stem)
        _one_line(exc)


def test_importing_the_model_module_does_not_import_tensorflow() -> None:
    code = "import sys, ecgstudio.ml.model, ecgstudio.ml.infer, ecgstudio.ml.train; " \
           "print('tensorflow' in sys.modules or 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_saved_files_get_ordinary_permissions(model, tmp_path: Path) -> None:
    import os
    import stat

    old = os.umask(0o022)
    try:
        stem = save_model_pair(model, tmp_path / "m", base_metadata())
    finally:
        os.umask(old)
    for suffix in (".keras", ".json"):
        mode = stat.S_IMODE(stem.with_suffix(suffix).stat().st_mode)
        assert mode == 0o644
