"""One bad lead must not silence the others (issue 15): damaged copies of real records.

The slow tests run the shipped model (models/default) on ``tests/data/sel100x`` (2 leads) and
``tests/data/ludb/1`` (12 leads) with leads made flat, invalid, saturated, clipped, noisy or
disconnected, over the whole record or a stretch, and compare the global track with the track of
the good leads alone: at least 99 % of its QRS complexes kept, both boundaries within 1 sample on
at least 95 % of them. The others check ``ecgstudio annotate``'s report with a stand-in network.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecgstudio.app.preannotate import preannotate, prediction_quality
from ecgstudio.cli import main
from ecgstudio.core.record import Record
from ecgstudio.core.waves import WaveKind
from ecgstudio.io.records import read_record
from ecgstudio.paths import default_model_path
from tests.helpers import damaged

DATA = Path(__file__).resolve().parents[1] / "data"


def _qrs(track, lo: int = 0, hi: int | None = None) -> np.ndarray:
    rows = [(w.onset, w.offset) for w in track.waves if w.kind is WaveKind.QRS]
    qrs = np.asarray(rows, dtype=np.int64).reshape(-1, 2)
    centre = qrs.mean(axis=1)
    return qrs[(centre >= lo) & (centre < (np.inf if hi is None else hi))]


def _kept_and_same(ref: np.ndarray, test: np.ndarray, fs: float) -> tuple[float, float]:
    """Share of ``ref``'s QRS complexes with one in ``test`` within 150 ms, and of those with both
    boundaries within 1 sample."""
    assert len(ref) and len(test)
    c, ct = ref.mean(axis=1), test.mean(axis=1)
    j = np.abs(ct[None, :] - c[:, None]).argmin(axis=1)
    kept = np.abs(ct[j] - c) <= 0.15 * fs
    same = kept & (np.abs(test[j] - ref).max(axis=1) <= 1)
    return kept.mean(), same.sum() / max(kept.sum(), 1)


def _global(record: Record, signal: np.ndarray, leads: list[int] | None = None):
    leads = list(range(record.n_leads)) if leads is None else leads
    sub = Record(record.name, signal[:, leads], record.fs, tuple(record.lead_names[k] for k in leads))
    (track,) = preannotate(sub, default_model_path())
    return track


@pytest.fixture(scope="module")
def sel100x() -> Record:
    return read_record(DATA / "sel100x")


@pytest.mark.slow
def test_one_of_two_leads_unusable_over_the_whole_record(sel100x: Record) -> None:
    rng = np.random.default_rng(0)
    for bad in (0, 1):
        good = _global(sel100x, sel100x.signal, [1 - bad])
        assert len(_qrs(good)) > 30
        for kind in ("flat", "invalid", "saturated", "clipped", "noisy", "disconnected"):
            signal = sel100x.signal.copy()
            signal[:, bad] = damaged(signal[:, bad], kind, rng)
            track = _global(sel100x, signal)
            assert prediction_quality(track).unusable_leads == (bad,), kind
            assert track.waves == good.waves, kind  # exactly the good lead's track


@pytest.mark.slow
def test_one_of_two_leads_unusable_in_part(sel100x: Record) -> None:
    fs = sel100x.fs
    a, b = int(10 * fs), int(20 * fs)
    rng = np.random.default_rng(1)
    clean = _global(sel100x, sel100x.signal)
    for bad in (0, 1):
        good = _global(sel100x, sel100x.signal, [1 - bad])
        for kind in ("invalid", "flat", "saturated", "noisy"):
            signal = sel100x.signal.copy()
            signal[a:b, bad] = damaged(signal[a:b, bad], kind, rng)
            track = _global(sel100x, signal)
            (span,) = prediction_quality(track).spans(bad)
            kept, same = _kept_and_same(_qrs(good, *span), _qrs(track, *span), fs)
            assert kept >= 0.99 and same >= 0.95, (kind, bad, kept, same)
            outside = np.concatenate([_qrs(clean, 0, span[0]), _qrs(clean, span[1])])
            kept, _ = _kept_and_same(outside, _qrs(track), fs)  # boundaries may move by a sample or two
            assert kept >= 0.99, (kind, bad, kept)


@pytest.mark.slow
def test_six_of_twelve_leads_unusable() -> None:
    record = read_record(DATA / "ludb" / "1")
    fs = record.fs
    bad = [1, 3, 5, 7, 9, 11]
    kinds = ["flat", "invalid", "saturated", "clipped", "noisy", "disconnected"]
    rng = np.random.default_rng(2)
    good = _global(record, record.signal, [k for k in range(12) if k not in bad])
    whole, part = record.signal.copy(), record.signal.copy()
    a, b = int(3 * fs), int(7 * fs)
    for lead, kind in zip(bad, kinds, strict=True):
        whole[:, lead] = damaged(whole[:, lead], kind, rng)
        part[a:b, lead] = damaged(part[a:b, lead], kind, rng)
    track = _global(record, whole)
    assert prediction_quality(track).unusable_leads == tuple(bad)
    assert track.waves == good.waves
    track = _global(record, part)
    quality = prediction_quality(track)
    lo = max(int(quality.spans(k)[0, 0]) for k in bad)
    hi = min(int(quality.spans(k)[0, 1]) for k in bad)
    kept, same = _kept_and_same(_qrs(good, lo, hi), _qrs(track, lo, hi), fs)
    assert kept >= 0.99 and same >= 0.95


@pytest.mark.slow
def test_no_usable_lead_gives_empty_tracks(sel100x: Record) -> None:
    signal = sel100x.signal.copy()
    signal[:, 0] = 0.0
    signal[:, 1] = np.nan
    record = Record("dead", signal, sel100x.fs, sel100x.lead_names)
    (track,) = preannotate(record, default_model_path())
    assert len(track) == 0 and prediction_quality(track).nothing_usable
    per_lead = preannotate(record, default_model_path(), per_lead=True)
    assert [len(t) for t in per_lead] == [0, 0] and [t.lead for t in per_lead] == [0, 1]


# --------------------------------------------------------------------------- annotate's report
def _write_copy(record: Record, signal: np.ndarray, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    n = record.n_leads
    wfdb.wrsamp(name, fs=record.fs, units=list(record.units), sig_name=list(record.lead_names),
                p_signal=signal.astype(np.float64), fmt=["16"] * n, adc_gain=[1000.0] * n, baseline=[0] * n,
                write_dir=str(folder))
    return folder / name


def test_annotate_names_excluded_leads_and_seconds(
    tmp_path: Path, sel100x: Record, tiny_model: Path, fake_inference: None, capsys: pytest.CaptureFixture[str]
) -> None:
    signal = sel100x.signal.copy()
    signal[:, 1] = 0.0
    signal[2500:5000, 0] = np.nan
    path = _write_copy(sel100x, signal, tmp_path / "in", "sel100x")
    code = main(["annotate", str(path), "--out-dir", str(tmp_path / "out"), "--model", str(tiny_model)])
    err = capsys.readouterr().err
    assert code == 0 and (tmp_path / "out" / "sel100x.ecgs").is_file()
    line = next(x for x in err.splitlines() if "sel100x:" in x)
    assert " waves -> " in line
    assert "leads excluded: MLII 11.0 s (invalid samples); V5 whole record (flat line)" in line


def test_annotate_without_any_usable_lead_fails_that_record_in_one_line(
    tmp_path: Path, sel100x: Record, tiny_model: Path, fake_inference: None, capsys: pytest.CaptureFixture[str]
) -> None:
    signal = np.zeros_like(sel100x.signal)
    dead = _write_copy(sel100x, signal, tmp_path / "in", "dead")
    code = main(["annotate", str(dead), str(DATA / "sel100x"), "--out-dir", str(tmp_path / "out"),
                 "--model", str(tiny_model)])
    err = capsys.readouterr().err
    assert code == 1
    lines = [x for x in err.splitlines() if "dead" in x]
    assert len(lines) == 1 and "no usable lead (MLII whole record (flat line); V5 whole record (flat line))" in lines[0]
    assert not (tmp_path / "out" / "dead.ecgs").exists()
    assert (tmp_path / "out" / "sel100x.ecgs").is_file()  # the run went on


def test_long_records_fuse_the_usable_leads_segment_by_segment() -> None:
    from ecgstudio.app.preannotate import fuse_usable_leads, predict_in_segments
    from ecgstudio.core.quality import Exclusion, LeadQuality

    n, fs = 1000, 100.0
    signal = np.random.default_rng(0).random((n, 2)).astype(np.float32)

    def per_lead(model, metadata, sig, fs, *, progress=None, cancel=None):
        probs = np.repeat(sig.T[:, :, None], 6, axis=2) / 6  # each sample's value, spread over the classes
        return probs.astype(np.float32)

    quality = LeadQuality(n, fs, 2, (Exclusion(0, 200, 450, ("flat",)), Exclusion(1, 400, 600, ("invalid",))))
    fuse = fuse_usable_leads(quality, [0, 1])
    whole = predict_in_segments(per_lead, None, {}, signal, fs, reduce=fuse)
    parts = predict_in_segments(per_lead, None, {}, signal, fs, segment_s=1.0, overlap_s=0.3, reduce=fuse)
    np.testing.assert_allclose(parts, whole, atol=1e-3)  # float16 when segmented
    np.testing.assert_allclose(whole[300, 0], signal[300, 1] / 6, rtol=1e-6)  # lead 0 excluded there
    np.testing.assert_allclose(whole[500, 0], signal[500, 0] / 6, rtol=1e-6)  # lead 1 excluded there
    np.testing.assert_allclose(whole[100, 0], signal[100].mean() / 6, rtol=1e-6)
    assert whole[420].tolist() == [0, 0, 0, 0, 0, 1]  # no lead usable: certain T-P
