"""The worklist of a folder: each record's review state, the next record to review, a CSV of it (no Qt).

The facts come from :func:`ecgstudio.app.folder_status.folder_status`
(headers, review sidecars, lock files and file times only, never signals or
annotation waves). The review state of a record is derived from them:

``unreadable``
    Its header cannot be read (or it has no samples); it is never offered.
``untouched``
    No ``<record>.<ext>`` annotation file has been saved (reference files such
    as ``atr``/``q1c`` do not count).
``pre-annotated``
    The annotation file exists, nothing in it is marked reviewed, and its
    review sidecar names what produced the waves (a model, or a copied
    reference).
``in progress``
    The annotation file exists and is neither pre-annotated nor reviewed:
    some spans are reviewed but not all, waves were saved without any recorded
    source, or the sidecar cannot be used (stale or unreadable; ``problem``
    says why, and its marks count for nothing).
``reviewed``
    Reviewed spans cover the record except stretches shorter than
    :data:`REVIEWED_MAX_GAP_S` (2 s). Accepting every beat with ``A`` leaves the
    TP stretches between beats unmarked, so a share threshold would never be
    reached that way; a gap of 2 s or more (a pause, an unannotated first
    second, a skipped minute) is work nobody looked at.

The reviewed share is the reviewed samples over the record's samples.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from ecgstudio import atomic
from ecgstudio.app.folder_status import RecordStatus, folder_status
from ecgstudio.core.errors import EcgStudioError, SaveError
from ecgstudio.io.annotations import DEFAULT_EXT

#: Longest unreviewed stretch (seconds) a record may keep and still count as reviewed.
REVIEWED_MAX_GAP_S = 2.0

#: Columns of the worklist CSV.
CSV_COLUMNS = ("record", "status", "reviewed_percent", "reviewer", "reviewed_at", "last_change",
               "duration_s", "leads", "fs_hz", "beats", "locked_by", "problem")

_EXT_RE = re.compile(r"[A-Za-z0-9_]+")


class ReviewState(Enum):
    """Where a record stands in the review (value: the word shown and written)."""

    UNREADABLE = "unreadable"
    UNTOUCHED = "untouched"
    PRE_ANNOTATED = "pre-annotated"
    IN_PROGRESS = "in progress"
    REVIEWED = "reviewed"


def review_state(status: RecordStatus, max_gap_s: float = REVIEWED_MAX_GAP_S) -> ReviewState:
    """The review state of one record (module docstring: the rules).

    Parameters
    ----------
    status : RecordStatus
        Facts about the record.
    max_gap_s : float
        Longest unreviewed stretch, in seconds, of a reviewed record.
    """
    if status.n_samples <= 0 or not status.fs > 0:
        return ReviewState.UNREADABLE
    if not status.has_annotation:
        return ReviewState.UNTOUCHED
    if status.error is not None:
        return ReviewState.IN_PROGRESS
    if status.reviewed_samples > 0 and status.longest_unreviewed < max_gap_s * status.fs:
        return ReviewState.REVIEWED
    if status.reviewed_samples == 0 and status.source is not None:
        return ReviewState.PRE_ANNOTATED
    return ReviewState.IN_PROGRESS


def needs_review(status: RecordStatus) -> bool:
    """Whether "next record to review" may offer this record (readable, not reviewed, nobody else's)."""
    state = review_state(status)
    return state not in (ReviewState.REVIEWED, ReviewState.UNREADABLE) and status.locked_by is None


def next_to_review(rows: Sequence[RecordStatus], current: str | os.PathLike[str] | None) -> RecordStatus | None:
    """The first record after ``current`` in ``rows``' order that needs review, wrapping around.

    Parameters
    ----------
    rows : Sequence[RecordStatus]
        Records in the order the user sees them.
    current : path | None
        The record open now (never chosen); from the top when ``None`` or
        not among ``rows``.

    Returns
    -------
    RecordStatus | None
        ``None`` when every other record is reviewed, unreadable or locked by
        another editor.
    """
    here = None if current is None else Path(os.fspath(current)).absolute()
    paths = [r.path.absolute() for r in rows]
    start = paths.index(here) + 1 if here in paths else 0
    n = len(rows)
    for k in range(n):
        row = rows[(start + k) % n]
        if row.path.absolute() != here and needs_review(row):
            return row
    return None


@dataclass(frozen=True)
class FolderProgress:
    """Counts of a folder's records per review state, and reviewed time.

    Attributes
    ----------
    counts : tuple[tuple[ReviewState, int], ...]
        Records per state, in :class:`ReviewState` order.
    reviewed_s, total_s : float
        Reviewed and total duration of the readable records, in seconds.
    """

    counts: tuple[tuple[ReviewState, int], ...]
    reviewed_s: float
    total_s: float

    @classmethod
    def of(cls, rows: Sequence[RecordStatus]) -> FolderProgress:
        """Progress of ``rows``."""
        states = [review_state(r) for r in rows]
        counts = tuple((s, states.count(s)) for s in ReviewState)
        reviewed = sum(r.reviewed_samples / r.fs for r, s in zip(rows, states, strict=True)
                       if s is not ReviewState.UNREADABLE)
        return cls(counts, reviewed, sum(r.duration_s for r in rows))

    def count(self, state: ReviewState) -> int:
        """Records in ``state``."""
        return dict(self.counts)[state]

    def text(self) -> str:
        """``"3 of 10 reviewed · 2 in progress · 1 pre-annotated · 4 untouched"``."""
        n = sum(c for _s, c in self.counts)
        parts = [f"{self.count(ReviewState.REVIEWED)} of {n} reviewed"]
        parts += [f"{c} {s.value}" for s, c in self.counts if c and s is not ReviewState.REVIEWED]
        return " · ".join(parts)


def reviewed_percent(status: RecordStatus) -> float:
    """Reviewed share of the record in percent (0 without annotations or when unknown)."""
    fraction = status.reviewed_fraction
    return 0.0 if fraction is None or status.error is not None else 100.0 * fraction


def utc_text(epoch_s: float | None) -> str:
    """ISO 8601 UTC (``2026-12-03T17:50:00Z``) of a time in seconds since the epoch; ``""`` for ``None``."""
    return "" if epoch_s is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_s))


