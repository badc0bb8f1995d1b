"""preannotate: the one pre-annotation service (global/per-lead tracks, model cache, progress, cancel)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ecgstudio.app.preannotate import clear_model_cache, load_model, preannotate, resolve_model_stem
from ecgstudio.core.errors import ModelError
from ecgstudio.io.records import read_record
from ecgstudio.ml.cancel import Cancelled
from ecgstudio.ml.model import base_metadata, build_model, save_model_pair

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny untrained model pair (4 units)."""
    stem = tmp_path_factory.mktemp("models") / "tiny"
    save_model_pair(build_model(seed=0, units=4), stem, base_metadata())
    return stem


@pytest.fixture(scope="module")
def record():  # noqa: ANN201 - Record
    return read_record(DATA / "sel100x")


def test_global_track_covers_the_record(tiny_model: Path, record) -> None:  # noqa: ANN001
    tracks = preannotate(record, tiny_model)
    assert len(tracks) == 1
    track = tracks[0]
    assert track.name == "model" and track.lead is None
    assert track.n_samples == record.n_samples and track.fs == record.fs
    track.check()
    assert all(0.0 <= w.confidence <= 1.0 for w in track)


def test_per_lead_gives_one_track_per_lead(tiny_model: Path, record) -> None:  # noqa: ANN001
    tracks = preannotate(record, tiny_model, per_lead=True, name="m")
    assert [t.lead for t in tracks] == [0, 1]
    assert [t.name for t in tracks] == [f"m {n}" for n in record.lead_names]
    assert all(w.lead == t.lead for t in tracks for w in t)


def test_progress_rises_to_one_and_cancel_stops(tiny_model: Path, record) -> None:  # noqa: ANN001
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


def test_missing_model_is_a_model_error(tmp_path: Path, record) -> None:  # noqa: ANN001
    with pytest.raises(ModelError, match="not found"):
        preannotate(record, tmp_path / "nothing")


def test_default_model_is_the_shipped_one() -> None:
    assert resolve_model_stem(None).name == "default"
    assert resolve_model_stem("x/y.json") == Path("x/y").absolute()
