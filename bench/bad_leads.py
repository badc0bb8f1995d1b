"""Damaged leads: does the global track keep the beats of the good leads? (issue 15)

Usage::

    python bench/bad_leads.py [--qtdb DIR] [--ludb DIR] [--seconds 300] [--records N] [--model STEM]
                              [--json OUT]

For every record, copies with damaged leads are annotated by the service that
``ecgstudio annotate`` and the editor use (:func:`ecgstudio.app.preannotate.preannotate`)
and compared, QRS complex by QRS complex, with the tracks of the undamaged leads:

* QTDB (2 leads, 250 Hz; the first ``--seconds`` of each record): each damage on
  one lead (lead 0 and lead 1 in turn), over the whole record and over a 40-s
  stretch (from 40 % of the excerpt on);
* LUDB (12 leads, 500 Hz, 10 s): 1, 3 and 6 leads (chosen at random, seeded)
  with one damage each, whole and from 3 to 7 s, and all 12 leads.

Damages: ``flat`` (0 mV), ``invalid`` (NaN: WFDB's -32768), ``saturated`` (stuck at
+5.12 mV, the full scale of a +-5 mV converter), ``clipped`` (clipped at the lead's
10th and 90th percentiles), ``noisy`` (white noise of 0.5 mV RMS added),
``disconnected`` (10-mV mains hum plus a random walk).

Reference of a damaged copy: where the damage is (whole record, or the stretch:
``inside``), the global track of the good leads alone; elsewhere (``outside``) the
global track of the undamaged record; beats within 1 s of a stretch's edges may
match either. ``(all vs good)`` compares the whole copy with the good leads'
track, as if the damaged leads were useless everywhere (not in the ``all`` line).
*Retention*: reference QRS complexes with a QRS of the damaged copy's track
within 150 ms (centre to centre). *Agreement*: retained ones whose onset and
offset both lie within 1 sample of the reference's. Targets: >= 99 % and >= 95 %.
A copy with every lead flat, invalid, saturated, clipped or disconnected must give an
empty track (moderate noise on every lead is still annotated: see ``QualityConfig``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout, not an installed copy

DAMAGES = ("flat", "invalid", "saturated", "clipped", "noisy", "disconnected")
TOLERANCE_S = 0.15
FRINGE_S = 1.0


def damage(x: np.ndarray, kind: str, fs: float, rng: np.random.Generator) -> np.ndarray:
    """A damaged copy of one lead ``x`` (mV) at ``fs`` Hz."""
    y = np.array(x, dtype=np.float32)
    if kind == "flat":
        y[:] = 0.0
    elif kind == "invalid":
        y[:] = np.nan
    elif kind == "saturated":
        y[:] = 5.12
    elif kind == "clipped":
        lo, hi = np.nanpercentile(x, [10, 90])
        y = np.clip(y, lo, hi)
    elif kind == "noisy":
        y += rng.normal(0.0, 0.5, y.size).astype(np.float32)
    elif kind == "disconnected":
        t = np.arange(y.size) / fs
        y = (10.0 * np.sin(2 * np.pi * 50.0 * t) + np.cumsum(rng.normal(0.0, 0.05, y.size))).astype(np.float32)
    else:
        raise ValueError(kind)
    return y


def qrs_of(track: Any) -> np.ndarray:
    """int64 ``(k, 2)``: onset and offset of every QRS complex of a track."""
    from ecgstudio.core.waves import WaveKind

    rows = [(w.onset, w.offset) for w in track.waves if w.kind is WaveKind.QRS]
    return np.asarray(rows, dtype=np.int64).reshape(-1, 2)


def _match(ref: np.ndarray, test: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Per reference QRS: matched (bool) and both boundaries within 1 sample (bool)."""
    if not len(ref):
        return np.zeros(0, bool), np.zeros(0, bool)
    if not len(test):
        return np.zeros(len(ref), bool), np.zeros(len(ref), bool)
    c, ct = ref.mean(axis=1), test.mean(axis=1)
    j = np.clip(np.searchsorted(ct, c), 1, max(1, len(ct) - 1))
    j = np.minimum(j, len(ct) - 1)
    j = np.where(np.abs(ct[j - 1] - c) < np.abs(ct[j] - c), j - 1, j)
    matched = np.abs(ct[j] - c) <= TOLERANCE_S * fs
    agree = matched & (np.abs(test[j] - ref).max(axis=1) <= 1)
    return matched, agree


