"""The hostile-file corpus (issue 14): every command and the editor's open/save over every case.

``tests/hostile_corpus.py`` builds each case (a 30 s record with one hostile twist: corrupt or
special annotation files, sidecars, recovery files, records, model pairs, a read-only folder,
another editor's lock). Each command runs in-process on its own fresh copy of the case, under an
alarm so a hang fails instead of blocking the run:

* ``annotate`` (into the record's own folder, so an existing ``.ecgs`` is merged), ``evaluate``
  (``q1c`` as reference, the ``.ecgs`` as a peer) and, on a handful of cases, ``finetune
  --epochs 1`` through :func:`ecgstudio.cli.main`;
* the editor: :meth:`EditingSession.open`, :meth:`~EditingSession.pending_recovery` (restored when
  offered), the lock as the window takes it, :meth:`~EditingSession.save` and, when Save is
  refused, Save As another extension (the way out every refusal names).

Every run must end without a traceback (stdout, stderr, log records), with exit code 0, 1 or 2
(README), with one-line :class:`EcgStudioError` messages from the session, and with nothing lost:
each file that was in the record's folder is byte-identical afterwards unless the command is
documented to write it (annotate: ``<rec>.ecgs`` and its sidecar, for a record it could read; Save:
the same two), a rewritten annotation file holds every annotation the old one held (annotate:
every reviewed one), reviewed spans survive, every recovery file survives (kept aside or not),
and nothing new is left behind. The test prints ``corpus: N tried, N clean, N failed``.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import Hung, alarm
from tests.hostile_corpus import (
    CASES,
    RECORD,
    Case,
    Work,
    decode_annotations,
    in_spans,
    snapshot,
)

#: Seconds one command may take before it counts as hung.
ALARM_S = 30

#: Extension the editor's Save As writes when Save is refused.
SAVE_AS_EXT = "ecgs2"

#: Known bugs the corpus exposes: ``(case, command) -> (words of the problem, description)``. Problems
#: with those words are expected (strict: if none occurs the bug is fixed and must be removed from here);
#: any other problem fails the test. Empty: the four bugs it found first (annotate dropping reviewed
#: rule-breaking waves, Save wiping unreadable review marks, unknown label codes, a cut-short file) are fixed.
KNOWN_BUGS: dict[tuple[str, str], tuple[str, str]] = {}


#: Print one line per run (``ECGSTUDIO_CORPUS_VERBOSE=1 pytest -s tests/test_hostile_corpus.py``).
VERBOSE = os.environ.get("ECGSTUDIO_CORPUS_VERBOSE") == "1"

#: Run only the cases whose name contains this text (``ECGSTUDIO_CORPUS_ONLY=sidecar/``), when debugging.
ONLY = os.environ.get("ECGSTUDIO_CORPUS_ONLY", "")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny untrained model pair (as tests/app/conftest.py's ``tiny_model``)."""
    from ecgstudio.ml.model import base_metadata, build_model, save_model_pair

    stem = tmp_path_factory.mktemp("tiny") / "tiny"
    save_model_pair(build_model(seed=0, units=4), stem, base_metadata())
    return stem


def _short(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}{where}"


def _one_line(text: str) -> bool:
    return bool(text.strip()) and "\n" not in text and len(text) <= 1000


def _traceback_in(text: str) -> bool:
    return "Traceback (most recent call last)" in text or any(
        line.startswith('  File "') for line in text.splitlines())


class Run:
    """One command on one case: what happened and what is wrong with it."""

    def __init__(self, case: Case, command: str, work: Work) -> None:
        self.case, self.command, self.work = case, command, work
        self.problems: list[str] = []
        self.code: int | None = None
        self.saved = False
        self.restored: Path | None = None
        self.refused: BaseException | None = None
        self.seconds = 0.0
        self.before: Before | None = None
        self.saved_as = False

    def outcome(self) -> str:
        """One line on what the run did (printed with ``ECGSTUDIO_CORPUS_VERBOSE=1``)."""
        if self.command != "editor":
            what = f"exit {self.code}"
        elif self.refused is not None:
            what = f"open refused ({type(self.refused).__name__})"
        else:
            what = ("restored, " if self.restored else "") + ("saved" if self.saved else "save refused") + (
                ", saved as" if self.saved_as else "")
        return f"{self.case.name} / {self.command}: {what}, {self.seconds:.2f} s" + (
            f"; PROBLEMS: {'; '.join(self.problems)}" if self.problems else "")

    def problem(self, text: str) -> None:
        self.problems.append(text.replace(str(self.work.root), "<case>"))


