"""Per-lead signal quality: which stretches of which leads the global track may use.

Before the leads' probabilities are fused into the global track (their mean
over the leads usable at each sample), :func:`assess_leads` checks every lead
in blocks of ``block_s`` seconds for stretches no model can read (thresholds:
:class:`~ecgstudio.core.quality_checks.QualityConfig`, in mV and seconds):

* **invalid** - NaN or infinite samples (WFDB's invalid value -32768 reads as NaN);
* **flat** - peak-to-peak below ``flat_mv`` (0.025 mV) over ``window_s`` (2 s):
  a lead off, or held at 0 V; held at ``rail_mv`` (2 mV) or more it is
  **saturated** (stuck at full scale);
* **saturated** also covers clipping: a lead held at its own extreme value by
  ``rail_fraction`` (3 %) of its samples, or a 2-s window with ``clip_fraction``
  (8 %) of its samples at its maximum or minimum far from its typical level,
  at both (4 % each), or ``pinned_fraction`` (20 %) at one;
* **disconnected** - peak-to-peak above ``disconnect_mv`` (15 mV) within 2 s;
* **noise** - broadband noise RMS, estimated per ``noise_window_s`` (1 s) as
  ``mean|x[i+1] - x[i]| * sqrt(pi) / 2``: above ``extreme_noise_mv`` (0.6 mV)
  always excluded; above ``noise_mv`` (0.2 mV) only where another lead is clean
  at the same time (``Exclusion.relative``), so a record whose leads are all
  moderately noisy is still annotated.

Every excluded stretch is widened by ``margin_s`` (0.5 s) on both sides and
usable pieces shorter than ``min_usable_s`` (8 s, one window of the model) are
excluded too. On all 105 QTDB (15 min) and 100 LUDB (10 s) records the defaults
exclude only QTDB sel42's ECG1 (its R waves are clipped at 2.555 mV: 10.9 % of
its samples) and 2.5 s of sel310's ECG1 (noise, left to ECG2 there).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ecgstudio.core.quality_checks import DEFAULT_QUALITY, REASONS, QualityConfig, lead_flags, spread
from ecgstudio.core.spans import intersect_spans, true_runs

__all__ = ["DEFAULT_QUALITY", "REASONS", "REASON_TEXT", "Exclusion", "LeadQuality", "QualityConfig", "assess_leads"]

#: What each reason means, for messages.
REASON_TEXT: dict[str, str] = {
    "invalid": "invalid samples",
    "saturated": "saturated or clipped",
    "flat": "flat line",
    "disconnected": "disconnected",
    "noise": "noise",
}


@dataclass(frozen=True)
class Exclusion:
    """One excluded stretch of one lead: samples ``[start, stop)``.

    ``relative``: excluded only for noise while another lead was clean (a
    per-lead track still annotates it).
    """

    lead: int
    start: int
    stop: int
    reasons: tuple[str, ...]
    relative: bool = False


@dataclass(frozen=True, eq=False)
class LeadQuality:
    """Usable and excluded stretches of every lead of a record.

    Attributes
    ----------
    n_samples : int
        Record length in samples.
    fs : float
        Sampling frequency in Hz.
    n_leads : int
        Number of leads.
    exclusions : tuple[Exclusion, ...]
        Sorted by lead, then start; those of one lead never overlap.
    """

    n_samples: int
    fs: float
    n_leads: int
    exclusions: tuple[Exclusion, ...] = ()

    @property
    def is_clean(self) -> bool:
        """Whether every lead is usable everywhere."""
        return not self.exclusions

    def spans(self, lead: int, *, relative: bool = True) -> np.ndarray:
        """int64 ``(k, 2)`` excluded ``[start, stop)`` samples of ``lead``
        (``relative=False``: without the noise exclusions that depend on other leads)."""
        rows = [(e.start, e.stop) for e in self.exclusions if e.lead == lead and (relative or not e.relative)]
        return np.asarray(rows, dtype=np.int64).reshape(-1, 2)

    def excluded_samples(self, lead: int) -> int:
        """Number of excluded samples of ``lead``."""
        return sum(e.stop - e.start for e in self.exclusions if e.lead == lead)

    def reasons(self, lead: int) -> tuple[str, ...]:
        """Reasons of the exclusions of ``lead``, in :data:`REASONS` order."""
        found = {r for e in self.exclusions if e.lead == lead for r in e.reasons}
        return tuple(r for r in REASONS if r in found)

    @property
    def excluded_leads(self) -> tuple[int, ...]:
        """Leads with at least one excluded stretch."""
        return tuple(sorted({e.lead for e in self.exclusions}))

    @property
    def unusable_leads(self) -> tuple[int, ...]:
        """Leads excluded over the whole record."""
        return tuple(k for k in self.excluded_leads if self.excluded_samples(k) >= self.n_samples)

    @property
    def usable_leads(self) -> tuple[int, ...]:
        """Leads usable somewhere."""
        bad = set(self.unusable_leads)
        return tuple(k for k in range(self.n_leads) if k not in bad)

    def unusable_spans(self) -> np.ndarray:
        """int64 ``(k, 2)``: the ``[start, stop)`` samples where no lead is usable."""
        common = np.asarray([[0, self.n_samples]], dtype=np.int64)
        for lead in range(self.n_leads):
            common = intersect_spans(common, self.spans(lead))
            if not common.size:
                break
        return common

    @property
    def nothing_usable(self) -> bool:
        """Whether no lead is usable anywhere (the global track must stay empty)."""
        return self.n_leads == 0 or len(self.unusable_leads) == self.n_leads

    def usable_mask(self, leads: Sequence[int], start: int, stop: int) -> np.ndarray:
        """bool ``(stop - start, len(leads))``: whether each lead is usable at each sample."""
        out = np.ones((max(0, stop - start), len(leads)), dtype=bool)
        for col, lead in enumerate(leads):
            for a, b in self.spans(lead):
                if b > start and a < stop:
                    out[max(a, start) - start:min(b, stop) - start, col] = False
        return out

    def summary(self, lead_names: Sequence[str]) -> str:
        """One line naming the excluded leads, e.g. ``"V5 whole record (flat line); MLII 40.0 s (invalid samples)"``.

        Empty when every lead is usable everywhere.
        """
        parts = []
        for lead in self.excluded_leads:
            name = lead_names[lead] if lead < len(lead_names) else f"lead {lead}"
            n = self.excluded_samples(lead)
            amount = "whole record" if n >= self.n_samples else f"{n / self.fs:.1f} s"
            why = ", ".join(REASON_TEXT[r] for r in self.reasons(lead))
            parts.append(f"{name} {amount} ({why})")
        return "; ".join(parts)


def _fill_short_gaps(mask: np.ndarray, min_len: int) -> np.ndarray:
    """``mask`` with every run of False shorter than ``min_len`` set (when anything is set at all)."""
    if not mask.any() or mask.all() or min_len <= 1:
        return mask
    out = mask.copy()
    edges = np.flatnonzero(np.diff(np.concatenate(([1], mask.astype(np.int8), [1]))))
    for a, b in zip(edges[0::2], edges[1::2], strict=True):  # runs of False: [a, b)
        if b - a < min_len:
            out[a:b] = True
    return out


def assess_leads(signal: np.ndarray, fs: float, config: QualityConfig = DEFAULT_QUALITY) -> LeadQuality:
    """Usable and excluded stretches of every lead.

    Parameters
    ----------
    signal : np.ndarray
        shape ``(n_samples, n_leads)`` (or ``(n_samples,)``), mV; NaN marks invalid samples.
    fs : float
        Sampling frequency in Hz.
    config : QualityConfig
        Thresholds (mV, seconds).

    Returns
    -------
    LeadQuality
        The excluded stretches with their reasons (block resolution,
        ``config.block_s``; the record's end is exact).
    """
    sig = np.asarray(signal)
    if sig.ndim == 1:
        sig = sig[:, None]
    if sig.ndim != 2:
        raise ValueError(f"signal must have shape (n_samples, n_leads), got {sig.shape}")
    if not fs > 0:
        raise ValueError(f"sampling frequency must be positive, got {fs}")
    n, n_leads = sig.shape
    if n == 0 or n_leads == 0:
        return LeadQuality(n, float(fs), n_leads)
    size = max(1, int(round(config.block_s * fs)))
    margin = max(0, int(math.ceil(config.margin_s / config.block_s)))
    min_usable = max(1, int(math.ceil(config.min_usable_s / config.block_s)))
    per_lead = [lead_flags(sig[:, k], size, config) for k in range(n_leads)]
    hard = [_fill_short_gaps(spread(np.logical_or.reduce(list(f.values())), margin, margin), min_usable)
            for f, _ in per_lead]
    soft = [spread(noisy, margin, margin) & ~h for (_, noisy), h in zip(per_lead, hard, strict=True)]
    clean = np.stack([~h & ~s for h, s in zip(hard, soft, strict=True)], axis=1)
    n_clean = clean.sum(axis=1)
    exclusions: list[Exclusion] = []
    for k, ((flags, noisy), h, s) in enumerate(zip(per_lead, hard, soft, strict=True)):
        relative = s & (n_clean - clean[:, k] > 0)
        final = _fill_short_gaps(h | relative, min_usable)
        if not final.any():
            continue
        spread_flags = {r: np.concatenate(([0], np.cumsum(spread(f | (noisy if r == "noise" else False),
                                                                    margin, margin))))
                        for r, f in flags.items()}
        hard_sum = np.concatenate(([0], np.cumsum(h)))
        for a, b in true_runs(final):
            cover = {r: int(spread_flags[r][b] - spread_flags[r][a]) for r in REASONS}
            top = max(cover.values())
            # the reasons that cover a good part of the stretch (a flat stretch's edges may look clipped)
            reasons = tuple(r for r in REASONS if cover[r] > 0 and 4 * cover[r] >= top) or ("noise",)
            exclusions.append(Exclusion(k, int(a) * size, int(min(b * size, n)), reasons,
                                        relative=bool(hard_sum[b] == hard_sum[a])))
    return LeadQuality(n, float(fs), n_leads, tuple(exclusions))
