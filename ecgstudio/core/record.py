"""The :class:`Record` value: a multi-lead ECG signal in physical units."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ecgstudio.core.errors import RecordError


@dataclass(frozen=True, eq=False)
class Record:
    """A (possibly partial) ECG record.

    Attributes
    ----------
    name : str
        Record name as WFDB knows it (file stem, e.g. ``"sel100"``).
    signal : np.ndarray
        float32 array of shape ``(n_samples, n_leads)`` in physical units
        (normally mV). NaN marks missing samples.
    fs : float
        Sampling frequency in Hz.
    lead_names : tuple[str, ...]
        One name per column of ``signal``.
    units : tuple[str, ...]
        Physical unit per lead (``"mV"`` ...).
    path : Path | None
        Record path *without* extension (``dir/sel100``), ``None`` if synthetic.
    start_sample : int
        Index of ``signal[0]`` in the full record (non-zero for a sample range).
    total_samples : int
        Length of the full record in samples (>= ``start_sample + n_samples``).
    comments : tuple[str, ...]
        The header's comment lines without ``#`` (LUDB: ``"<age>: 51"``,
        ``"<sex>: F"``, ``"<diagnoses>:"``, ``"Rhythm: Sinus bradycardia."`` ...).
    """

    name: str
    signal: np.ndarray
    fs: float
    lead_names: tuple[str, ...]
    units: tuple[str, ...] = field(default=())
    path: Path | None = None
    start_sample: int = 0
    total_samples: int = -1
    comments: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        sig = np.asarray(self.signal)
        if sig.ndim == 1:
            sig = sig[:, None]
        if sig.ndim != 2:
            raise RecordError(f"{self.name}: signal must be 2-D (samples, leads), got {sig.ndim}-D")
        if sig.dtype != np.float32:
            sig = sig.astype(np.float32)
        object.__setattr__(self, "signal", sig)
        if not (self.fs > 0 and np.isfinite(self.fs)):
            raise RecordError(f"{self.name}: sampling frequency must be positive, got {self.fs}")
        if len(self.lead_names) != sig.shape[1]:
            raise RecordError(
                f"{self.name}: {sig.shape[1]} signal columns but {len(self.lead_names)} lead names"
            )
        units = tuple(self.units) if self.units else ("mV",) * sig.shape[1]
        object.__setattr__(self, "units", units)
        object.__setattr__(self, "lead_names", tuple(self.lead_names))
        object.__setattr__(self, "comments", tuple(str(c) for c in self.comments))
        if self.total_samples < 0:
            object.__setattr__(self, "total_samples", self.start_sample + sig.shape[0])

    @property
    def n_samples(self) -> int:
        """Number of samples held in ``signal``."""
        return int(self.signal.shape[0])

    @property
    def n_leads(self) -> int:
        """Number of leads (columns of ``signal``)."""
        return int(self.signal.shape[1])

    @property
    def duration_s(self) -> float:
        """Duration of the held samples in seconds."""
        return self.n_samples / self.fs

    def lead_index(self, name: str) -> int:
        """Index of the lead called ``name`` (case-insensitive).

        Raises
        ------
        KeyError
            If no lead has that name.
        """
        lowered = [n.lower() for n in self.lead_names]
        try:
            return lowered.index(name.lower())
        except ValueError:
            raise KeyError(f"{self.name}: no lead named {name!r}") from None
