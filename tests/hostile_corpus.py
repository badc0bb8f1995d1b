"""Builders of the hostile-file corpus (issue 14) that ``tests/test_hostile_corpus.py`` sweeps.

Every case is a small work folder: ``rec/`` holds a copy of the 30 s QTDB excerpt ``sel100x``
(``.hea``, ``.dat``, ``.q1c``) with one hostile twist, ``home/`` is ``$ECGSTUDIO_HOME`` (recovery
files live in ``home/autosave``), ``models/`` holds a model case's hostile copy of the tiny
untrained model pair (the other cases share the tiny pair itself), ``out/`` receives what
fine-tuning writes.

Also here, independent of the code under test: a WFDB annotation file encoder and decoder (the
oracle that says which annotations a file held), and a snapshot of a folder that never opens a
special file (FIFOs, devices), so "nothing lost" can be checked byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import stat
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tests.helpers import DEAD_PID, crashed_editor_file

DATA = Path(__file__).resolve().parent / "data"
RECORD = "sel100x"
N_SAMPLES = 7500
FS = 250.0
HAS_DEV_ZERO = Path("/dev/zero").exists()

# ---------------------------------------------------------------------- WFDB annotation bytes (the oracle)
#: Label codes of the symbols used here (wfdb's ``ann_label_table``).
CODES = {"N": 1, "V": 5, "|": 16, "p": 24, "t": 27, "(": 39, ")": 40, "NOTE": 22}
_SKIP, _NUM, _SUB, _CHN, _AUX = 59, 60, 61, 62, 63

#: One annotation: (sample, label code, num, chan).
Ann = tuple[int, int, int, int]


def encode_annotations(items: list[tuple[int, int | str, int]] | list[Ann], *, fs: float | None = FS,
                       notes: tuple[str, ...] = ()) -> bytes:
    """A WFDB annotation file holding ``items`` ``(sample, code or symbol, num[, chan])``, in order.

    ``fs`` is stored as the usual ``## time resolution`` note; ``notes`` are further NOTE
    annotations at sample 0 (definition notes). Any 6-bit label code can be written, including
    codes wfdb has no symbol for.
    """
    out = bytearray()

    def word(code: int, low: int) -> None:
        out.extend(bytes([low & 255, ((low >> 8) & 3) | (code << 2)]))

    def note(text: str) -> None:
        word(CODES["NOTE"], 0)
        raw = text.encode("ascii")
        word(_AUX, len(raw))
        out.extend(raw + b"\x00" * (len(raw) % 2))

    prev = 0
    for text in ([f"## time resolution: {fs:g}"] if fs is not None else []) + list(notes):
        note(text)
    for item in items:
        sample, label, num = item[0], item[1], item[2]
        chan = item[3] if len(item) > 3 else 0
        code = CODES[label] if isinstance(label, str) else int(label)
        delta = int(sample) - prev
        prev = int(sample)
        if not 0 <= delta <= 1023:
            word(_SKIP, 0)
            d = delta & 0xFFFFFFFF
            out.extend(bytes([(d >> 16) & 255, (d >> 24) & 255, d & 255, (d >> 8) & 255]))
            delta = 0
        word(code, delta)
        word(_NUM, num & 255)
        word(_CHN, chan & 255)
    word(0, 0)
    return bytes(out)


def decode_annotations(raw: bytes, *, partial: bool = False) -> Counter[Ann] | None:
    """The annotations of a WFDB annotation file as a multiset of ``(sample, code, num, chan)``.

    Definition notes (NOTE annotations whose text starts with ``## ``) and code-0 words (the time
    reset wfdb writes after them) are left out. ``None`` when the bytes are not a well-formed
    annotation file (empty bytes: no annotations); with ``partial``, a file cut short (no
    end-of-file word) gives the annotations it holds up to the cut. Written from the format description, not from
    the code under test.
    """
    if not raw:
        return Counter()  # an empty file holds no annotations
    if len(raw) % 2:
        return None
    words = [raw[i] | (raw[i + 1] << 8) for i in range(0, len(raw), 2)]
    found: list[list] = []  # [sample, code, num, chan, aux]
    sample, num, chan, i = 0, 0, 0, 0

    def result() -> Counter[Ann]:
        return Counter((s, c, n, ch) for s, c, n, ch, aux in found
                       if c != 0 and not (c == CODES["NOTE"] and aux.startswith("## ")))

    while i < len(words):
        code, low = words[i] >> 10, words[i] & 1023
        if code == 0 and low == 0:
            return result()
        if code == _SKIP:
            if i + 2 >= len(words):
                return None
            d = (words[i + 1] << 16) | words[i + 2]
            sample += d - (1 << 32) if d >= 1 << 31 else d
            i += 3
            continue
        if code in (_NUM, _SUB, _CHN, _AUX):
            if not found:
                return None
            if code == _NUM:
                num = found[-1][2] = (low & 255) - 256 * ((low & 255) > 127)
            elif code == _CHN:
                chan = found[-1][3] = low & 255
            elif code == _AUX:
                n_words = ((low & 255) + 1) // 2
                found[-1][4] = bytes(b for w in words[i + 1: i + 1 + n_words]
                                     for b in (w & 255, w >> 8))[: low & 255].decode("latin-1")
                i += n_words
            i += 1
            continue
        sample += low
        found.append([sample, code, num, chan, ""])
        i += 1
    return result() if partial else None  # no end-of-file word


def in_spans(anns: Counter[Ann], spans: list[tuple[int, int]]) -> Counter[Ann]:
    """The annotations whose sample lies in one of the half-open ``spans``."""
    return Counter({a: n for a, n in anns.items() if any(lo <= a[0] < hi for lo, hi in spans)})


# ---------------------------------------------------------------------- snapshots ("nothing lost")
#: Regular files up to this size are compared byte for byte; larger (sparse) ones by inode, size, mtime.
_HASH_LIMIT = 4 << 20


def snapshot(folder: Path) -> dict[str, tuple]:
    """``{name: identity}`` of every entry of ``folder`` (not recursive), never opening a special file."""
    result: dict[str, tuple] = {}
    if not folder.is_dir():
        return result
    for entry in os.scandir(folder):
        st = os.lstat(entry.path)
        if stat.S_ISLNK(st.st_mode):
            result[entry.name] = ("link", os.readlink(entry.path))
        elif stat.S_ISREG(st.st_mode):
            if st.st_size <= _HASH_LIMIT:
                with open(entry.path, "rb") as fh:
                    result[entry.name] = ("file", hashlib.sha256(fh.read()).hexdigest())
            else:
                result[entry.name] = ("big", st.st_ino, st.st_size, st.st_mtime_ns)
        else:
            result[entry.name] = ("special", stat.S_IFMT(st.st_mode), st.st_ino)
    return result


# ---------------------------------------------------------------------- a case
@dataclass
class Work:
    """One command's copy of a case (see the module docstring)."""

    root: Path
    tiny: Path  # the tiny untrained model pair's stem (a good model)
    model: Path = field(init=False)
    #: Reviewed spans a valid sidecar of the case holds (what must survive every command).
    reviewed: list[tuple[int, int]] = field(default_factory=list)
    #: Per command, files of ``rec/`` it may change or remove besides the annotation file and its sidecar.
    may_change: dict[str, set[str]] = field(default_factory=dict)
    #: Undo steps run after the case is built (chattr -i ...).
    cleanup: list[Callable[[], None]] = field(default_factory=list)
    #: Why the case cannot be tried here (``None``: it can).
    skip: str | None = None

    def __post_init__(self) -> None:
        for sub in ("rec", "home", "models", "out"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        for ext in ("hea", "dat", "q1c"):
            shutil.copy(DATA / f"{RECORD}.{ext}", self.rec_dir / f"{RECORD}.{ext}")
        self.model = self.tiny  # shared (loaded once); a model case makes its own copy (own_model)

    def own_model(self) -> Path:
        """Copy the tiny pair to ``models/m`` (to be made hostile) and use it; returns its stem."""
        stem = self.root / "models" / "m"
        for suffix in (".keras", ".json"):
            shutil.copy(self.tiny.with_suffix(suffix), stem.with_suffix(suffix))
        self.model = stem
        return stem

    @property
    def rec_dir(self) -> Path:
        return self.root / "rec"

    @property
    def rec(self) -> Path:
        return self.rec_dir / RECORD

    def file(self, ext: str) -> Path:
        return self.rec_dir / f"{RECORD}.{ext}"

    @property
    def ecgs(self) -> Path:
        return self.file("ecgs")

    @property
    def sidecar(self) -> Path:
        return self.file("ecgs.review.json")

    @property
    def autosave(self) -> Path:
        return self.root / "home" / "autosave"


@dataclass(frozen=True)
class Case:
    """A hostile twist and what is known about it.

    Attributes
    ----------
    name : str
        Short id (``group/what``).
    build : callable
        ``build(work)`` adds the twist to a fresh :class:`Work`.
    commands : tuple[str, ...]
        What runs on it: ``annotate``, ``evaluate``, ``editor`` (open, pending recovery, lock,
        save; Save As ``.ecgs2`` when Save is refused), ``finetune``.
    bad_record : bool
        The record cannot be read: annotate must exit 1, evaluate non-zero, the editor refuse.
    bad_model : bool
        The model pair cannot be used: every command that loads it exits 2.
    clean_exit : bool
        Every command must succeed (exit 0, the editor saves).
    refuse_save : bool
        The editor must open the record but refuse to save it (another editor holds it, the folder
        is read-only, the file changed on disk).
    nowhere_to_save : bool
        Save As into the record's folder cannot work either (read-only folder or document).
    while_open : callable | None
        ``while_open(work)`` runs between the editor's open and its save (another program at work).
    """

    name: str
    build: Callable[[Work], None]
    commands: tuple[str, ...] = ("annotate", "evaluate", "editor")
    bad_record: bool = False
    bad_model: bool = False
    clean_exit: bool = False
    refuse_save: bool = False
    nowhere_to_save: bool = False
    while_open: Callable[[Work], None] | None = None


# ---------------------------------------------------------------------- building blocks
def editor_file(work: Work, reviewed: tuple[int, int] | None = (0, 2500)) -> None:
    """The editor's own ``.ecgs`` (a copy of q1c) and, with ``reviewed``, a sidecar marking that span."""
    from ecgstudio.app.editing import EditingSession

    session = EditingSession.open(work.rec)
    session.copy_reference(["q1c"])
    if reviewed is not None:
        session.mark_reviewed(*reviewed, reviewer="corpus")
        work.reviewed = [reviewed]
    session.save()
    if reviewed is None:
        work.sidecar.unlink()


def write_ecgs(work: Work, raw: bytes) -> None:
    work.ecgs.write_bytes(raw)


def beats(n: int = 30, first: int = 100, step: int = 240) -> list[tuple[int, str, int]]:
    """``n`` well-formed P/QRS/T beats as annotation items."""
    items: list[tuple[int, str, int]] = []
    for b in range(first, first + n * step, step):
        items += [(b, "(", 0), (b + 10, "p", 0), (b + 20, ")", 0),
                  (b + 40, "(", 1), (b + 50, "N", 0), (b + 62, ")", 1),
                  (b + 120, "t", 0), (b + 150, ")", 2)]
    return items


def rule_breaking() -> list[tuple[int, str, int]]:
    """P directly followed by T, T after T, a 1-sample QRS, between ordinary beats (the issue's 6 waves)."""
    items: list[tuple[int, str, int]] = []
    # P, T (P directly before T), QRS, T, T (T after T), QRS: (onset, peak symbol, num of the boundaries)
    for start, peak, num in [(100, "p", 0), (150, "t", 2), (300, "N", 1), (400, "t", 2), (500, "t", 2),
                             (700, "N", 1)]:
        items += [(start, "(", num), (start + 10, peak, 0), (start + 20, ")", num)]
    items += [(900, "(", 1), (900, "N", 0), (901, ")", 1)]  # a 1-sample QRS
    return items


def write_sidecar(work: Work, data: object, *, raw: str | None = None) -> None:
    work.sidecar.write_text(json.dumps(data) if raw is None else raw, encoding="utf-8")


def valid_sidecar(work: Work, spans: list[tuple[int, int]]) -> dict:
    """A version-2 sidecar of the current ``.ecgs`` marking ``spans`` (hash included)."""
    digest = hashlib.sha256(work.ecgs.read_bytes()).hexdigest()
    work.reviewed = list(spans)
    return {"version": 2, "fs": FS, "reviewed": [list(s) for s in spans],
            "marks": [{"start": a, "stop": b, "reviewer": "corpus", "at": "2026-01-01T00:00:00Z"} for a, b in spans],
            "unreviewed_source": {"model": "default", "at": "2026-01-01T00:00:00Z"},
            "annotation_sha256": digest}


def sidecar_twist(change: Callable[[dict], object]) -> Callable[[Work], None]:
    """A case: the editor's file with a sidecar changed by ``change`` (its spans no longer trusted)."""

    def build(work: Work) -> None:
        editor_file(work)
        data = json.loads(work.sidecar.read_text())
        change(data)
        write_sidecar(work, data)
        work.reviewed = []  # not a valid sidecar any more: nothing to keep

    return build


def sparse(path: Path, size: int) -> None:
    with open(path, "wb") as fh:
        fh.truncate(size)


def replace_by_fifo(path: Path) -> None:
    if path.exists() or path.is_symlink():
        path.unlink()
    os.mkfifo(path)


def replace_by_dev_zero(path: Path) -> None:
    if path.exists() or path.is_symlink():
        path.unlink()
    path.symlink_to("/dev/zero")


def header_text(work: Work) -> str:
    return work.file("hea").read_text()


def edit_header(work: Work, old: str, new: str) -> None:
    text = header_text(work)
    assert old in text, (old, text)
    work.file("hea").write_text(text.replace(old, new, 1))


def fmt16_record(work: Work, digital: np.ndarray) -> None:
    """Replace the record by a format-16 one holding ``digital`` ``(n, 2)`` int16 (-32768 = invalid)."""
    n = digital.shape[0]
    work.file("hea").write_text(f"{RECORD} 2 250 {n}\n{RECORD}.dat 16 200 16 0 0 0 0 MLII\n"
                                f"{RECORD}.dat 16 200 16 0 0 0 0 V5\n")
    work.file("dat").write_bytes(np.ascontiguousarray(digital, dtype="<i2").tobytes())


def real_digital(work: Work) -> np.ndarray:
    import wfdb

    return wfdb.rdrecord(str(work.rec), physical=False).d_signal.astype(np.int16)


# ---------------------------------------------------------------------- recovery files
def crashed_editor(work: Work) -> Path:
    """Recovery file of another editor that edited the record, autosaved and died; returns it."""
    return crashed_editor_file(work.rec)


def recovery_twist(change: Callable[[dict], object] | None = None, *,
                   raw: Callable[[str], bytes] | None = None) -> Callable[[Work], None]:
    def build(work: Work) -> None:
        path = crashed_editor(work)
        if change is not None:
            data = json.loads(path.read_text())
            change(data)
            path.write_text(json.dumps(data))
        if raw is not None:
            path.write_bytes(raw(path.read_text()))

    return build


def recovery_special(kind: str) -> Callable[[Work], None]:
    def build(work: Work) -> None:
        path = crashed_editor(work)
        if kind == "fifo":
            replace_by_fifo(path)
        elif kind == "huge":
            path.unlink()
            sparse(path, (256 << 20) + 1)
        elif kind == "folder":
            path.unlink()
            path.mkdir()

    return build


def recovery_then(change: Callable[[Work], None]) -> Callable[[Work], None]:
    def build(work: Work) -> None:
        crashed_editor(work)
        change(work)

    return build


def shorten_record(work: Work) -> None:
    edit_header(work, f"{RECORD} 2 250 7500", f"{RECORD} 2 250 5000")
    work.file("dat").write_bytes(work.file("dat").read_bytes()[: 5000 * 3])


def replace_signal(work: Work) -> None:
    dat = work.file("dat")
    dat.write_bytes(dat.read_bytes()[::-1])  # another signal of the same length


# ---------------------------------------------------------------------- model pairs
def model_meta(change: Callable[[dict], object]) -> Callable[[Work], None]:
    def build(work: Work) -> None:
        path = work.own_model().with_suffix(".json")
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data))

    return build


