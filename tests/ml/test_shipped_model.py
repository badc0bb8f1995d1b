"""The shipped default model loads and finds the beats of the bundled sample record."""

from __future__ import annotations

import numpy as np
import pytest

from ecgstudio.io.annotations import read_beats
from ecgstudio.io.records import read_record
from ecgstudio.ml.infer import predict_proba
from ecgstudio.ml.model import load_model_pair
from ecgstudio.paths import default_model_path, sample_record_path


@pytest.mark.slow
def test_default_model_marks_a_qrs_at_every_annotated_beat_of_the_sample() -> None:
    model, meta = load_model_pair(default_model_path())
    assert set(meta["split"]["test"]).isdisjoint(meta["split"]["train"])
    assert len(meta["split"]["test"]) >= 20
    start, stop = 0, 250 * 60  # first minute
    record = read_record(sample_record_path(), start, stop)
    probs = predict_proba(model, meta, record.signal, record.fs)
    assert probs.shape == (stop - start, 6)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    qrs = np.isin(probs.argmax(axis=1), [2, 3])  # QR or RS
    onsets = np.flatnonzero(np.diff(qrs.astype(np.int8)) == 1)
    beats, _ = read_beats(sample_record_path(), "atr")
    beats = beats[(beats > start + 50) & (beats < stop - 50)] - start
    assert all(qrs[max(b - 10, 0):b + 10].any() for b in beats)  # every beat found (+-40 ms)
    assert abs(len(onsets) - len(beats)) <= 2  # and hardly any extra QRS complexes


@pytest.mark.slow
def test_resting12_is_fine_tuned_from_the_shipped_default_and_finds_every_beat_of_a_12_lead_record() -> None:
    import hashlib
    from pathlib import Path

    from ecgstudio.paths import model_files

    default = model_files(default_model_path())
    stem = default.keras.parent / "resting12"
    model, meta = load_model_pair(stem)
    _, base_meta = load_model_pair(default_model_path())
    # regenerated with its card's command whenever the default changes
    assert meta["parent_model"]["keras_sha256"] == hashlib.sha256(default.keras.read_bytes()).hexdigest()
    assert meta["command"].startswith("ecgstudio finetune ") and "--out models/resting12" in meta["command"]
    assert meta["finetune"]["gate"]["accepted"] and meta["finetune"]["guard"]["passed"]
    assert all("ludb" in r for r in meta["training_data"]["records"])
    assert base_meta["training_data"]["database"] == "qtdb"  # the default never trained on LUDB
    for key in ("input_fs", "inference_window_samples", "inference_hop_samples", "taper_samples", "preprocessing"):
        assert meta[key] == base_meta[key]  # everything inference reads is the default's
    data = Path(__file__).resolve().parents[1] / "data" / "ludb"
    record = read_record(data / "1")
    beats, _ = read_beats(data / "1", "ii")
    for lead in range(record.signal.shape[1]):
        probs = predict_proba(model, meta, record.signal[:, [lead]], record.fs)
        qrs = np.isin(probs.argmax(axis=1), [2, 3])
        assert all(qrs[max(b - 20, 0):b + 20].any() for b in beats), lead  # every lead-II beat, +-40 ms, on every lead
