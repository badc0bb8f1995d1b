"""The bundled sample record (opened when ECG Studio starts without a record) reads completely."""

from __future__ import annotations

import numpy as np

from ecgstudio.core.waves import WaveKind
from ecgstudio.io.annotations import list_annotation_exts, read_beats, read_tracks
from ecgstudio.io.records import read_header, read_record
from ecgstudio.paths import resources_dir, sample_record_path


def test_sample_record_and_its_annotations():
    path = sample_record_path()
    info = read_header(path)
    assert info.n_leads == 2 and info.fs == 250
    record = read_record(path, 0, 2500)
    assert record.signal.shape == (2500, 2) and record.total_samples == info.n_samples
    assert {"q1c", "pu0", "pu1", "pu", "atr"} <= set(list_annotation_exts(path))
    (q1c,) = read_tracks(path, "q1c", n_samples=info.n_samples, fs=info.fs)
    assert q1c.lead is None and any(w.kind is WaveKind.QRS for w in q1c)
    assert [t.lead for t in read_tracks(path, "pu1", n_samples=info.n_samples, fs=info.fs)] == [1]
    beats, symbols = read_beats(path)
    assert beats.size == len(symbols) > 0
    # every manually delineated QRS lies within 40 ms of a reference beat
    peaks = np.array([w.peak for w in q1c if w.kind is WaveKind.QRS])
    nearest = np.abs(beats[None, :] - peaks[:, None]).min(axis=1)
    assert nearest.max() <= 0.04 * info.fs


def test_sample_record_attribution():
    readme = (resources_dir() / "README.md").read_text()
    assert "ODC-By 1.0" in readme and "10.13026/C24K53" in readme
