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