# ---------------------------------------------------------------------- the commands
def _cli_args(run: Run) -> list[str]:
    work, case = run.work, run.case
    model = str(work.model)
    if run.command == "annotate":
        return ["annotate", str(work.rec), "--out-dir", str(work.rec_dir), "--model", model, "--force"]  # re-annotate over the hostile files
    if run.command == "evaluate":
        args = ["evaluate", "--data", str(work.rec_dir), "--ref-ext", "q1c", "--model", model, "--peers", "ecgs"]
        return args if case.name.startswith(("model/", "baseline/model")) else [*args, "--records", RECORD]
    if run.command == "finetune":
        out = (work.rec_dir if case.name.startswith("folder/") else work.root / "out") / "ft"
        return ["finetune", str(work.rec), "--base", model, "--out", str(out), "--ann-ext", "q1c", "--epochs", "1"]
    raise AssertionError(run.command)


def run_cli(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    from ecgstudio.cli import main

    try:
        with alarm(ALARM_S):
            run.code = main(_cli_args(run))
    except Exception as exc:  # the run ends with a traceback
        run.problem(f"raised {_short(exc)}")
    except Hung as exc:
        run.problem(f"hung: {exc}")
    out, err = capsys.readouterr()
    text = out + err
    if _traceback_in(text):
        run.problem("traceback in the output: " + " | ".join(text.strip().splitlines()[-3:])[:400])
    if run.code is None:
        return
    allowed_codes = (0, 1, 2, 3) if run.command == "finetune" else (0, 1, 2)  # 3: finetune's "NOT BETTER"
    if run.code not in allowed_codes:
        run.problem(f"exit code {run.code} (README: {', '.join(map(str, allowed_codes))})")
    errors = [line for line in err.splitlines() if "error" in line or "NOT BETTER" in line]
    if run.code != 0 and not errors:
        run.problem(f"exit code {run.code} without an error line: {err.strip()[-200:]!r}")
    if run.code == 2 and not (err.strip().splitlines() or [""])[-1].startswith("ecgstudio: error: "):
        run.problem(f"exit code 2 not ending in 'ecgstudio: error: ...': {err.strip()[-200:]!r}")
    case = run.case
    if case.clean_exit and run.code not in ((0, 3) if run.command == "finetune" else (0,)):
        run.problem(f"exit code {run.code} on a case that must succeed: {err.strip()[-300:]!r}")
    if case.bad_model and run.code != 2:
        run.problem(f"exit code {run.code} with an unusable model (expected 2): {err.strip()[-200:]!r}")
    if case.bad_record:
        expected = (1,) if run.command == "annotate" else (1, 2)
        if run.code not in expected:
            run.problem(f"exit code {run.code} on an unreadable record (expected {expected})")


def _check_error(run: Run, where: str, exc: BaseException) -> None:
    from ecgstudio.core.errors import EcgStudioError

    if isinstance(exc, Hung):
        run.problem(f"{where} hung: {exc}")
    elif not isinstance(exc, EcgStudioError):
        run.problem(f"{where} raised {_short(exc)}")
    elif not _one_line(str(exc)):
        run.problem(f"{where}: error message is not one line: {str(exc)[:300]!r}")


def run_editor(run: Run) -> None:
    """What the window does: open, offer the recovery (restore it), take the lock, save."""
    from ecgstudio.app import autosave, locks
    from ecgstudio.app.editing import EditingSession
    from ecgstudio.core.errors import RecordError

    work, case = run.work, run.case
    lock = None
    try:
        with alarm(ALARM_S):
            try:
                session = EditingSession.open(work.rec)
            except (Exception, Hung) as exc:
                run.refused = exc
                _check_error(run, "open", exc)
                if case.bad_record and not isinstance(exc, RecordError):
                    run.problem(f"an unreadable record refused with {_short(exc)} (expected RecordError)")
                if case.clean_exit or case.refuse_save:
                    run.problem(f"open refused a case it must open: {_short(exc)}")
                return
            if case.bad_record:
                run.problem("an unreadable record opened")
            doc = session.document
            for note in doc.notes:
                if not _one_line(note):
                    run.problem(f"note is not one line: {note[:300]!r}")
            try:
                pending = session.pending_recovery()
            except (Exception, Hung) as exc:
                _check_error(run, "pending_recovery", exc)
                pending = None
            for note in autosave.recovery_notes(doc):
                if not _one_line(note):
                    run.problem(f"recovery note is not one line: {note[:300]!r}")
            if case.while_open is not None:
                case.while_open(work)
                run.before = Before(work)  # what the other program wrote must survive
            if pending is not None:
                if pending.warning is not None and not _one_line(pending.warning):
                    run.problem(f"recovery warning is not one line: {pending.warning[:300]!r}")
                try:
                    session.restore(pending)
                    run.restored = pending.recovery.path
                except (Exception, Hung) as exc:
                    _check_error(run, "restore", exc)
                if run.restored is not None and not session.dirty:
                    run.problem("restored edits but the session is not dirty")
            try:
                lock = locks.acquire(doc.annotation_path())
            except locks.LockedError as exc:
                session.read_only_reason = str(exc)
            try:
                session.save()
                run.saved = True
            except (Exception, Hung) as exc:
                _check_error(run, "save", exc)
                if case.clean_exit:
                    run.problem(f"save refused on a case that must save: {_short(exc)}")
                if not case.nowhere_to_save:  # the way out every refusal names: Save As
                    try:
                        session.save(ext=SAVE_AS_EXT)
                        run.saved_as = True
                    except (Exception, Hung) as again:
                        _check_error(run, "save as", again)
                        run.problem(f"Save refused ({' '.join(str(exc).split())[:160]}) and Save As "
                                    f".{SAVE_AS_EXT} too ({_short(again)}): the edits cannot be saved anywhere")
            else:
                if session.dirty:
                    run.problem("saved but still dirty")
                if case.refuse_save:
                    run.problem("saved although the save must be refused")
                again = EditingSession.open(work.rec)  # what was saved opens again, every wave of it
                if [len(t) for t in again.document.editable_tracks] != [len(t) for t in doc.editable_tracks]:
                    run.problem(f"saved {[len(t) for t in doc.editable_tracks]} waves, reopening shows "
                                f"{[len(t) for t in again.document.editable_tracks]}")
    except (Exception, Hung) as exc:
        run.problem(f"editor step raised {_short(exc)}")
    finally:
        if lock is not None:
            lock.release()


# ---------------------------------------------------------------------- nothing lost
def _regular_bytes(path: Path) -> bytes | None:
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 4 << 20:
            return None
        return path.read_bytes()
    except OSError:
        return None


def _spans(raw: bytes | None) -> list[tuple[int, int]] | None:
    """The ``reviewed`` spans a sidecar lists, read leniently (any version, numbers as text); ``None``: unreadable."""
    try:
        data = json.loads(raw or b"")
        return [(int(a), int(b)) for a, b in data["reviewed"]]
    except (ValueError, KeyError, TypeError, RecursionError, OverflowError):
        return None


def _covered(needed: list[tuple[int, int]], spans: list[tuple[int, int]]) -> bool:
    return all(any(lo <= a and b <= hi for lo, hi in spans) for a, b in needed)


class Before:
    """The state a command must not destroy."""

    def __init__(self, work: Work) -> None:
        self.files = snapshot(work.rec_dir)
        self.recoveries = snapshot(work.autosave)
        self.ecgs = _regular_bytes(work.ecgs)
        self.ecgs_existed = work.ecgs.exists() or work.ecgs.is_symlink()
        self.sidecar = _regular_bytes(work.sidecar)


def check_nothing_lost(run: Run, before: Before) -> None:
    work = run.work
    ecgs, sidecar = f"{RECORD}.ecgs", f"{RECORD}.ecgs.review.json"
    wrote = (run.command == "annotate" and run.code == 0) or (run.command == "editor" and run.saved)
    allowed = ({ecgs, sidecar} if wrote else set()) | work.may_change.get(run.command, set())
    if run.saved_as:
        allowed |= {f"{RECORD}.{SAVE_AS_EXT}", f"{RECORD}.{SAVE_AS_EXT}.review.json"}
    before = run.before or before
    after = snapshot(work.rec_dir)
    for name, identity in before.files.items():
        if after.get(name) != identity and name not in allowed:
            run.problem(f"{name} {'removed' if name not in after else 'changed'} (not the command's to write)")
    kept_aside = [name for name in set(after) - set(before.files)
                  if name.startswith(f"{sidecar}.unreadable-") and run.command == "editor" and run.saved]
    for name in kept_aside:  # Save renames a sidecar it could not read: it must be the old file, unchanged
        if after.get(name) != before.files.get(sidecar):  # same kind, size and content (or link target)
            run.problem(f"{name} is not the unreadable sidecar it stands for")
    for name in sorted(set(after) - set(before.files) - set(kept_aside)):
        if name not in allowed:
            run.problem(f"left {name} behind")
    if wrote and (ecgs in after) != (sidecar in after):
        run.problem(f"wrote {ecgs} and {sidecar} not as a pair")
    if wrote and after.get(ecgs, ("",))[0] == "file" and decode_annotations(work.ecgs.read_bytes()) is None:
        run.problem(f"wrote {ecgs} that is not a well-formed WFDB annotation file")
    # a rewritten annotation file keeps what the old one held
    if wrote and before.ecgs_existed and after.get(ecgs) != before.files.get(ecgs) and run.restored is None:
        old = decode_annotations(before.ecgs, partial=True) if before.ecgs is not None else None
        new = decode_annotations(_regular_bytes(work.ecgs) or b"")
        if before.ecgs is not None and old is None:
            run.problem(f"replaced {ecgs}, which is not a readable annotation file (its content is lost)")
        elif old is not None and new is not None:
            must_keep = old if run.command == "editor" else in_spans(old, work.reviewed)
            lost = must_keep - new
            if lost:
                what = "annotations" if run.command == "editor" else "reviewed annotations"
                run.problem(f"{ecgs} rewritten without {sum(lost.values())} of its {sum(must_keep.values())} "
                            f"{what} (e.g. {sorted(lost)[:3]})")
    # review marks survive: a sidecar is replaced only by one that still lists its spans
    if wrote and run.restored is None and before.sidecar is not None \
            and after.get(sidecar) != before.files.get(sidecar):
        old_spans = _spans(before.sidecar)
        new_spans = _spans(_regular_bytes(work.sidecar)) or []
        if kept_aside:
            pass  # the old sidecar is kept, renamed, byte for byte (checked above)
        elif old_spans is None:
            run.problem(f"replaced {sidecar}, which it could not read: its review marks are lost")
        elif not _covered(old_spans, new_spans):
            run.problem(f"review marks {old_spans[:3]} of {sidecar} dropped (now {new_spans[:3]})")
    # recovery files: never lost (kept aside under another name is fine); the one restored and saved may go
    kept = Counter(v for v in snapshot(work.autosave).values() if v[0] in ("file", "big"))
    needed = Counter(v for name, v in before.recoveries.items()
                     if v[0] in ("file", "big") and (run.restored is None or name != run.restored.name))
    missing = needed - kept
    if missing:
        run.problem(f"{sum(missing.values())} recovery file(s) lost from {work.autosave.name}")


def run_one(case: Case, command: str, root: Path, tiny: Path, capsys: pytest.CaptureFixture[str],
            caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Run | str:
    """Build ``case`` for ``command`` in ``root``, run it and check it; a skip reason instead when it cannot run."""
    work = Work(root, tiny)
    monkeypatch.setenv("ECGSTUDIO_HOME", str(work.root / "home"))
    run = Run(case, command, work)
    try:
        try:
            with alarm(ALARM_S):
                case.build(work)
        except (Exception, Hung) as exc:
            run.problem(f"building the case failed: {_short(exc)}")
            return run
        if work.skip:
            return work.skip
        capsys.readouterr()
        caplog.clear()
        before = Before(work)
        started = time.perf_counter()
        if command == "editor":
            run_editor(run)
        else:
            run_cli(run, capsys)
        run.seconds = time.perf_counter() - started
        out, err = capsys.readouterr()
        if _traceback_in(out + err):
            run.problem("traceback in the output: " + (out + err).strip()[-300:])
        for record in caplog.records:
            if record.exc_info or _traceback_in(record.getMessage()):
                run.problem(f"traceback logged by {record.name}: {record.getMessage()[:200]}")
        check_nothing_lost(run, before)
    finally:
        for undo in work.cleanup:
            undo()
    return run


def test_hostile_corpus(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    started = time.perf_counter()
    tried = clean = 0
    failed: list[str] = []
    known: list[str] = []
    fixed: list[str] = []
    skipped: list[str] = []
    for index, case in enumerate(CASES):
        if ONLY not in case.name:
            continue
        problems: list[str] = []
        expected_bug = False
        ran = 0
        for command in case.commands:
            result = run_one(case, command, tmp_path / f"{index:03d}-{command}", tiny, capsys, caplog, monkeypatch)
            if isinstance(result, str):
                skipped.append(f"{case.name} / {command}: {result}")
                continue
            ran += 1
            if VERBOSE:
                with capsys.disabled():
                    print("  " + result.outcome())
            found = result.problems
            bug = KNOWN_BUGS.get((case.name, command))
            if bug is not None:
                words, description = bug
                expected_bug = True
                if any(words in p for p in found):
                    known.append(f"{case.name} / {command}: {description}")
                else:
                    fixed.append(f"{case.name} / {command}: known bug no longer happens, remove it from "
                                 f"KNOWN_BUGS ({description})")
                found = [p for p in found if words not in p]
            problems += [f"{case.name} / {command}: {p}" for p in found]
        if not ran:
            continue
        tried += 1
        if problems:
            failed += problems
        elif not expected_bug:
            clean += 1
    from ecgstudio.app.preannotate import clear_model_cache

    clear_model_cache()  # the hostile copies of the model loaded on the way
    n_failed = len({p.split(" / ")[0] for p in failed})
    n_known = len({k.split(" / ")[0] for k in known})
    summary = (f"corpus: {tried} tried, {clean} clean, {n_failed} failed ({n_known} more fail with known bugs; "
               f"{len(skipped)} runs skipped; {time.perf_counter() - started:.0f} s)")
    with capsys.disabled():
        print("\n" + summary)
        for line in failed + fixed:
            print("  " + line)
        for line in sorted({k.split(" / ", 1)[1] for k in known}):
            print(f"  known bug ({sum(k.endswith(line) for k in known)} runs): {line}")
        for line in skipped:
            print("  skipped: " + line)
    assert len(CASES) >= 45
    assert not failed and not fixed, "\n".join([summary, *failed, *fixed])


def test_the_corpus_covers_the_issue() -> None:
    """The 40 situations of issue 14 (and their neighbours) are all in the corpus."""
    names = {case.name for case in CASES}
    groups = Counter(name.split("/")[0] for name in names)
    assert len(names) == len(CASES) >= 45
    assert {"ecgs", "q1c", "sidecar", "recovery", "record", "model", "folder", "lock"} <= set(groups)
    commands = Counter(c for case in CASES for c in case.commands)
    assert commands["editor"] >= 40 and commands["annotate"] >= 45 and commands["finetune"] >= 5

