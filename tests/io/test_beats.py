"""Reading a record's beat annotation file (io.beats): atr first, beat-only fallbacks, bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecgstudio.core.errors import AnnotationError
from ecgstudio.io import beats as beats_module
from ecgstudio.io.beats import read_beat_file

pytestmark = pytest.mark.usefixtures("no_hang")


def write_ann(record: Path, ext: str, samples: list[int], symbols: list[str], fs: float | None = 250) -> None:
    """A WFDB annotation file ``<record>.<ext>`` (letters-only extensions, as wfdb.wrann wants)."""
    wfdb.wrann(record.name, ext, np.array(samples, dtype=np.int64), symbols, fs=fs,
               write_dir=str(record.parent))


def test_a_record_without_beat_file_gives_none(excerpt: Path) -> None:
    # the excerpt has q1c and pu boundary files only: they are never taken for beat labels
    assert read_beat_file(excerpt) is None
    assert read_beat_file(excerpt, "man") is None


def test_atr_beat_symbols_only_sorted(excerpt: Path) -> None:
    write_ann(excerpt, "atr", [10, 330, 529, 600, 728, 925], ["+", "N", "V", "~", "A", "N"])
    beats = read_beat_file(excerpt, fs=250)
    assert beats is not None and beats.path == excerpt.with_name("sel100x.atr")
    assert beats.samples.dtype == np.int64
    assert beats.samples.tolist() == [330, 529, 728, 925]
    assert beats.symbols == ("N", "V", "A", "N")
    assert beats.fs == 250 and len(beats) == 4 and beats.counts() == {"N": 2, "V": 1, "A": 1}
    assert read_beat_file(str(excerpt) + ".hea") is not None  # the header path works too


def test_a_beat_only_file_is_the_fallback_without_atr(excerpt: Path) -> None:
    write_ann(excerpt, "zzz", [100, 200], ["N", "V"])  # another beat-only file, found after man
    write_ann(excerpt, "man", [330, 529], ["A", "N"])
    beats = read_beat_file(excerpt)
    assert beats is not None and beats.path.name == "sel100x.man" and beats.symbols == ("A", "N")
    excerpt.with_name("sel100x.man").unlink()
    assert read_beat_file(excerpt).path.name == "sel100x.zzz"


def test_fallback_skips_boundary_rhythm_and_corrupt_files(excerpt: Path) -> None:
    write_ann(excerpt, "bnd", [320, 330, 340], ["(", "N", ")"])  # boundaries: not a beat file
    write_ann(excerpt, "rhy", [0, 1000], ["+", "+"])  # rhythm only
    excerpt.with_name("sel100x.bad").write_bytes(b"\x01\x02\x03")
    assert read_beat_file(excerpt) is None
    write_ann(excerpt, "zzz", [330], ["V"])
    assert read_beat_file(excerpt).symbols == ("V",)


def test_an_atr_without_beats_falls_back(excerpt: Path) -> None:
    write_ann(excerpt, "atr", [0], ["+"])
    write_ann(excerpt, "man", [330], ["V"])
    assert read_beat_file(excerpt).path.name == "sel100x.man"


@pytest.mark.parametrize("content", [b"\x01\x02\x03", bytes(range(256)) * 3 + b"\x00"])
def test_a_corrupt_atr_raises_one_line(excerpt: Path, content: bytes) -> None:
    excerpt.with_name("sel100x.atr").write_bytes(content)
    with pytest.raises(AnnotationError) as info:
        read_beat_file(excerpt)
    message = str(info.value)
    assert "sel100x.atr" in message and "\n" not in message and info.value.__cause__ is None


def test_an_atr_for_another_sampling_frequency_raises(excerpt: Path) -> None:
    write_ann(excerpt, "atr", [330], ["V"], fs=360)
    with pytest.raises(AnnotationError, match="360 Hz"):
        read_beat_file(excerpt, fs=250)
    assert read_beat_file(excerpt).fs == 360  # not checked without fs


def test_a_too_large_file_is_refused(excerpt: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_ann(excerpt, "atr", list(range(100, 5000, 200)), ["N"] * 25)
    monkeypatch.setattr(beats_module, "MAX_BEAT_FILE_BYTES", 20)
    with pytest.raises(AnnotationError, match="too large"):
        read_beat_file(excerpt)


def test_the_bundled_sample_has_atrial_premature_beats() -> None:
    sample = Path(__file__).resolve().parents[2] / "resources" / "sel100"
    beats = read_beat_file(sample, fs=250)
    assert beats is not None and beats.path.suffix == ".atr"
    assert beats.counts().get("A", 0) > 0 and np.all(np.diff(beats.samples) >= 0)