def score(test: np.ndarray, good: np.ndarray, clean: np.ndarray, span: tuple[int, int] | None,
          fs: float) -> dict[str, tuple[int, int, int]]:
    """``{part: (reference beats, retained, same boundaries)}`` of a damaged copy's QRS complexes ``test``.

    ``span`` = the damaged stretch, ``None`` for the whole record (part ``""``, reference ``good``); else parts
    ``"inside"`` (reference ``good``) and ``"outside"`` (reference ``clean``; a beat within
    :data:`FRINGE_S` of the stretch may follow ``good`` instead).
    """
    if span is None:
        m, a = _match(good, test, fs)
        return {"": (len(good), int(m.sum()), int(a.sum()))}
    lo, hi = span
    fringe = int(FRINGE_S * fs)
    centre_g, centre_c = good.mean(axis=1), clean.mean(axis=1)
    inside = good[(centre_g >= lo) & (centre_g < hi)]
    outside = clean[(centre_c < lo) | (centre_c >= hi)]
    m1, a1 = _match(inside, test, fs)
    m2, a2 = _match(outside, test, fs)
    c2 = outside.mean(axis=1)
    edge = ((c2 >= lo - fringe) & (c2 < lo)) | ((c2 >= hi) & (c2 < hi + fringe))
    if edge.any() and len(good):  # an edge beat may follow either reference
        near = good[np.abs(centre_g[:, None] - c2[edge][None, :]).argmin(axis=0)]
        _, a3 = _match(near, test, fs)
        a2[edge] |= a3 & (np.abs(near.mean(axis=1) - c2[edge]) <= TOLERANCE_S * fs)
    m4, a4 = _match(good, test, fs)
    return {"inside": (len(inside), int(m1.sum()), int(a1.sum())),
            "outside": (len(outside), int(m2.sum()), int(a2.sum())),
            "(all vs good)": (len(good), int(m4.sum()), int(a4.sum()))}


