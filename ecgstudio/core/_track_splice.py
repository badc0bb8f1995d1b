"""The sorted wave list of a :class:`~ecgstudio.core.delineation.Delineation`: order, names and splicing.

A track keeps its waves sorted by :func:`sort_key`, next to the list of their
keys (for bisection). :func:`inserted` and :func:`merged` build both lists as
they are after an edit and tell which positions must be checked against the
track's rules; they check nothing themselves and change none of their inputs.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Sequence

from ecgstudio.core.waves import Wave

#: A wave's place in the sorted list: ``(start, offset)``.
Key = tuple[int, int]


def sort_key(wave: Wave) -> Key:
    """The order of waves in a track: by start, then by offset."""
    return (wave.start, wave.offset)


def describe(wave: Wave) -> str:
    """A wave as error messages name it, e.g. ``"P wave at sample 10..20"``."""
    return f"{wave.kind.value} wave at sample {wave.start}..{wave.offset}"


def inserted(
    waves: Sequence[Wave], keys: Sequence[Key], indices: list[int], added: Sequence[Wave]
) -> tuple[list[Wave], list[Key], set[int]]:
    """Small edits: delete and insert in place.

    Parameters
    ----------
    waves, keys : Sequence
        The track's waves and their keys, sorted.
    indices : list[int]
        Sorted, distinct indices of the waves removed.
    added : Sequence[Wave]
        Waves inserted, in any order.

    Returns
    -------
    waves, keys : list
        The new lists.
    check_at : set[int]
        Indices in the new lists to check (with their neighbours).
    """
    new_waves = list(waves)
    new_keys = list(keys)
    for i in reversed(indices):
        del new_waves[i]
        del new_keys[i]
    touched: list[int] = []
    for wave in sorted(added, key=sort_key):
        j = bisect.bisect_right(new_keys, sort_key(wave))
        new_waves.insert(j, wave)
        new_keys.insert(j, sort_key(wave))
        touched = [t + 1 if t >= j else t for t in touched]
        touched.append(j)
    check_at = set(touched)
    for i in indices:  # a removal joins two former neighbours: check that link
        k = bisect.bisect_left(new_keys, keys[i])
        check_at.update((k - 1, k))
    return new_waves, new_keys, check_at


def merged(
    waves: Sequence[Wave], keys: Sequence[Key], indices: list[int], added: Sequence[Wave]
) -> tuple[list[Wave], list[Key], set[int]]:
    """Bulk edits in linear time: one merge of the kept and the added waves.

    Parameters and result as :func:`inserted`.
    """
    dropped = set(indices)
    kept = ((keys[i], 0, i, w) for i, w in enumerate(waves) if i not in dropped)
    new = ((sort_key(w), 1, j, w) for j, w in enumerate(sorted(added, key=sort_key)))
    out_waves: list[Wave] = []
    out_keys: list[Key] = []
    check_at: set[int] = set()
    previous_index = -1
    for key, is_new, index, wave in heapq.merge(kept, new):
        position = len(out_waves)
        if is_new or index != previous_index + 1:  # new wave, or kept wave after a removal
            check_at.add(position)
        if not is_new:
            previous_index = index
        out_waves.append(wave)
        out_keys.append(key)
    return out_waves, out_keys, check_at