def model_raw_json(text: str) -> Callable[[Work], None]:
    return lambda work: work.own_model().with_suffix(".json").write_text(text)


def model_file(kind: str) -> Callable[[Work], None]:
    def build(work: Work) -> None:
        keras = work.own_model().with_suffix(".keras")
        if kind == "corrupt keras":
            keras.write_bytes(b"PK\x03\x04 this is not a zip file" * 10)
        elif kind == "keras fifo":
            replace_by_fifo(keras)
        elif kind == "json fifo":
            replace_by_fifo(work.model.with_suffix(".json"))
        elif kind == "keras missing":
            keras.unlink()

    return build


# ---------------------------------------------------------------------- folders and locks
def _writable(folder: Path) -> bool:
    probe = folder / ".corpus-probe"
    try:
        probe.write_bytes(b"")
    except OSError:
        return False
    probe.unlink()
    return True


def read_only_folder(work: Work) -> None:
    """``rec/`` read-only (plus the editor's reviewed file in it): chmod, else ``chattr +i`` as root."""
    editor_file(work)
    folder = work.rec_dir
    os.chmod(folder, 0o555)
    work.cleanup.append(lambda: os.chmod(folder, 0o755))
    if _writable(folder) and shutil.which("chattr"):  # root ignores the mode: try the immutable flag
        done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
        if done.returncode == 0:
            work.cleanup.insert(0, lambda: subprocess.run(["chattr", "-i", str(folder)], check=False))
    if _writable(folder):
        work.skip = "the OS lets this user write into a folder with mode 0555 (root) and chattr is unavailable"


