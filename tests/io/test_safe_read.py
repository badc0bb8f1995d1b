"""ecgstudio.safe_read: regular files only, size checked on the opened file, bounded and cancellable reads."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ecgstudio import safe_read
from ecgstudio.core.errors import AnnotationError, EcgStudioError

pytestmark = pytest.mark.usefixtures("no_hang")

HAS_FIFO = hasattr(os, "mkfifo")
HAS_DEV_ZERO = Path("/dev/zero").exists()


def one_line(info: pytest.ExceptionInfo[BaseException], name: str, *words: str) -> str:
    message = str(info.value)
    assert "\n" not in message and name in message, message
    for word in words:
        assert word.lower() in message.lower(), message
    assert info.value.__cause__ is None
    return message


@pytest.mark.skipif(not HAS_FIFO, reason="no FIFOs on this platform")
@pytest.mark.parametrize("reader", ["open_regular", "check_regular", "read_bytes", "read_text", "load_json"])
def test_a_fifo_is_refused_without_blocking(tmp_path: Path, reader: str) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)  # nobody ever writes to it: an ordinary open() would block forever
    call = getattr(safe_read, reader)
    args = (fifo,) if reader == "open_regular" else (fifo, 1000)
    with pytest.raises(AnnotationError) as info:
        call(*args, what="review file", error=AnnotationError)
    one_line(info, "pipe.json", "FIFO", "not a regular file")


@pytest.mark.skipif(not HAS_DEV_ZERO, reason="no /dev/zero")
def test_a_link_to_dev_zero_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "rec.ecgs.review.json"
    link.symlink_to("/dev/zero")  # st_size 0: a size check on the path would pass, the read would never end
    with pytest.raises(safe_read.UnreadableFileError) as info:
        safe_read.read_bytes(link, 1000)
    one_line(info, "rec.ecgs.review.json", "character device")


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EcgStudioError) as info:
        safe_read.read_text(tmp_path, 1000, what="model metadata")
    one_line(info, str(tmp_path), "folder")


def test_missing_files(tmp_path: Path) -> None:
    assert safe_read.read_bytes(tmp_path / "none", 10, missing_ok=True) is None
    assert safe_read.open_regular(tmp_path / "none" / "deeper", missing_ok=True) is None
    with pytest.raises(safe_read.UnreadableFileError) as info:
        safe_read.read_bytes(tmp_path / "none", 10, what="annotation file")
    one_line(info, "none", "annotation file not found")


def test_the_limit_is_checked_on_the_opened_file(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b"x" * 101)
    assert safe_read.read_bytes(path, 101) == b"x" * 101
    with pytest.raises(safe_read.UnreadableFileError) as info:
        safe_read.read_bytes(path, 100, what="model metadata")
    one_line(info, "big.json", "too large", "limit")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="no procfs")
def test_at_most_limit_plus_one_bytes_are_read_when_fstat_lies() -> None:
    # procfs files report st_size 0 but hold text: the size check passes, the bounded read must still stop
    assert os.stat("/proc/self/status").st_size == 0
    with pytest.raises(safe_read.UnreadableFileError) as info:
        safe_read.read_bytes("/proc/self/status", 16)
    one_line(info, "/proc/self/status", "grew past the limit")


def test_reads_are_cancellable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"0123456789" * 10)
    monkeypatch.setattr(safe_read, "_BLOCK", 7)
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(safe_read.ReadCancelled):
        safe_read.read_bytes(path, 1000, cancel=cancel)
    assert len(calls) == 4  # checked between blocks, stopped at the first True
    assert safe_read.read_bytes(path, 1000, cancel=lambda: False) == b"0123456789" * 10


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(safe_read.UnreadableFileError) as info:
        safe_read.load_json(path, 100, what="review file")
    one_line(info, "x.json", "not UTF-8")


@pytest.mark.parametrize("depth", [65, 5000, 200_000])
def test_deeply_nested_json_is_refused_in_one_line(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "bomb.json"
    path.write_text("[" * depth + "]" * depth)
    with pytest.raises(safe_read.UnreadableFileError) as info:
        safe_read.load_json(path, 1 << 20, what="model metadata")
    one_line(info, "bomb.json", "nested more than 64 levels")


def test_json_up_to_the_depth_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "ok.json"
    value: object = 1
    for _ in range(63):
        value = {"a": [value]} if isinstance(value, int) else [value]
    path.write_text(json.dumps(value))
    assert safe_read.load_json(path, 1 << 20) == value
    assert not safe_read.json_depth_exceeds(value, 64)
    assert safe_read.json_depth_exceeds([value], 64)


@pytest.mark.parametrize("text, words", [("{not json", "not valid JSON (Expecting property name"),
                                         ("1" * 5000, "not valid JSON"),
                                         ("", "line 1 column 1")])
def test_invalid_json_is_one_line(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(safe_read.UnreadableFileError) as info:
        safe_read.load_json(path, 1 << 20, what="review file")
    one_line(info, "bad.json", "corrupt review file", words)


def test_reads_a_symlink_to_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "real.json").write_text('{"a": 1}')
    (tmp_path / "link.json").symlink_to(tmp_path / "real.json")
    assert safe_read.load_json(tmp_path / "link.json", 100) == {"a": 1}
    with safe_read.open_regular(tmp_path / "link.json") as handle:
        assert os.get_blocking(handle.fileno())  # back to blocking reads after the O_NONBLOCK open
