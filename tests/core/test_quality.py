"""core.quality: unusable stretches of real leads (damaged copies of tests/data records), spans, decoding around them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecgstudio.core.decode import DecodeConfig, decode, find_peaks_in_segments
from ecgstudio.core.quality import DEFAULT_QUALITY, LeadQuality, assess_leads
from ecgstudio.core.spans import intersect_spans, overlaps_spans, true_runs
from ecgstudio.io.records import read_record
from tests.helpers import damaged

DATA = Path(__file__).resolve().parents[1] / "data"
MARGIN_S = DEFAULT_QUALITY.margin_s


@pytest.fixture(scope="module")
def sel100x():
    return read_record(DATA / "sel100x")


@pytest.fixture(scope="module")
def ludb1():
    return read_record(DATA / "ludb" / "1")


REASON = {"flat": "flat", "invalid": "invalid", "saturated": "saturated", "clipped": "saturated",
          "noisy": "noise", "disconnected": "disconnected"}


@pytest.mark.parametrize("name", ["sel100x", "ludb/1", "ludb/2", "synth12"])
def test_clean_records_exclude_nothing(name: str) -> None:
    record = read_record(DATA / name)
    quality = assess_leads(record.signal, record.fs)
    assert quality.is_clean and quality.summary(record.lead_names) == ""
    assert quality.usable_leads == tuple(range(record.n_leads)) and not quality.nothing_usable


@pytest.mark.parametrize("kind", list(REASON))
@pytest.mark.parametrize("bad", [0, 1])
def test_a_damaged_lead_is_excluded_whole_and_the_other_kept(sel100x, kind: str, bad: int) -> None:
    signal = sel100x.signal.copy()
    signal[:, bad] = damaged(signal[:, bad], kind, np.random.default_rng(bad))
    quality = assess_leads(signal, sel100x.fs)
    assert quality.unusable_leads == (bad,) and quality.usable_leads == (1 - bad,)
    assert quality.reasons(bad)[0] == REASON[kind]
    assert not len(quality.spans(1 - bad)) and not len(quality.unusable_spans())
    name = sel100x.lead_names[bad]
    assert quality.summary(sel100x.lead_names).startswith(f"{name} whole record (")


@pytest.mark.parametrize("kind", list(REASON))
def test_a_damaged_stretch_is_excluded_with_a_margin(sel100x, kind: str) -> None:
    fs = sel100x.fs
    a, b = int(10 * fs), int(20 * fs)
    signal = sel100x.signal.copy()
    signal[a:b, 1] = damaged(signal[a:b, 1], kind, np.random.default_rng(3))
    quality = assess_leads(signal, fs)
    (span,) = quality.spans(1)
    assert span[0] <= a and span[1] >= b  # the whole stretch ...
    assert a - span[0] <= (MARGIN_S + 1.0) * fs and span[1] - b <= (MARGIN_S + 1.0) * fs  # ... and little more
    assert not len(quality.spans(0))
    assert quality.usable_mask([0, 1], a, b).tolist() == [[True, False]] * (b - a)
    assert quality.excluded_samples(1) == span[1] - span[0]


def test_moderate_noise_is_excluded_only_where_another_lead_is_clean(sel100x) -> None:
    rng = np.random.default_rng(0)
    one = sel100x.signal.copy()
    one[:, 0] += rng.normal(0, 0.3, one.shape[0]).astype(np.float32)
    quality = assess_leads(one, sel100x.fs)
    assert quality.unusable_leads == (0,) and all(e.relative for e in quality.exclusions)
    both = one.copy()
    both[:, 1] += rng.normal(0, 0.3, both.shape[0]).astype(np.float32)
    assert assess_leads(both, sel100x.fs).is_clean  # both noisy: still annotated from both
    both[:, 1] += rng.normal(0, 1.0, both.shape[0]).astype(np.float32)  # extreme noise: always excluded
    assert assess_leads(both, sel100x.fs).unusable_leads == (1,)


def test_twelve_leads_six_damaged(ludb1) -> None:
    rng = np.random.default_rng(1)
    signal = ludb1.signal.copy()
    bad = [0, 2, 4, 6, 8, 10]
    for lead, kind in zip(bad, ["flat", "invalid", "saturated", "clipped", "noisy", "disconnected"], strict=True):
        signal[:, lead] = damaged(signal[:, lead], kind, rng)
    quality = assess_leads(signal, ludb1.fs)
    assert quality.unusable_leads == tuple(bad)
    assert quality.usable_leads == (1, 3, 5, 7, 9, 11)


def test_nothing_usable(sel100x) -> None:
    signal = np.zeros_like(sel100x.signal)
    signal[:, 1] = np.nan
    quality = assess_leads(signal, sel100x.fs)
    assert quality.nothing_usable and quality.usable_leads == ()
    assert quality.unusable_spans().tolist() == [[0, sel100x.n_samples]]
    assert quality.summary(sel100x.lead_names) == (
        "MLII whole record (flat line); V5 whole record (invalid samples)")


def test_no_lead_usable_in_a_stretch(sel100x) -> None:
    fs = sel100x.fs
    signal = sel100x.signal.copy()
    signal[int(5 * fs):int(15 * fs), 0] = np.nan
    signal[int(10 * fs):int(20 * fs), 1] = 0.0
    quality = assess_leads(signal, fs)
    (common,) = quality.unusable_spans()
    assert common[0] <= 10 * fs <= 15 * fs <= common[1]
    assert not quality.nothing_usable


def test_short_and_empty_signals() -> None:
    assert assess_leads(np.zeros((0, 2), np.float32), 250.0).is_clean
    quality = assess_leads(np.zeros(10, np.float32), 250.0)  # one lead, 40 ms, flat
    assert quality.unusable_leads == (0,)
    with pytest.raises(ValueError):
        assess_leads(np.zeros((10, 2, 2)), 250.0)


def test_spans_helpers() -> None:
    assert true_runs(np.array([0, 1, 1, 0, 1], bool)).tolist() == [[1, 3], [4, 5]]
    a = np.array([[0, 10], [20, 30]])
    b = np.array([[5, 25]])
    assert intersect_spans(a, b).tolist() == [[5, 10], [20, 25]]
    hit = overlaps_spans(a, np.array([10, 9, 30, 0]), np.array([19, 9, 40, 0]))
    assert hit.tolist() == [False, True, False, True]
    assert overlaps_spans(None, np.array([1]), np.array([2])).tolist() == [False]


def test_decode_leaves_unannotated_spans_empty_and_places_peaks_on_usable_leads() -> None:
    fs, n = 250.0, 2500
    classes = np.full(n, 5)
    for start in range(100, n - 200, 200):  # QRS (QR, RS) then ST
        classes[start:start + 10], classes[start + 10:start + 20], classes[start + 20:start + 80] = 2, 3, 4
    probs = np.eye(6, dtype=np.float32)[classes]
    sig = np.zeros((n, 2), np.float32)
    for start in range(100, n - 200, 200):
        sig[start + 8, 0] = 1.0  # lead 0: R at +8
        sig[start + 14, 1] = 1.0  # lead 1: R at +14, larger and excluded in 1000..1500
    sig[1000:1500, 1] *= 50.0
    void = np.array([[2000, 2100]])
    signal_peaks = DecodeConfig(r_peak="signal")  # the R peak from the signal, not from the model's QR/RS boundary
    track = decode(probs, sig, fs, excluded=[None, np.array([[1000, 1500]])], unannotated=void, config=signal_peaks)
    assert not any(w.start <= 2100 and w.offset >= 1999 for w in track.waves)
    qrs = {w.onset: w.peak - w.onset for w in track.waves if w.kind.name == "QRS"}
    assert qrs[1100] == 8 and qrs[1300] == 8  # inside the exclusion: from lead 0 only
    peaks = find_peaks_in_segments(sig, np.array([1100]), np.array([1120]))
    assert peaks.tolist() == [1114]  # without it lead 1's huge values win


def test_lead_quality_value() -> None:
    quality = LeadQuality(100, 10.0, 2)
    assert quality.is_clean and quality.spans(0).shape == (0, 2) and quality.excluded_leads == ()
