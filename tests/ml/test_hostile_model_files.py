"""Hostile model pairs (issue 14): the ``.json`` is checked against the metadata schema, the ``.keras`` must be a
regular zip file; every failure is one ModelError line naming the file, before TensorFlow is even imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecgstudio.core.errors import ModelError
from ecgstudio.ml import model as model_module
from ecgstudio.ml.model import (
    base_metadata,
    check_metadata,
    inference_settings,
    load_model_pair,
    read_metadata,
)
from ecgstudio.paths import default_model_path
from tests.helpers import write_model_pair

HAS_DEV_ZERO = Path("/dev/zero").exists()

pytestmark = pytest.mark.usefixtures("no_hang")


def _refused(stem: Path, *words: str) -> str:
    for call in (read_metadata, load_model_pair):
        with pytest.raises(ModelError) as info:
            call(stem)
        message = str(info.value)
        assert "\n" not in message and "m.json" in message, message
        for word in words:
            assert word.lower() in message.lower(), message
        assert info.value.__cause__ is None
    return message


@pytest.mark.parametrize("depth", [100, 100_000])
def test_deeply_nested_metadata_is_refused_in_one_line(tmp_path: Path, depth: int) -> None:
    meta = json.dumps(base_metadata())[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"
    _refused(write_model_pair(tmp_path, "m", None, raw=meta), "nested")


@pytest.mark.parametrize("key, value, words", [
    ("split", "sel100", "'split' must be an object"),
    ("split", ["sel100"], "'split' must be an object"),
    ("split", {"test": "sel100"}, "split 'test' must be a list of record names"),
    ("split", {"test": None}, "split 'test' must be a list"),
    ("split", {"train": [1, 2]}, "split 'train'"),
    ("window_samples", "1000", "'window_samples' must be an integer"),
    ("window_samples", 1000.0, "'window_samples' must be an integer"),
    ("hop_samples", True, "'hop_samples' must be an integer"),
    ("classes", "P,PQ,QR,RS,ST,TP", "'classes' must be a list"),
    ("metrics", [1, 2], "'metrics' must be an object"),
    ("parent_model", 5, "'parent_model'"),
    ("input_fs", "250", "'input_fs' must be a number"),
    ("taper_samples", 12.5, "'taper_samples' must be an integer"),
    ("inference_window_samples", None, "'inference_window_samples' must be an integer"),
])
def test_fields_of_the_wrong_type_are_refused(tmp_path: Path, key: str, value: object, words: str) -> None:
    meta = base_metadata()
    meta[key] = value
    _refused(write_model_pair(tmp_path, "m", meta), "corrupt model metadata", words)


@pytest.mark.parametrize("fields, words", [
    ({"window_samples": 1, "hop_samples": 1}, "bad window_samples 1"),
    ({"window_samples": 1000, "hop_samples": 1}, "bad hop_samples 1"),
    ({"window_samples": 1000, "hop_samples": 0}, "bad hop_samples 0"),
    ({"window_samples": 500, "hop_samples": 1000}, "hop larger than window"),
    ({"window_samples": 10**9, "hop_samples": 10**9}, "bad window_samples"),
    ({"inference_window_samples": 1, "inference_hop_samples": 1}, "bad inference_window_samples 1"),
    ({"inference_window_samples": 2000}, "go together"),
    ({"taper_samples": 0}, "bad taper_samples 0"),
    ({"taper_samples": 900}, "bad taper_samples 900"),
])
def test_windows_that_would_find_nothing_or_run_forever_are_refused(tmp_path: Path, fields: dict,
                                                                   words: str) -> None:
    meta = {k: v for k, v in base_metadata().items() if k not in inference_settings(1000)}  # a pre-issue-13 pair
    meta.update(fields)
    _refused(write_model_pair(tmp_path, "m", meta), "incompatible model metadata", words)


def test_a_null_split_and_null_optional_settings_are_accepted(tmp_path: Path) -> None:
    meta = base_metadata()
    meta.update(split=None, taper_samples=None, seed=None, metrics=None, parent_model=None)
    assert read_metadata(write_model_pair(tmp_path, "m", meta))["split"] is None


def test_the_shipped_model_passes_the_schema() -> None:
    meta = read_metadata(default_model_path())
    assert meta["split"]["test"] and meta["inference_window_samples"] == 2000


def test_a_partial_json_is_checked_for_types_only() -> None:
    assert check_metadata({"created": "2026", "metrics": {}}, "x.json", complete=False)
    with pytest.raises(ModelError, match="incompatible"):
        check_metadata({"created": "2026", "metrics": {}}, "x.json")
    with pytest.raises(ModelError, match="'metrics' must be an object"):
        check_metadata({"metrics": "none"}, "x.json", complete=False)


def test_oversize_metadata_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stem = write_model_pair(tmp_path, "m", base_metadata())
    monkeypatch.setattr(model_module, "MAX_METADATA_BYTES", 100)
    _refused(stem, "too large")


def test_a_fifo_metadata_file_is_refused_without_blocking(tmp_path: Path) -> None:
    stem = write_model_pair(tmp_path, "m", base_metadata())
    stem.with_suffix(".json").unlink()
    os.mkfifo(stem.with_suffix(".json"))
    _refused(stem, "FIFO")


@pytest.mark.skipif(not HAS_DEV_ZERO, reason="no /dev/zero")
def test_metadata_linked_to_dev_zero_is_refused(tmp_path: Path) -> None:
    stem = write_model_pair(tmp_path, "m", base_metadata())
    stem.with_suffix(".json").unlink()
    stem.with_suffix(".json").symlink_to("/dev/zero")
    _refused(stem, "character device")


@pytest.mark.parametrize("content", [b"this is not a zip file", b"", b"PK\x03\x04 truncated"])
def test_a_corrupt_keras_file_is_called_corrupt_not_missing(tmp_path: Path, content: bytes) -> None:
    stem = write_model_pair(tmp_path, "m", base_metadata())
    stem.with_suffix(".keras").write_bytes(content)
    with pytest.raises(ModelError) as info:
        load_model_pair(stem)
    message = str(info.value)
    assert "m.keras" in message and "not a Keras model file" in message and "not found" not in message
    assert "\n" not in message


def test_a_fifo_keras_file_is_refused_without_blocking(tmp_path: Path) -> None:
    stem = write_model_pair(tmp_path, "m", base_metadata())
    stem.with_suffix(".keras").unlink()
    os.mkfifo(stem.with_suffix(".keras"))
    with pytest.raises(ModelError, match=r"m\.keras: model file is a FIFO"):
        load_model_pair(stem)


def test_refusals_happen_before_tensorflow_is_imported(tmp_path: Path) -> None:
    meta = base_metadata()
    meta["window_samples"] = meta["hop_samples"] = 1
    stem = write_model_pair(tmp_path, "m", meta)
    code = ("import sys; from ecgstudio.ml.model import load_model_pair\n"
            f"try:\n    load_model_pair({str(stem)!r})\nexcept Exception as exc:\n    print(type(exc).__name__)\n"
            "print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.split() == ["ModelError", "False"]
