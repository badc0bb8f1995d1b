"""Reading records: formats, ranges, units, leads, paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecgstudio.core.errors import RecordError
from ecgstudio.io.records import list_records, read_header, read_record, resolve_record_path


def test_reads_excerpt_as_float32_millivolts(excerpt: Path):
    record = read_record(excerpt)
    reference = wfdb.rdrecord(str(excerpt))
    assert record.signal.dtype == np.float32
    assert record.signal.shape == (reference.sig_len, 2)
    assert record.lead_names == ("MLII", "V5")
    assert record.units == ("mV", "mV")
    assert record.fs == 250
    assert record.name == "sel100x"
    assert record.path == excerpt
    np.testing.assert_allclose(record.signal, reference.p_signal, atol=1e-6)


@pytest.mark.parametrize("start, stop", [(0, 1), (1, 2), (333, 1001), (1000, None), (7499, 7500)])
def test_sample_range_equals_slice_of_full_record(excerpt: Path, start: int, stop: int | None):
    full = read_record(excerpt)
    part = read_record(excerpt, sampfrom=start, sampto=stop)
    end = full.n_samples if stop is None else stop
    np.testing.assert_array_equal(part.signal, full.signal[start:end])
    assert part.start_sample == start
    assert part.total_samples == full.n_samples


@pytest.mark.parametrize("start, stop", [(-1, 10), (10, 10), (20, 10), (0, 7501)])
def test_bad_sample_range_raises(excerpt: Path, start: int, stop: int):
    with pytest.raises(RecordError, match="sample range"):
        read_record(excerpt, sampfrom=start, sampto=stop)


def test_header_only(excerpt: Path):
    info = read_header(str(excerpt) + ".hea")
    assert (info.name, info.fs, info.n_samples, info.lead_names) == ("sel100x", 250.0, 7500, ("MLII", "V5"))
    assert info.duration_s == pytest.approx(30.0)
    assert info.path == excerpt


def test_twelve_leads_at_500_hz(synth12: Path):
    record = read_record(synth12)
    assert record.fs == 500
    assert record.n_leads == 12
    assert record.lead_names[:3] == ("i", "ii", "iii") and record.lead_names[-1] == "v6"
    assert record.lead_index("V6") == 11
    reference = wfdb.rdrecord(str(synth12))
    np.testing.assert_allclose(record.signal, reference.p_signal, atol=1e-6)


@pytest.mark.parametrize("fmt", ["16", "212", "80", "24", "32"])
def test_storage_formats_read_the_same_values(tmp_path: Path, fmt: str):
    rng = np.random.default_rng(int(fmt))
    digital = rng.integers(-100, 100, size=(250, 3)).astype(np.int64)
    wfdb.wrsamp("rec", fs=360, units=["mV"] * 3, sig_name=["a", "b", "c"], d_signal=digital,
                fmt=[fmt] * 3, adc_gain=[200.0] * 3, baseline=[0] * 3, write_dir=str(tmp_path))
    record = read_record(tmp_path / "rec")
    assert record.fs == 360
    np.testing.assert_allclose(record.signal, digital / 200.0, atol=1e-6)


def test_invalid_samples_become_nan(tmp_path: Path):
    digital = np.arange(40, dtype=np.int64).reshape(20, 2)
    digital[5, 0] = -32768  # WFDB's invalid-sample value in format 16
    wfdb.wrsamp("gap", fs=100, units=["mV", "mV"], sig_name=["x", "y"], d_signal=digital, fmt=["16", "16"],
                adc_gain=[100.0, 100.0], baseline=[0, 0], write_dir=str(tmp_path))
    record = read_record(tmp_path / "gap")
    assert np.isnan(record.signal[5, 0])
    assert np.count_nonzero(np.isnan(record.signal)) == 1
    assert record.signal[5, 1] == pytest.approx(digital[5, 1] / 100)


@pytest.mark.parametrize("unit, factor", [("uV", 1e-3), ("mV", 1.0), ("V", 1e3)])
def test_voltages_are_scaled_to_millivolts(tmp_path: Path, unit: str, factor: float):
    digital = np.arange(10, dtype=np.int64).reshape(10, 1) * 10
    wfdb.wrsamp("u", fs=500, units=[unit], sig_name=["v1"], d_signal=digital, fmt=["16"],
                adc_gain=[1.0], baseline=[0], write_dir=str(tmp_path))
    record = read_record(tmp_path / "u")
    assert record.units == ("mV",)
    np.testing.assert_allclose(record.signal[:, 0], digital[:, 0] * factor, rtol=1e-6)
    assert read_header(tmp_path / "u").units == ("mV",)


def test_resolve_record_path_accepts_the_usual_spellings(excerpt: Path):
    for spelling in (excerpt, str(excerpt), str(excerpt) + ".hea", excerpt.with_name("sel100x.dat")):
        assert resolve_record_path(spelling) == excerpt


def test_resolve_record_path_errors(tmp_path: Path, excerpt: Path):
    with pytest.raises(RecordError, match="no WFDB header"):
        resolve_record_path(tmp_path / "nothing")
    with pytest.raises(RecordError, match="does not exist"):
        resolve_record_path(tmp_path / "missing_folder" / "rec")
    with pytest.raises(RecordError, match="folder"):
        resolve_record_path(tmp_path)


def test_list_records_sorts_naturally(tmp_path: Path):
    for name in ("rec10", "rec2", "rec1"):
        wfdb.wrsamp(name, fs=250, units=["mV"], sig_name=["a"], d_signal=np.zeros((4, 1), np.int64),
                    fmt=["16"], adc_gain=[1.0], baseline=[0], write_dir=str(tmp_path))
    (tmp_path / "notes.txt").write_text("not a record")
    assert [p.name for p in list_records(tmp_path)] == ["rec1", "rec2", "rec10"]
    assert list_records(str(tmp_path))[0] == tmp_path / "rec1"


def test_list_records_of_a_missing_folder(tmp_path: Path):
    with pytest.raises(RecordError, match="not a folder"):
        list_records(tmp_path / "nope")


def test_reading_in_blocks_gives_the_same_signal(excerpt: Path, monkeypatch: pytest.MonkeyPatch):
    import ecgstudio.io.records as records

    whole = read_record(excerpt, 101, 5000)
    monkeypatch.setattr(records, "_CHUNK_VALUES", 333)  # odd block lengths across format-212 byte pairs
    np.testing.assert_array_equal(read_record(excerpt, 101, 5000).signal, whole.signal)


def test_header_without_length_uses_the_signal_file_size(excerpt: Path):
    header = excerpt.with_suffix(".hea")
    header.write_text(header.read_text().replace("sel100x 2 250 7500", "sel100x 2 250", 1))
    assert read_header(excerpt).n_samples == 7500
    full = read_record(excerpt)
    assert full.n_samples == 7500
    np.testing.assert_array_equal(read_record(excerpt, 10, 20).signal, full.signal[10:20])


def test_multi_segment_record(tmp_path: Path):
    for i, name in enumerate(["seg1", "seg2"]):
        digital = (np.arange(20).reshape(10, 2) + 100 * i).astype(np.int64)
        wfdb.wrsamp(name, fs=250, units=["mV", "mV"], sig_name=["I", "II"], d_signal=digital, fmt=["16", "16"],
                    adc_gain=[100.0, 100.0], baseline=[0, 0], write_dir=str(tmp_path))
    (tmp_path / "multi.hea").write_text("multi/2 2 250 20\nseg1 10\nseg2 10\n")
    info = read_header(tmp_path / "multi")
    assert (info.n_samples, info.lead_names) == (20, ("I", "II"))
    record = read_record(tmp_path / "multi", 5, 15)
    expected = np.concatenate([np.arange(10, 20, 2), np.arange(100, 110, 2)]) / 100
    np.testing.assert_allclose(record.signal[:, 0], expected, atol=1e-6)
    (tmp_path / "seg2.dat").unlink()
    with pytest.raises(RecordError, match="multi"):
        read_record(tmp_path / "multi")