def lock_by(pid: int, content: str | None = None) -> Callable[[Work], None]:
    def build(work: Work) -> None:
        editor_file(work)
        text = content if content is not None else json.dumps(
            {"user": "anna", "host": socket.gethostname(), "pid": pid, "token": "t" * 32, "since": 0})
        work.file("ecgs.lock").write_text(text)
        if pid != os.getppid():  # stale or corrupt: the editor may take it over
            work.may_change.setdefault("editor", set()).add(f"{RECORD}.ecgs.lock")

    return build


def killed_save_leftovers(work: Work) -> None:
    """Temporaries of two saves killed a minute ago (the next save of the same file removes them)."""
    from ecgstudio.atomic import TMP_MARK

    editor_file(work)
    folder = work.rec_dir / f".{RECORD}.ecgs.{TMP_MARK}abc12345"
    folder.mkdir()
    (folder / f"{RECORD}.ecgstmp").write_bytes(b"")
    loose = work.rec_dir / f".{RECORD}.ecgs.review.json.{TMP_MARK}def67890"
    loose.write_bytes(b"{")
    old = os.stat(loose).st_mtime - 60
    for path in (folder, loose):
        os.utime(path, (old, old))
    for command in ("annotate", "editor"):
        work.may_change.setdefault(command, set()).update({folder.name, loose.name})