def csv_rows(rows: Sequence[RecordStatus]) -> list[list[str]]:
    """One text row per record, columns :data:`CSV_COLUMNS` (times in UTC, duration in seconds).

    ``beats`` is blank for records whose beats were not counted
    (:func:`ecgstudio.app.folder_beats.with_beats`) or that have no readable file.
    """
    out = []
    for r in rows:
        state = review_state(r)
        readable = state is not ReviewState.UNREADABLE
        out.append([
            r.name, state.value, f"{reviewed_percent(r):.1f}", r.last_reviewer, r.last_reviewed_at,
            utc_text(r.changed_at), f"{r.duration_s:.3f}" if readable else "",
            str(r.n_leads) if readable else "", f"{r.fs:g}" if readable else "",
            "" if r.beats is None else str(r.beats), r.locked_by or "",
            (r.error or "").replace("\n", " "),
        ])
    return out


def check_worklist_path(path: str | os.PathLike[str]) -> Path:
    """The worklist file to write, or a one-line :class:`SaveError` (a folder, or a missing folder)."""
    dest = Path(os.fspath(path)).expanduser()
    if dest.is_dir():
        raise SaveError(f"{dest}: is a folder; give a .csv file name")
    if not dest.parent.is_dir():
        raise SaveError(f"{dest}: folder {dest.parent} does not exist")
    return dest


def write_worklist_csv(path: str | os.PathLike[str], rows: Sequence[RecordStatus]) -> Path:
    """Write the worklist of ``rows`` as CSV (:data:`CSV_COLUMNS`), atomically.

    Raises
    ------
    SaveError
        If the file cannot be written.
    """
    dest = check_worklist_path(path)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(rows))
    try:
        return atomic.write_text(dest, buffer.getvalue())
    except OSError as exc:
        raise SaveError(f"{dest}: cannot write ({exc.strerror or exc})") from None


# ---------------------------------------------------------------------- ecgstudio worklist
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``ecgstudio worklist``."""
    parser.add_argument("folder", help="folder of WFDB records")
    parser.add_argument("--csv", metavar="OUT", help="write the worklist to this CSV file")
    parser.add_argument("--measurements", metavar="OUT",
                        help="write every beat of every saved annotation file of the folder to this .csv "
                             "(record, lead and the columns of annotate --table)")
    parser.add_argument("--ext", default=DEFAULT_EXT,
                        help=f"extension of the edited annotation files (default: {DEFAULT_EXT})")


def run(args: argparse.Namespace) -> int:
    """``ecgstudio worklist FOLDER [--csv OUT] [--measurements OUT]``: the review state of every record.

    Prints the worklist (with the QRS complexes of each saved annotation
    file), or writes it (``--csv``, with beats per record) and/or the beats of
    the folder (``--measurements``).
    """
    from ecgstudio.app.folder_beats import with_beats, write_folder_measurements

    if not _EXT_RE.fullmatch(args.ext):
        raise EcgStudioError(f"--ext {args.ext!r}: letters, digits and _ only")
    folder = Path(args.folder).expanduser()
    rows = folder_status(folder, args.ext)
    progress = FolderProgress.of(rows)
    if args.csv:
        check_worklist_path(args.csv)  # before anything is written: both files or neither
    if args.measurements:
        done = write_folder_measurements(args.measurements, rows, args.ext)
        assert done is not None  # only a cancel() returns None
        for problem in done.problems:
            print(f"ecgstudio: warning: {problem}", file=sys.stderr)
        print(f"{done.path}: {done.rows} beat rows of {done.records} records")
        if not args.csv:
            return 0
    if args.csv:
        rows = with_beats(rows, args.ext)
        written = write_worklist_csv(args.csv, rows)
        print(f"{written}: {len(rows)} records; {progress.text()}")
        return 0
    rows = with_beats(rows, args.ext)
    for name, state, percent, reviewer, at, _change, _dur, _leads, _fs, beats, *_rest in csv_rows(rows):
        who = f"  {reviewer} {at}" if reviewer else ""
        print(f"{name:<20} {state:<14} {percent:>5} % {beats or '–':>6} beats{who}")
    print(progress.text() if rows else f"{folder}: no WFDB records (.hea)")
    return 0
