"""The per-lead checks behind :mod:`ecgstudio.core.quality`: block statistics and flags (numpy only).

A lead is cut into blocks of :attr:`QualityConfig.block_s` seconds; each check
flags blocks, most of them through windows of several blocks (see
:class:`QualityConfig` for every threshold). Everything is vectorised over
blocks: a 24-hour 2-lead record at 250 Hz takes about 0.8 s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Reasons, in the order they are reported.
REASONS: tuple[str, ...] = ("invalid", "saturated", "flat", "disconnected", "noise")

#: ``mean|diff|`` of white Gaussian noise of unit RMS is ``2 / sqrt(pi)``.
_DIFF_TO_RMS = math.sqrt(math.pi) / 2.0


@dataclass(frozen=True)
class QualityConfig:
    """Thresholds of the checks (physical units: mV and seconds).

    Attributes
    ----------
    block_s : float
        Resolution of the checks in seconds.
    window_s : float
        Window of the flat, clipping and disconnection checks in seconds.
    flat_mv : float
        Peak-to-peak below this (mV) over ``window_s`` is a flat line (the
        quietest 2 s of QTDB and LUDB: 0.07 mV).
    rail_mv : float
        A flat stretch at least this far from 0 mV is a saturated one.
    rail_fraction : float
        A lead whose largest (smallest) value is held by at least this share
        of its samples is clipped at that value (clean QTDB/LUDB leads: at
        most 0.9 %); each window with at least ``clip_fraction / 4`` of its
        samples there is excluded.
    clip_fraction : float
        Share of a window's samples at exactly its maximum or minimum from
        which it is clipped (clean leads: at most 3.2 %; only windows of at
        least ``2 * flat_mv`` peak-to-peak) ...
    clip_distance : float
        ... counting only a maximum (minimum) at least this share of the
        window's peak-to-peak above (below) its typical level (the mean of
        its blocks' mid-ranges), so a quiet baseline is not taken for
        clipping; or with at least ``clip_fraction / 2`` at both.
    pinned_fraction : float
        A window with at least this share of its samples at its maximum (or
        at its minimum) is clipped wherever that level lies (clean leads: at
        most 15 %, on quiet baselines).
    disconnect_mv : float
        Peak-to-peak above this (mV) within ``window_s`` is a disconnection
        (clean QTDB leads: at most 8.5 mV).
    noise_window_s : float
        Window of the noise estimate in seconds.
    noise_mv : float
        Noise RMS (mV) above which a stretch is excluded where another lead
        is clean (clean leads: 0.003-0.03 mV; QTDB's noisiest second 0.24 mV).
    extreme_noise_mv : float
        Noise RMS (mV) above which a stretch is always excluded.
    margin_s : float
        Every exclusion is widened by this many seconds on both sides.
    min_usable_s : float
        Usable pieces shorter than this (seconds) are excluded too: the
        shipped model reads 8-s windows, so a shorter piece is never seen
        without the damage beside it (on LUDB's 10-s records with 6 of 12
        leads damaged from 3 to 7 s, keeping their 2.5-s ends moved QRS
        boundaries of 32 % of the beats by more than a sample).
    """

    block_s: float = 0.1
    window_s: float = 2.0
    flat_mv: float = 0.025
    rail_mv: float = 2.0
    rail_fraction: float = 0.03
    clip_fraction: float = 0.08
    clip_distance: float = 0.35
    pinned_fraction: float = 0.2
    disconnect_mv: float = 15.0
    noise_window_s: float = 1.0
    noise_mv: float = 0.2
    extreme_noise_mv: float = 0.6
    margin_s: float = 0.5
    min_usable_s: float = 8.0


DEFAULT_QUALITY = QualityConfig()


# --------------------------------------------------------------------------- block statistics
def _blocks(x: np.ndarray, size: int) -> list[np.ndarray]:
    """Views of ``x`` as rows of ``size`` samples (and a last, shorter row)."""
    full = x.size // size
    parts = [x[:full * size].reshape(full, size)] if full else []
    if x.size % size:
        parts.append(x[full * size:][None, :])
    return parts


def block_stats(x: np.ndarray, size: int, chunk_blocks: int = 4096) -> dict[str, np.ndarray]:
    """Per-block ``max``, ``min`` and ``valid`` samples, and the ``dsum`` and ``dcount`` of ``|diff|``.

    Parameters
    ----------
    x : np.ndarray
        One lead (a column view will do), mV; NaN marks invalid samples.
    size : int
        Block length in samples (the last block may be shorter).
    chunk_blocks : int
        Blocks read at a time (the work stays in the processor's cache).
    """
    stats: dict[str, list[np.ndarray]] = {k: [] for k in ("max", "min", "valid", "dsum", "dcount")}
    step = size * chunk_blocks
    for lo in range(0, x.size, step):
        part = np.ascontiguousarray(x[lo:lo + step])
        if not np.isfinite(np.sum(part, dtype=np.float64)):  # a NaN or infinite sample (or an overflow)
            part = np.where(np.isfinite(part), part, np.nan)
        for xb in _blocks(part, size):
            hi, lo_ = np.fmax.reduce(xb, axis=1), np.fmin.reduce(xb, axis=1)
            d = np.abs(np.diff(xb, axis=1))
            if np.isnan(hi.sum() + lo_.sum()) or np.isnan(np.sum(d)):
                stats["valid"].append(np.isfinite(xb).sum(axis=1))
                ok = np.isfinite(d)
                d = np.where(ok, d, 0.0)
                stats["dcount"].append(ok.sum(axis=1))
            else:
                stats["valid"].append(np.full(xb.shape[0], xb.shape[1]))
                stats["dcount"].append(np.full(xb.shape[0], xb.shape[1] - 1))
            stats["max"].append(hi)
            stats["min"].append(lo_)
            stats["dsum"].append(d.sum(axis=1, dtype=np.float64))
    return {k: np.concatenate(v) for k, v in stats.items()}


def _count_equal(x: np.ndarray, size: int, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Samples of blocks ``rows`` (of ``size`` samples) equal to ``values`` (one per row)."""
    full = x.size // size
    out = np.zeros(rows.size, dtype=np.int64)
    inside = rows < full
    if inside.any():
        xb = x[:full * size].reshape(full, size)
        out[inside] = (xb[rows[inside]] == values[inside, None]).sum(axis=1)
    for i in np.flatnonzero(~inside):
        out[i] = int((x[rows[i] * size:] == values[i]).sum())
    return out


# --------------------------------------------------------------------------- windows of blocks
def _rolling_fmax(a: np.ndarray, w: int) -> np.ndarray:
    """Maximum (NaN ignored) of every window ``a[k:k + w]``, ``k = 0 .. a.size - w`` (van Herk / Gil-Werman)."""
    n = a.size
    chunks = np.concatenate([a, np.full((-n) % w, np.nan)]).reshape(-1, w)
    prefix = np.fmax.accumulate(chunks, axis=1).ravel()
    suffix = np.fmax.accumulate(chunks[:, ::-1], axis=1)[:, ::-1].ravel()
    m = n - w + 1
    return np.fmax(suffix[:m], prefix[w - 1:w - 1 + m])


def _rolling_sum(a: np.ndarray, w: int) -> np.ndarray:
    c = np.concatenate(([0.0], np.cumsum(a, dtype=np.float64)))
    return c[w:] - c[:-w]


def spread(flags: np.ndarray, before: int, after: int) -> np.ndarray:
    """bool: ``out[b]`` is set when any ``flags[b - after .. b + before]`` is set (clipped to the array)."""
    n = flags.size
    if not flags.any():
        return np.zeros(n, dtype=bool)
    c = np.concatenate((np.zeros(after + 1, dtype=np.int64), np.cumsum(flags, dtype=np.int64)))
    c = np.concatenate((c, np.full(before, c[-1])))
    return (c[after + before + 1:after + before + 1 + n] - c[:n]) > 0


def _window_flags(windows: np.ndarray, w: int, n_blocks: int) -> np.ndarray:
    """Blocks covered by at least one flagged window (window ``k`` covers blocks ``k .. k + w - 1``)."""
    padded = np.zeros(n_blocks, dtype=bool)
    padded[:windows.size] = windows
    return spread(padded, 0, w - 1)


def _mark_ranges(first: np.ndarray, last: np.ndarray, n_blocks: int) -> np.ndarray:
    """bool ``(n_blocks,)``: blocks ``first[i] .. last[i]`` (inclusive) for every ``i``."""
    marks = np.zeros(n_blocks + 1, dtype=np.int64)
    np.add.at(marks, np.minimum(first, last), 1)
    np.add.at(marks, np.maximum(first, last) + 1, -1)
    return np.cumsum(marks[:-1]) > 0


def _held_ranges(held: np.ndarray, starts: np.ndarray, n_blocks: int) -> np.ndarray:
    """Blocks from the first to the last held block of each window (``held``: bool ``(K, w)``)."""
    some = held.any(axis=1)
    held, starts = held[some], starts[some]
    first = held.argmax(axis=1)
    last = held.shape[1] - 1 - held[:, ::-1].argmax(axis=1)
    return _mark_ranges(starts + first, starts + last, n_blocks)


def _clipped(x: np.ndarray, size: int, st: dict[str, np.ndarray], w: int, hi: np.ndarray, lo: np.ndarray,
             cfg: QualityConfig) -> np.ndarray:
    """Blocks that look clipped, from the first to the last clipped block of each clipped window."""
    nb = st["max"].size
    ptp = hi - lo
    valid = _rolling_sum(st["valid"], w)
    out = np.zeros(nb, dtype=bool)
    # clipped at the lead's own extreme (a converter's rail): held by many samples of the record
    for key, ext in (("max", np.nanmax(st["max"])), ("min", np.nanmin(st["min"]))):
        rows = np.flatnonzero(st[key] == ext)
        at = np.zeros(nb, dtype=np.int64)
        at[rows] = _count_equal(x, size, rows, st[key][rows])
        if at.sum() >= cfg.rail_fraction * max(1, st["valid"].sum()):
            windows = np.flatnonzero(_rolling_sum(at, w) >= cfg.clip_fraction / 4 * np.maximum(valid, 1))
            idx = windows[:, None] + np.arange(w)[None, :]
            out |= _held_ranges(at[idx] > 0, windows, nb)
    # clipped at a level of its own: windows half a window apart (and the last one) are enough
    starts = np.arange(0, ptp.size, max(1, w // 2))
    if starts[-1] != ptp.size - 1:
        starts = np.append(starts, ptp.size - 1)
    starts = starts[ptp[starts] >= 2 * cfg.flat_mv]
    sliding = np.lib.stride_tricks.sliding_window_view
    tops = sliding(st["max"], w)[starts] == hi[starts, None]  # (K, w) blocks at each window's extremes
    bottoms = sliding(st["min"], w)[starts] == lo[starts, None]
    # a clean window reaches its extremes in one block each; clipping holds them in several
    several = (tops.sum(axis=1) > 1) | (bottoms.sum(axis=1) > 1)
    starts, tops, bottoms = starts[several], tops[several], bottoms[several]
    if not starts.size:
        return out
    idx = starts[:, None] + np.arange(w)[None, :]
    typical = (_rolling_sum(np.nan_to_num((st["max"] + st["min"]) / 2.0), w) / w)[starts]
    samples = np.maximum(valid[starts], 1)
    need = cfg.clip_fraction * samples
    sides = []  # per side: blocks at the window's extreme (K, w), samples there (K,), far from typical (K,)
    for key, match, far in (("max", tops, hi[starts] - typical), ("min", bottoms, typical - lo[starts])):
        wanted = np.zeros(nb, dtype=bool)
        wanted[idx[match]] = True
        rows = np.flatnonzero(wanted)
        at = np.zeros(nb, dtype=np.int64)
        at[rows] = _count_equal(x, size, rows, st[key][rows])
        sides.append((match, (match * at[idx]).sum(axis=1), far >= cfg.clip_distance * ptp[starts]))
    (top, n_top, far_top), (bottom, n_bottom, far_bottom) = sides
    # a side is clipped when held by many samples far from the typical level (a quiet baseline is not),
    # when both sides are held, or when pinned there for much of the window
    both = np.minimum(n_top, n_bottom) >= need / 2
    clip_top = (far_top & (n_top >= need)) | both | (n_top >= cfg.pinned_fraction * samples)
    clip_bottom = (far_bottom & (n_bottom >= need)) | both | (n_bottom >= cfg.pinned_fraction * samples)
    held = (top & clip_top[:, None]) | (bottom & clip_bottom[:, None])
    return out | _held_ranges(held, starts, nb)


def lead_flags(x: np.ndarray, size: int, cfg: QualityConfig) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Flagged blocks of one lead.

    Parameters
    ----------
    x : np.ndarray
        One lead, shape ``(n,)``, mV.
    size : int
        Block length in samples.
    cfg : QualityConfig
        Thresholds.

    Returns
    -------
    flags : dict[str, np.ndarray]
        ``{reason: bool (n_blocks,)}`` for every reason of :data:`REASONS`.
    noisy : np.ndarray
        bool ``(n_blocks,)``: noise above ``cfg.noise_mv`` (excluded only where another lead is clean).
    """
    st = block_stats(x, size)
    nb = st["max"].size
    flags = {r: np.zeros(nb, dtype=bool) for r in REASONS}
    flags["invalid"] = st["valid"] < np.diff(np.minimum(np.arange(nb + 1) * size, x.size))
    w = min(nb, max(1, int(round(cfg.window_s / cfg.block_s))))
    with np.errstate(invalid="ignore"):
        hi = _rolling_fmax(st["max"], w)
        lo = -_rolling_fmax(-st["min"], w)
        ptp = hi - lo
        flat = ptp < cfg.flat_mv
        level = np.abs(hi + lo) / 2.0
        flags["flat"] = _window_flags(flat & (level < cfg.rail_mv), w, nb)
        flags["saturated"] = _window_flags(flat & (level >= cfg.rail_mv), w, nb)
        if np.isfinite(ptp).any():
            flags["saturated"] |= _clipped(x, size, st, w, hi, lo, cfg) & ~flags["flat"]
        swing = np.flatnonzero(ptp > cfg.disconnect_mv)
        if swing.size:  # from the block of the window's maximum to that of its minimum
            idx = swing[:, None] + np.arange(w)[None, :]
            first = swing + np.nan_to_num(st["max"][idx], nan=-np.inf).argmax(axis=1)
            last = swing + np.nan_to_num(st["min"][idx], nan=np.inf).argmin(axis=1)
            flags["disconnected"] = _mark_ranges(first, last, nb)
        wn = min(nb, max(1, int(round(cfg.noise_window_s / cfg.block_s))))
        rms = _rolling_sum(st["dsum"], wn) / np.maximum(_rolling_sum(st["dcount"], wn), 1) * _DIFF_TO_RMS
        own = st["dsum"] / np.maximum(st["dcount"], 1) * _DIFF_TO_RMS  # each block's own estimate
        flags["noise"] = _window_flags(rms > cfg.extreme_noise_mv, wn, nb) & (own > cfg.extreme_noise_mv / 2)
        noisy = _window_flags(rms > cfg.noise_mv, wn, nb) & (own > cfg.noise_mv / 2)
    return flags, noisy