def another_program_saves(work: Work) -> None:
    """While the editor has the file open, another program writes one more beat into it."""
    write_ecgs(work, encode_annotations(beats(31)))


# ---------------------------------------------------------------------- the corpus
def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _garbage(seed: int, n: int) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def _sorted(items: list[tuple[int, str, int]], *extra: tuple[int, int | str, int]) -> list:
    return sorted([*items, *extra], key=lambda item: item[0])


def _nan_gap(work: Work) -> None:
    digital = real_digital(work)
    digital[2000:3000, 0] = -32768
    fmt16_record(work, digital)


def _ecgs_then_sidecar(raw: bytes, spans: list[tuple[int, int]]) -> Callable[[Work], None]:
    def build(work: Work) -> None:
        write_ecgs(work, raw)
        write_sidecar(work, valid_sidecar(work, spans))

    return build


def _truncated_editor_file(even: bool) -> Callable[[Work], None]:
    def build(work: Work) -> None:
        editor_file(work, reviewed=None)
        raw = work.ecgs.read_bytes()
        cut = len(raw) // 2
        work.ecgs.write_bytes(raw[: cut - cut % 2 if even else cut | 1])  # no end-of-file word either way

    return build


def _hash_mismatch(work: Work) -> None:
    editor_file(work)
    data = json.loads(work.sidecar.read_text())
    data["annotation_sha256"] = "0" * 64
    write_sidecar(work, data)
    work.reviewed = []


