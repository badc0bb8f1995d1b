"""Fixtures shared by the app tests: a tiny untrained model and a "perfect" stand-in for inference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecgstudio.core.masks import to_mask
from ecgstudio.io.annotations import read_tracks
from ecgstudio.io.records import read_record
from ecgstudio.ml.model import base_metadata, build_model, save_model_pair

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    stem = tmp_path_factory.mktemp("models") / "tiny"
    save_model_pair(build_model(seed=0, units=4), stem, base_metadata())
    return stem


@pytest.fixture
def fake_inference(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the network by a "perfect" one: probabilities from ecgpuwave's sel100x track.

    An untrained model finds no waves at all, which would make the comparisons
    below empty; this gives ~100 waves while still running the whole pipeline
    (model loading, decoding, writing).
    """
    import ecgstudio.ml.infer as infer

    record = read_record(DATA / "sel100x")
    tracks = read_tracks(DATA / "sel100x", "pu", n_samples=record.n_samples, fs=record.fs)
    per_lead = []
    for track in tracks[:2]:
        classes, _ = to_mask(track)
        per_lead.append(0.1 / 6 + 0.9 * np.eye(6, dtype=np.float32)[classes])
    stacked = np.stack(per_lead)

    def proba_per_lead(model, metadata, signal, fs, *, progress=None, cancel=None):
        assert signal.shape[0] == stacked.shape[1]
        return stacked

    def proba(model, metadata, signal, fs, *, progress=None, cancel=None):
        return stacked[0]

    monkeypatch.setattr(infer, "predict_proba", proba)
    monkeypatch.setattr(infer, "predict_proba_per_lead", proba_per_lead)

    import ecgstudio.ml.infer_batch as infer_batch

    def proba_many(model, metadata, signals, fs, **_):  # annotate's batched path
        return [proba(model, metadata, signal, fs) for signal in signals]

    monkeypatch.setattr(infer_batch, "predict_proba_many", proba_many)
