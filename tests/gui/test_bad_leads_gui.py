"""Pre-annotate with an unusable lead: its stretches are marked on its row and named in the status bar.

The real pre-annotation service runs (lead quality, fusion, decoding) with a stand-in network whose
probabilities come from ecgpuwave's track of the excerpt, so no TensorFlow is loaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecgstudio.core.masks import to_mask
from ecgstudio.gui.quality_overlay import excluded_item
from ecgstudio.io.annotations import read_tracks
from ecgstudio.io.records import read_record

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def stand_in_network(monkeypatch: pytest.MonkeyPatch) -> None:
    import ecgstudio.app.preannotate as service
    import ecgstudio.ml.infer as infer

    record = read_record(DATA / "sel100x")
    (track, *_) = read_tracks(DATA / "sel100x", "pu", n_samples=record.n_samples, fs=record.fs)
    classes, _ = to_mask(track)
    probs = 0.1 / 6 + 0.9 * np.eye(6, dtype=np.float32)[classes]

    def per_lead(model, metadata, signal, fs, *, progress=None, cancel=None):
        return np.stack([probs] * signal.shape[1])

    def fused(model, metadata, signal, fs, *, progress=None, cancel=None):
        return probs

    monkeypatch.setattr(service, "load_model", lambda stem=None: (object(), {}))
    monkeypatch.setattr(infer, "predict_proba", fused)
    monkeypatch.setattr(infer, "predict_proba_per_lead", per_lead)


def _damaged_copy(folder: Path, v5: float, mlii: float | None = None) -> Path:
    record = read_record(DATA / "sel100x")
    signal = record.signal.astype(np.float64)
    signal[:, 1] = v5
    if mlii is not None:
        signal[:, 0] = mlii
    folder.mkdir()
    wfdb.wrsamp("bad", fs=record.fs, units=["mV", "mV"], sig_name=list(record.lead_names), p_signal=signal,
                fmt=["16", "16"], adc_gain=[1000.0, 1000.0], baseline=[0, 0], write_dir=str(folder))
    return folder / "bad"


def test_an_unusable_lead_is_marked_and_named(qtbot, make_window, open_and_wait, tmp_path: Path,
                                              stand_in_network: None) -> None:
    path = _damaged_copy(tmp_path / "records", v5=0.0)
    window = make_window()
    open_and_wait(window, path)
    window.annotating.preannotate()
    assert window.annotating.wait(20_000)
    n = window.document.record.n_samples
    assert len(window.document.editable_track) > 50
    assert "leads excluded: V5 whole record (flat line)" in window.status.currentMessage()
    mlii, v5 = window.view.rows
    assert excluded_item(mlii) is None
    item = excluded_item(v5)
    assert item is not None and item.spans().tolist() == [[0, n]]
    assert "V5" in item.toolTip() and "flat line" in item.toolTip()
    assert not v5.widget.grab().isNull()  # paints


def test_no_usable_lead_annotates_nothing_and_says_so(qtbot, make_window, open_and_wait,
                                                      tmp_path: Path, stand_in_network: None) -> None:
    path = _damaged_copy(tmp_path / "records", v5=0.0, mlii=0.0)
    window = make_window()
    open_and_wait(window, path)
    steps = window.undo_stack.count()
    window.annotating.preannotate()
    assert window.annotating.wait(20_000)
    assert window.status.currentMessage().startswith("No usable lead in bad (MLII whole record (flat line)")
    assert len(window.document.editable_track) == 0 and window.undo_stack.count() == steps
    assert all(excluded_item(row) is not None for row in window.view.rows)
