"""Re-annotation that keeps reviewed work: merge a model's prediction into a corrected track.

A clinician's reviewed spans are the product's most valuable output, so a new
prediction may only replace what nobody has reviewed. :func:`merge_prediction`
keeps every wave of the current track that touches a reviewed span *exactly*
(same positions, kind, symbol), takes the predicted waves that lie wholly
outside the reviewed spans, and resolves the seams at the span edges:

* a predicted wave that overlaps a kept wave, or would break a delineation
  rule next to one (overlap, P directly before T, T directly after T), is left
  out (the kept wave always wins);
* where two kept waves would become direct neighbours that break a rule
  (e.g. a reviewed T at the end of one span and a reviewed T at the start of
  the next, with no usable prediction between them), the current track's own
  waves of that gap are kept instead of the prediction, so the result is
  always a valid track.

The rules are those of :class:`~ecgstudio.core.delineation.Delineation`
(docs/ARCHITECTURE.md, "Delineation rules"); this module only decides which
waves to keep.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ecgstudio.core.delineation import FORBIDDEN_SUCCESSOR, Delineation
from ecgstudio.core.review import ReviewSpans
from ecgstudio.core.waves import Wave


@dataclass(frozen=True)
class MergeResult:
    """Outcome of :func:`merge_prediction`.

    Attributes
    ----------
    waves : tuple[Wave, ...]
        The merged track's waves, sorted by start; they form a valid track.
    n_kept : int
        Waves of the current track kept because they touch a reviewed span.
    n_predicted : int
        Predicted waves taken.
    n_seam_dropped : int
        Predicted waves outside the reviewed spans left out at a seam.
    n_gap_kept : int
        Unreviewed waves of the current track kept because no valid
        prediction could join two reviewed waves.
    """

    waves: tuple[Wave, ...]
    n_kept: int
    n_predicted: int
    n_seam_dropped: int
    n_gap_kept: int


def touches_review(wave: Wave, review: ReviewSpans) -> bool:
    """Whether any sample of ``[wave.start, wave.offset]`` is reviewed."""
    return bool(review.overlapping(wave.start, wave.offset + 1))


def _compatible(prev: Wave, nxt: Wave) -> bool:
    """Whether ``nxt`` may directly follow ``prev`` in one track (no overlap, beat order)."""
    if nxt.start < prev.offset or (nxt.kind is prev.kind and nxt.start == prev.offset):
        return False
    return nxt.kind not in FORBIDDEN_SUCCESSOR[prev.kind]


def _fill_gap(
    left: Wave | None, right: Wave | None, predicted: Sequence[Wave], original: Sequence[Wave]
) -> tuple[list[Wave], int, int]:
    """Waves between two kept waves: the prediction where it fits, else the original gap.

    Returns
    -------
    waves : list[Wave]
        What goes between ``left`` and ``right``.
    n_dropped : int
        Predicted waves left out.
    n_original : int
        Original waves used instead of the prediction (0 when the prediction fits).
    """
    chosen: list[Wave] = []
    for wave in predicted:
        prev = chosen[-1] if chosen else left
        if prev is None or _compatible(prev, wave):
            chosen.append(wave)
    while chosen and right is not None and not _compatible(chosen[-1], right):
        chosen.pop()
    dropped = len(predicted) - len(chosen)
    if left is not None and right is not None and not chosen and not _compatible(left, right):
        return list(original), len(predicted), len(original)
    return chosen, dropped, 0


def merge_prediction(current: Delineation, predicted: Sequence[Wave], review: ReviewSpans) -> MergeResult:
    """Merge a model's waves into ``current``, keeping every reviewed wave exactly.

    Parameters
    ----------
    current : Delineation
        The editable track as it is now (its ``lead`` is given to the
        predicted waves).
    predicted : Sequence[Wave]
        The model's waves for the same record and lead, valid among themselves.
    review : ReviewSpans
        Reviewed sample spans ``[start, stop)``; with no spans the result is
        exactly the prediction.

    Returns
    -------
    MergeResult
        The merged waves (a valid track for ``current``'s rules) and counts.
    """
    lead = current.lead
    fresh = sorted((w if w.lead == lead else replace(w, lead=lead) for w in predicted),
                   key=lambda w: (w.start, w.offset))
    if not review:
        return MergeResult(tuple(fresh), 0, len(fresh), 0, 0)
    old = current.waves
    kept_flags = [touches_review(w, review) for w in old]
    kept = [w for w, k in zip(old, kept_flags, strict=True) if k]
    usable = [w for w in fresh if not touches_review(w, review)]
    out: list[Wave] = []
    n_pred = n_drop = n_gap = 0
    # walk the gaps: before the first kept wave, between kept waves, after the last one
    p = 0  # index into usable
    o = 0  # index into old
    bounds = [None, *kept, None]
    for left, right in zip(bounds[:-1], bounds[1:], strict=True):
        lo = left.offset if left is not None else None
        hi = right.start if right is not None else None
        gap_pred: list[Wave] = []
        while p < len(usable) and (hi is None or usable[p].start < hi):
            wave = usable[p]
            if (lo is None or wave.start >= lo) and (hi is None or wave.offset <= hi):
                gap_pred.append(wave)
            else:
                n_drop += 1  # straddles a kept wave
            p += 1
        gap_old: list[Wave] = []
        while o < len(old) and (right is None or old[o] is not right):
            if not kept_flags[o]:
                gap_old.append(old[o])
            o += 1
        if right is not None:
            o += 1  # past ``right``
        fill, dropped, used_old = _fill_gap(left, right, gap_pred, gap_old)
        out.extend(fill)
        n_drop += dropped
        if used_old:
            n_gap += used_old
        else:
            n_pred += len(fill)
        if right is not None:
            out.append(right)
    return MergeResult(tuple(out), len(kept), n_pred, n_drop, n_gap)