class Tally:
    """Beats, retained and agreeing, per (database, damage, extent)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])

    def add(self, key: tuple[str, str, str], results: dict[str, tuple[int, int, int]]) -> None:
        for part, result in results.items():
            row = self.rows[(key[0], key[1], f"{key[2]} {part}".strip())]
            row[0] += 1
            for i, v in enumerate(result):
                row[i + 1] += v

    def print(self) -> None:
        print(f"{'database':<9}{'damage':<14}{'extent':<22}{'copies':>7}{'beats':>8}{'retained':>10}{'same +-1':>10}")
        for (db, kind, extent), (copies, n, kept, agree) in sorted(self.rows.items()):
            print(f"{db:<9}{kind:<14}{extent:<22}{copies:>7}{n:>8}{100 * kept / max(n, 1):>9.2f}%"
                  f"{100 * agree / max(kept, 1):>9.2f}%")
        for db in sorted({k[0] for k in self.rows}):
            tot = np.sum([v for k, v in self.rows.items() if k[0] == db and "vs good" not in k[2]], axis=0)
            print(f"{db:<9}{'all':<14}{'':<22}{tot[0]:>7}{tot[1]:>8}{100 * tot[2] / max(tot[1], 1):>9.2f}%"
                  f"{100 * tot[3] / max(tot[2], 1):>9.2f}%")


def _global(record: Any, signal: np.ndarray, leads: list[int], model: str | None) -> Any:
    from ecgstudio.app.preannotate import preannotate
    from ecgstudio.core.record import Record

    sub = Record(record.name, signal[:, leads], record.fs, tuple(record.lead_names[k] for k in leads))
    (track,) = preannotate(sub, model)
    return track


def run_qtdb(folder: Path, seconds: float, limit: int | None, model: str | None, tally: Tally,
             rng: np.random.Generator) -> None:
    from ecgstudio.io.records import list_records, read_record

    for number, path in enumerate(list_records(folder)[:limit]):
        rec = read_record(path, 0, int(seconds * 250))
        sig, fs = rec.signal, rec.fs
        both = list(range(rec.n_leads))
        clean = qrs_of(_global(rec, sig, both, model))
        span = (int(rec.n_samples * 0.4), min(rec.n_samples, int(rec.n_samples * 0.4 + 40 * fs)))
        for bad in both[number % 2::2]:  # records in turn: lead 0, lead 1
            good_leads = [k for k in both if k != bad]
            good = qrs_of(_global(rec, sig, good_leads, model))
            for kind in DAMAGES:
                whole = sig.copy()
                whole[:, bad] = damage(sig[:, bad], kind, fs, rng)
                tally.add(("qtdb", kind, "1/2 whole"), score(qrs_of(_global(rec, whole, both, model)), good,
                                                              clean, None, fs))
                part = sig.copy()
                part[span[0]:span[1], bad] = damage(sig[span[0]:span[1], bad], kind, fs, rng)
                tally.add(("qtdb", kind, "1/2 40 s"), score(qrs_of(_global(rec, part, both, model)), good,
                                                             clean, span, fs))
        print(f"  {path.name}", file=sys.stderr, flush=True)


def run_ludb(folder: Path, limit: int | None, model: str | None, tally: Tally, rng: np.random.Generator,
             empty: list[int]) -> None:
    from ecgstudio.io.records import list_records, read_record

    for path in list_records(folder)[:limit]:
        rec = read_record(path)
        sig, fs = rec.signal, rec.fs
        every = list(range(rec.n_leads))
        clean = qrs_of(_global(rec, sig, every, model))
        span = (int(3 * fs), int(7 * fs))
        for n_bad in (1, 3, 6):
            bad = sorted(rng.choice(rec.n_leads, n_bad, replace=False).tolist())
            good_leads = [k for k in every if k not in bad]
            good = qrs_of(_global(rec, sig, good_leads, model))
            kinds = rng.choice(DAMAGES, n_bad).tolist()
            whole, part = sig.copy(), sig.copy()
            for lead, kind in zip(bad, kinds, strict=True):
                whole[:, lead] = damage(sig[:, lead], kind, fs, rng)
                part[span[0]:span[1], lead] = damage(sig[span[0]:span[1], lead], kind, fs, rng)
            label = kinds[0] if n_bad == 1 else "mixed"
            tally.add(("ludb", label, f"{n_bad}/12 whole"), score(qrs_of(_global(rec, whole, every, model)), good,
                                                                  clean, None, fs))
            tally.add(("ludb", label, f"{n_bad}/12 3-7 s"), score(qrs_of(_global(rec, part, every, model)), good,
                                                                  clean, span, fs))
        dead = sig.copy()
        hard = [k for k in DAMAGES if k != "noisy"]  # moderate noise on every lead is still annotated
        for lead in every:
            dead[:, lead] = damage(sig[:, lead], hard[lead % len(hard)], fs, rng)
        empty.append(len(_global(rec, dead, every, model)))
        print(f"  {path.name}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = Path(__file__).resolve().parents[1]
    parser.add_argument("--qtdb", default=str(here.parent / "shared" / "data" / "qtdb"))
    parser.add_argument("--ludb", default=str(here.parent / "shared" / "data" / "ludb"))
    parser.add_argument("--seconds", type=float, default=150.0, help="QTDB: length of each record used")
    parser.add_argument("--records", type=int, default=None, help="at most this many records per database")
    parser.add_argument("--model", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    from ecgstudio.app.preannotate import load_model

    load_model(args.model)
    rng = np.random.default_rng(args.seed)
    tally = Tally()
    empty: list[int] = []
    start = time.perf_counter()
    if args.qtdb and Path(args.qtdb).is_dir():
        run_qtdb(Path(args.qtdb), args.seconds, args.records, args.model, tally, rng)
    if args.ludb and Path(args.ludb).is_dir():
        run_ludb(Path(args.ludb), args.records, args.model, tally, rng, empty)
    tally.print()
    if empty:
        print(f"ludb: every lead damaged: {sum(n == 0 for n in empty)}/{len(empty)} copies gave an empty track")
    print(f"({time.perf_counter() - start:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps({"/".join(k): v for k, v in tally.rows.items()}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
