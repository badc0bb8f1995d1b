"""The annotation encoder writes exactly the bytes wfdb.wrann writes (and wfdb reads them back)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecgstudio.io._mit_encode import encode

SYMBOLS = ["(", ")", "p", "t", "N", "A", "V", "u", "F", "Q", "/", "+", "~", "|"]


@st.composite
def annotation_sets(draw: st.DrawFn) -> tuple:
    n = draw(st.integers(1, 40))
    gaps = draw(st.lists(st.one_of(st.integers(0, 1100), st.integers(1024, 3_000_000)), min_size=n, max_size=n))
    samples = np.cumsum(gaps).tolist()
    symbols = draw(st.lists(st.sampled_from(SYMBOLS), min_size=n, max_size=n))
    chans = draw(st.lists(st.integers(0, 255), min_size=n, max_size=n))
    nums = draw(st.lists(st.integers(0, 127), min_size=n, max_size=n))
    notes = draw(st.none() | st.lists(st.sampled_from(["", "", "ecgstudio:per-lead", "(AFIB", "x"]),
                                      min_size=n, max_size=n))
    fs = draw(st.sampled_from([None, 250.0, 500.0, 360.0, 128.0, 257.5, 1000.0, 250]))
    return samples, symbols, chans, nums, notes, fs


def _wfdb_bytes(folder: Path, samples, symbols, chans, nums, notes, fs) -> bytes:
    wfdb.wrann("rec", "tst", sample=np.asarray(samples, dtype=np.int64), symbol=list(symbols),
               chan=np.asarray(chans, dtype=np.int64), num=np.asarray(nums, dtype=np.int64),
               aux_note=None if notes is None else list(notes), fs=fs, write_dir=str(folder))
    return (folder / "rec.tst").read_bytes()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(annotation_sets())
def test_encode_matches_wfdb_wrann_byte_for_byte(tmp_path: Path, case: tuple) -> None:
    assert encode(*case) == _wfdb_bytes(tmp_path, *case)


def test_wfdb_reads_back_what_was_encoded(tmp_path: Path) -> None:
    samples, symbols = [5, 40, 2000, 2_500_000], ["(", "N", ")", "t"]
    (tmp_path / "rec.tst").write_bytes(encode(samples, symbols, [0, 3, 3, 11], [1, 1, 2, 0],
                                              ["", "ecgstudio:per-lead", "", ""], 500.0))
    ann = wfdb.rdann(str(tmp_path / "rec"), "tst")
    assert ann.sample.tolist() == samples
    assert ann.symbol == symbols
    assert ann.chan.tolist() == [0, 3, 3, 11]
    assert ann.num.tolist() == [1, 1, 2, 0]
    assert ann.aux_note[1] == "ecgstudio:per-lead"
    assert ann.fs == 500


@pytest.mark.parametrize("bad", [dict(samples=[5, 4]), dict(chans=[0, 256]), dict(nums=[0, 128])])
def test_encode_refuses_what_a_file_cannot_hold(bad: dict) -> None:
    args = dict(samples=[1, 2], symbols=["N", "N"], chans=[0, 0], nums=[0, 0], aux_notes=None, fs=None) | bad
    with pytest.raises(ValueError):
        encode(**args)
