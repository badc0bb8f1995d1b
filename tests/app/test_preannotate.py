"""preannotate: the one pre-annotation service (global/per-lead tracks, model cache, progress, cancel)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from ecgstudio.app.preannotate import (
    clear_model_cache,
    load_model,
    preannotate,
    predict_in_segments,
    resolve_model_stem,
)
from ecgstudio.core.errors import ModelError
from ecgstudio.io.records import read_record
from ecgstudio.ml.cancel import Cancelled
from ecgstudio.ml.model import base_metadata, build_model, save_model_pair

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def record():  # Record
    return read_record(DATA / "sel100x")


def test_global_track_covers_the_record(tiny_model: Path, record) -> None:
    tracks = preannotate(record, tiny_model)
    assert len(tracks) == 1
    track = tracks[0]
    assert track.name == "model" and track.lead is None
    assert track.n_samples == record.n_samples and track.fs == record.fs
    track.check()
    assert all(0.0 <= w.confidence <= 1.0 for w in track)


def test_per_lead_gives_one_track_per_lead(tiny_model: Path, record) -> None:
    tracks = preannotate(record, tiny_model, per_lead=True, name="m")
    assert [t.lead for t in tracks] == [0, 1]
    assert [t.name for t in tracks] == [f"m {n}" for n in record.lead_names]
    assert all(w.lead == t.lead for t in tracks for w in t)


def test_progress_rises_to_one_and_cancel_stops(tiny_model: Path, record) -> None:
    seen: list[float] = []
    preannotate(record, tiny_model, progress=seen.append)
    assert seen[-1] == 1.0
    assert seen == sorted(seen) and 0.0 <= seen[0]
    with pytest.raises(Cancelled):
        preannotate(record, tiny_model, cancel=lambda: True)


def test_models_are_loaded_once_and_reloaded_when_resaved(tmp_path: Path) -> None:
    stem = tmp_path / "m"
    save_model_pair(build_model(seed=1, units=4), stem, base_metadata())
    first = load_model(stem)[0]
    assert load_model(str(stem) + ".keras")[0] is first  # same pair, any spelling
    keras_file = stem.with_suffix(".keras")
    stat = keras_file.stat()
    os.utime(keras_file, (stat.st_atime, stat.st_mtime + 10))
    assert load_model(stem)[0] is not first
    clear_model_cache()


def test_missing_model_is_a_model_error(tmp_path: Path, record) -> None:
    with pytest.raises(ModelError, match="not found"):
        preannotate(record, tmp_path / "nothing")


def test_default_model_is_the_shipped_one() -> None:
    assert resolve_model_stem(None).name == "default"
    assert resolve_model_stem("x/y.json") == Path("x/y").absolute()


def _local_predict(model, metadata, signal, fs, *, progress=None, cancel=None):
    """A per-sample fake network: class = sample value mod 6 (shows any misplaced segment)."""
    if progress is not None:
        progress(1.0)
    codes = (signal[:, 0].astype(np.int64)) % 6
    return np.eye(6, dtype=np.float32)[codes]


def _local_predict_per_lead(model, metadata, signal, fs, *, progress=None, cancel=None):
    return np.stack([_local_predict(model, metadata, signal[:, [k]], fs) for k in range(signal.shape[1])])


def test_long_records_are_inferred_in_segments_that_join_exactly() -> None:
    n = 1234
    signal = np.stack([np.arange(n), np.arange(n) + 1], axis=1).astype(np.float32)
    seen: list[float] = []
    fused = predict_in_segments(_local_predict, None, {}, signal, 100.0, progress=seen.append,
                                segment_s=1.0, overlap_s=0.3)
    assert fused.shape == (n, 6) and fused.dtype == np.float16  # long: compact output
    np.testing.assert_array_equal(fused, _local_predict(None, {}, signal, 100.0))
    per_lead = predict_in_segments(_local_predict_per_lead, None, {}, signal, 100.0,
                                   segment_s=1.0, overlap_s=0.3)
    np.testing.assert_array_equal(per_lead, _local_predict_per_lead(None, {}, signal, 100.0))
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0) and len(seen) == 13


def test_short_records_are_inferred_in_one_call() -> None:
    signal = np.arange(50, dtype=np.float32)[:, None]
    out = predict_in_segments(_local_predict, None, {}, signal, 100.0, segment_s=1.0, overlap_s=0.3)
    assert out.dtype == np.float32 and out.shape == (50, 6)
