"""Wave values: one P wave, QRS complex or T wave, positioned in samples."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum, IntEnum
from typing import Any


class WaveKind(Enum):
    """The three delineated waves."""

    P = "P"
    QRS = "QRS"
    T = "T"


class SegmentClass(IntEnum):
    """Per-sample classes of the segmentation model (docs/ARCHITECTURE.md §2)."""

    P = 0  #: P onset -> P offset
    PQ = 1  #: P offset -> QRS onset
    QR = 2  #: QRS onset -> R peak
    RS = 3  #: R peak -> QRS offset
    ST = 4  #: QRS offset -> T offset
    TP = 5  #: T offset -> next P (or QRS) onset


#: Peak symbol written for each kind when the wave carries none of its own.
DEFAULT_SYMBOL: dict[WaveKind, str] = {WaveKind.P: "p", WaveKind.QRS: "N", WaveKind.T: "t"}

#: ``num`` field of the ``(``/``)`` boundary annotations (PhysioNet convention).
BOUNDARY_NUM: dict[WaveKind, int] = {WaveKind.P: 0, WaveKind.QRS: 1, WaveKind.T: 2}

#: Beat symbols that mark a QRS complex in WFDB annotation files.
QRS_SYMBOLS: frozenset[str] = frozenset("NLRBAaJSVrFejnE/fQ?")


@dataclass(frozen=True, order=False)
class Wave:
    """One delineated wave.

    Attributes
    ----------
    kind : WaveKind
        P, QRS or T.
    onset : int | None
        Onset sample (inclusive); ``None`` where unknown (often T onset).
    peak : int | None
        Peak sample (P peak, R peak, T peak); ``None`` where unknown.
    offset : int
        Offset sample. In per-sample masks the wave covers ``[onset, offset)``.
    lead : int | None
        Lead index for per-lead tracks, ``None`` for a global track.
    symbol : str | None
        Peak annotation symbol to write (``"N"``, ``"V"``, ``"A"`` ... for QRS);
        ``None`` means the default of :data:`DEFAULT_SYMBOL`.
    confidence : float | None
        Model confidence in [0, 1] for predicted waves, ``None`` for manual ones.
    """

    kind: WaveKind
    onset: int | None
    peak: int | None
    offset: int
    lead: int | None = None
    symbol: str | None = None
    confidence: float | None = None

    @property
    def start(self) -> int:
        """First sample the wave is known to cover (onset, else peak, else offset)."""
        if self.onset is not None:
            return self.onset
        if self.peak is not None:
            return self.peak
        return self.offset

    @property
    def width(self) -> int:
        """``offset - start`` in samples."""
        return self.offset - self.start

    @property
    def peak_symbol(self) -> str:
        """Symbol written at the peak (the wave's own or the kind's default)."""
        return self.symbol if self.symbol else DEFAULT_SYMBOL[self.kind]

    def with_boundary(self, field: str, sample: int | None) -> Wave:
        """Copy with ``field`` (``"onset"``, ``"peak"`` or ``"offset"``) set to ``sample``."""
        if field not in ("onset", "peak", "offset"):
            raise ValueError(f"unknown boundary field {field!r}")
        changes: dict[str, Any] = {field: sample}
        return replace(self, **changes)

    def shifted(self, delta: int) -> Wave:
        """Copy moved by ``delta`` samples (all defined positions)."""
        return replace(
            self,
            onset=None if self.onset is None else self.onset + delta,
            peak=None if self.peak is None else self.peak + delta,
            offset=self.offset + delta,
        )

    def contains(self, sample: int) -> bool:
        """Whether ``start <= sample <= offset``."""
        return self.start <= sample <= self.offset