def _ecgs_changed_after_sidecar(work: Work) -> None:
    """The sidecar describes an older .ecgs: another program appended a beat since."""
    editor_file(work)
    write_ecgs(work, encode_annotations(beats(31)))
    work.reviewed = []


_EDITOR_AND_CLI = ("annotate", "evaluate", "editor")
_WITH_FINETUNE = ("annotate", "evaluate", "editor", "finetune")
_MODEL = ("annotate", "evaluate", "finetune")


def _cases() -> list[Case]:
    b = beats()
    cases = [
        # baselines: must be clean and succeed
        Case("baseline/plain record", lambda w: None, _EDITOR_AND_CLI, clean_exit=True),
        Case("baseline/reviewed editor file", editor_file, _WITH_FINETUNE, clean_exit=True),
        Case("baseline/crashed editor's recovery", recovery_twist(), _EDITOR_AND_CLI, clean_exit=True),
        Case("baseline/model split null", model_meta(lambda d: d.update(split=None)), _MODEL, clean_exit=True),
        # the editable annotation file
        Case("ecgs/random garbage", lambda w: write_ecgs(w, _garbage(1, 3001))),
        Case("ecgs/even-length garbage", lambda w: write_ecgs(w, _garbage(2, 4000))),
        Case("ecgs/truncated (odd length)", _truncated_editor_file(even=False)),
        Case("ecgs/truncated (even length)", _truncated_editor_file(even=True)),
        Case("ecgs/empty file", lambda w: write_ecgs(w, b"")),
        Case("ecgs/only '(' marks", lambda w: write_ecgs(w, encode_annotations(
            [(100 + 9 * i, "(", 1) for i in range(796)]))),
        Case("ecgs/only ')' marks", lambda w: write_ecgs(w, encode_annotations(
            [(100 + 70 * i, ")", 1) for i in range(100)]))),
        Case("ecgs/only '|' marks", lambda w: write_ecgs(w, encode_annotations(
            [(100 + 70 * i, "|", 0) for i in range(100)]))),
        Case("ecgs/P->T, T->T, 1-sample QRS", lambda w: write_ecgs(w, encode_annotations(rule_breaking()))),
        Case("ecgs/rule-breaking waves, reviewed",
             _ecgs_then_sidecar(encode_annotations(rule_breaking() + b[40:]), [(0, 1000)]), _WITH_FINETUNE),
        Case("ecgs/unknown label code as a QRS peak", lambda w: write_ecgs(w, encode_annotations(
            [(s, 45 if sym == "N" else sym, n) for s, sym, n in b]))),
        Case("ecgs/unknown label code alone", lambda w: write_ecgs(w, encode_annotations(
            _sorted(b, (4000, 47, 0))))),
        Case("ecgs/unknown label code, reviewed",
             _ecgs_then_sidecar(encode_annotations(_sorted(b, (700, 47, 0))), [(0, 1500)])),
        Case("ecgs/annotation beyond the record", lambda w: write_ecgs(w, encode_annotations(
            b + [(9000, "t", 0)]))),
        Case("ecgs/negative sample (skip backwards)", lambda w: write_ecgs(w, encode_annotations(
            [(-50, "(", 1), *b]))),
        Case("ecgs/written for 500 Hz", lambda w: write_ecgs(w, encode_annotations(b, fs=500))),
        Case("ecgs/lead the record lacks", lambda w: write_ecgs(w, encode_annotations(
            [(s, sym, n, 5) for s, sym, n in b]))),
        Case("ecgs/definition notes that loop wfdb", lambda w: write_ecgs(w, encode_annotations(
            b, notes=("## foo",)))),
        Case("ecgs/FIFO", lambda w: replace_by_fifo(w.ecgs)),
        Case("ecgs/link to /dev/zero", lambda w: replace_by_dev_zero(w.ecgs)),
        Case("ecgs/oversize (64 MiB + 1, sparse)", lambda w: sparse(w.ecgs, (64 << 20) + 1)),
        Case("ecgs/a folder", lambda w: w.ecgs.mkdir()),
        Case("ecgs/changed after its sidecar", _ecgs_changed_after_sidecar),
        # a reference annotation file
        Case("q1c/garbage", lambda w: w.file("q1c").write_bytes(_garbage(3, 760))),
        Case("q1c/FIFO", lambda w: replace_by_fifo(w.file("q1c"))),
        Case("q1c/beyond the record", lambda w: w.file("q1c").write_bytes(encode_annotations(
            b + [(9000, "t", 0)]))),
        Case("q1c/written for 500 Hz", lambda w: w.file("q1c").write_bytes(encode_annotations(b, fs=500))),
        # the review sidecar
        Case("sidecar/FIFO", lambda w: (editor_file(w), replace_by_fifo(w.sidecar), w.reviewed.clear()),
             _WITH_FINETUNE),
        Case("sidecar/link to /dev/zero",
             lambda w: (editor_file(w), replace_by_dev_zero(w.sidecar), w.reviewed.clear()), _WITH_FINETUNE),
        Case("sidecar/oversize (50 MB + 1, sparse)",
             lambda w: (editor_file(w), sparse(w.sidecar, 50_000_001), w.reviewed.clear())),
        Case("sidecar/deeply nested JSON", lambda w: (editor_file(w), write_sidecar(
            w, None, raw='{"version": 2, "reviewed": ' + _nested(100_000) + "}"), w.reviewed.clear())),
        Case("sidecar/truncated JSON", lambda w: (editor_file(w), w.sidecar.write_text(
            w.sidecar.read_text()[:30]), w.reviewed.clear())),
        Case("sidecar/reviewed is text", sidecar_twist(lambda d: d.update(reviewed="all"))),
        Case("sidecar/span of strings", sidecar_twist(lambda d: d.update(reviewed=[["0", "2500"]]))),
        Case("sidecar/marks of the wrong type", sidecar_twist(lambda d: d.update(marks={"a": 1}))),
        Case("sidecar/negative span", sidecar_twist(lambda d: d.update(reviewed=[[-5, 100]]))),
        Case("sidecar/span of 1e30", sidecar_twist(lambda d: d.update(reviewed=[[0, 1e30]]))),
        Case("sidecar/span of 10^30 (int)", sidecar_twist(lambda d: d.update(reviewed=[[0, 10**30]])),
             _WITH_FINETUNE),
        Case("sidecar/version 99", sidecar_twist(lambda d: d.update(version=99))),
        Case("sidecar/written for 500 Hz", sidecar_twist(lambda d: d.update(fs=500.0))),
        Case("sidecar/hash of another file", _hash_mismatch, _WITH_FINETUNE),
        Case("sidecar/a folder", lambda w: (editor_file(w, reviewed=None), w.sidecar.mkdir())),
        # recovery files of a crashed editor
        Case("recovery/truncated JSON", recovery_twist(raw=lambda t: t[: len(t) // 2].encode())),
        Case("recovery/negative span", recovery_twist(lambda d: d.update(reviewed=[[-5, 100]]))),
        Case("recovery/span of 10^30", recovery_twist(lambda d: d.update(reviewed=[[0, 10**30]]))),
        Case("recovery/span of 1e30", recovery_twist(lambda d: d.update(reviewed=[[0, 1e30]]))),
        Case("recovery/deeply nested JSON", recovery_twist(
            raw=lambda t: ('{"version": 2, "x": ' + _nested(200_000) + "}").encode())),
        Case("recovery/bad wave letter", recovery_twist(lambda d: d.update(kind=d["kind"][:-1] + "X"))),
        Case("recovery/wrong types", recovery_twist(lambda d: d.update(onset=["1000", None]))),
        Case("recovery/version 99", recovery_twist(lambda d: d.update(version=99))),
        Case("recovery/FIFO", recovery_special("fifo")),
        Case("recovery/oversize (sparse)", recovery_special("huge")),
        Case("recovery/a folder", recovery_special("folder")),
        Case("recovery/record shortened since", recovery_then(shorten_record)),
        Case("recovery/signal replaced since", recovery_then(replace_signal)),
        Case("recovery/editor still running", recovery_twist(
            lambda d: d["owner"].update(pid=os.getppid(), token="cd" * 16, started=None))),
        # the record
        Case("record/header garbage", lambda w: w.file("hea").write_bytes(b"\x00\x01\x02binary\xff\xfe" * 50),
             bad_record=True),
        Case("record/header text garbage", lambda w: w.file("hea").write_text("hello, not a header\n" * 3),
             bad_record=True),
        Case("record/header names a missing .dat", lambda w: edit_header(w, f"{RECORD}.dat", "elsewhere.dat"),
             bad_record=True),
        Case("record/.dat missing", lambda w: w.file("dat").unlink(), bad_record=True),
        Case("record/.dat truncated", lambda w: w.file("dat").write_bytes(w.file("dat").read_bytes()[:5000]),
             bad_record=True),
        Case("record/.dat is a FIFO", lambda w: replace_by_fifo(w.file("dat")), bad_record=True),
        Case("record/.dat links to /dev/zero", lambda w: replace_by_dev_zero(w.file("dat")), bad_record=True),
        Case("record/header is a FIFO", lambda w: replace_by_fifo(w.file("hea")), bad_record=True),
        Case("record/header links to /dev/zero", lambda w: replace_by_dev_zero(w.file("hea")), bad_record=True),
        Case("record/header oversize", lambda w: w.file("hea").write_text(
            header_text(w) + ("#" + "x" * 999 + "\n") * 1100), bad_record=True),
        Case("record/zero-length signal", lambda w: (edit_header(w, f"{RECORD} 2 250 7500", f"{RECORD} 2 250 0"),
                                                     w.file("dat").write_bytes(b"")), bad_record=True),
        Case("record/one-sample signal", lambda w: edit_header(w, f"{RECORD} 2 250 7500", f"{RECORD} 2 250 1")),
        Case("record/sampling frequency nan", lambda w: edit_header(w, f"{RECORD} 2 250 ", f"{RECORD} 2 nan "),
             bad_record=True),
        Case("record/gain 0", lambda w: w.file("hea").write_text(header_text(w).replace("200.0(0)/mV", "0(0)/mV"))),
        Case("record/every sample invalid (NaN)", lambda w: fmt16_record(
            w, np.full((N_SAMPLES, 2), -32768, dtype=np.int16))),
        Case("record/NaN gap in one lead", _nan_gap),
        # model pairs given with --model / --base
        Case("model/deeply nested JSON", model_raw_json(_nested(100_000)), _MODEL, bad_model=True),
        Case("model/nested inside metadata", model_meta(lambda d: d.update(metrics={"t": json.loads(_nested(70))})),
             _MODEL, bad_model=True),
        Case("model/split test is a text", model_meta(lambda d: d.update(split={"test": "sel100"})), _MODEL,
             bad_model=True),
        Case("model/split is a text", model_meta(lambda d: d.update(split="sel100")), _MODEL, bad_model=True),
        Case("model/window and hop of 1", model_meta(lambda d: d.update(window_samples=1, hop_samples=1)),
             _MODEL, bad_model=True),
        Case("model/corrupt .keras", model_file("corrupt keras"), _MODEL, bad_model=True),
        Case("model/.keras is a FIFO", model_file("keras fifo"), _MODEL, bad_model=True),
        Case("model/.json is a FIFO", model_file("json fifo"), _MODEL, bad_model=True),
        Case("model/.keras missing", model_file("keras missing"), _MODEL, bad_model=True),
        # folders and other editors
        Case("folder/read-only record folder", read_only_folder, _WITH_FINETUNE, refuse_save=True,
             nowhere_to_save=True),
        Case("lock/held by a live editor", lock_by(os.getppid()), refuse_save=True, nowhere_to_save=True),
        Case("lock/left by a dead editor", lock_by(DEAD_PID)),
        Case("lock/corrupt lock file", lock_by(DEAD_PID, content="{" * 5000)),
        Case("lock/file changed on disk while open", editor_file, ("editor",), refuse_save=True,
             while_open=another_program_saves),
        Case("folder/leftovers of killed saves", killed_save_leftovers),
    ]
    if not HAS_DEV_ZERO:
        cases = [c for c in cases if "/dev/zero" not in c.name]
    return cases


CASES: list[Case] = _cases()
