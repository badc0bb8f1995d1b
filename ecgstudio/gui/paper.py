"""ECG paper calibration on screen: millimetres from the screen's physical DPI, paper speed and gain.

A clinical ECG is read on paper running at 25 mm/s (or 50 mm/s) with
10 mm per mV, on a grid of 1 mm squares with a heavier line every 5 mm.
:class:`PaperScale` turns these into pixels: a "mm" on screen is
``physicalDotsPerInch / 25.4`` pixels (:func:`screen_px_per_mm`, 96 dpi when
the screen does not say or says something implausible). The amplitude scale
(pixels per mV) is one number for every lead; the paper speed is ``None``
while the user zooms freely (then only the amplitude stays calibrated).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

#: Paper speeds offered (mm/s) and gains (multiples of 10 mm/mV).
PAPER_SPEEDS_MM_S: tuple[float, ...] = (25.0, 50.0)
GAINS: tuple[float, ...] = (0.5, 1.0, 2.0)
#: Standard amplitude calibration: millimetres per millivolt at gain 1.
MM_PER_MV = 10.0
#: Used when the screen reports no (or an implausible) physical resolution.
FALLBACK_DPI = 96.0
#: Physical resolutions believed (dots per inch); outside, :data:`FALLBACK_DPI`.
PLAUSIBLE_DPI = (40.0, 600.0)
#: Gains a Ctrl+wheel can reach.
GAIN_LIMITS = (0.1, 10.0)
#: Millimetres per major grid square.
MAJOR_MM = 5


def px_per_mm_from_dpi(dpi: float | None) -> float:
    """Pixels per millimetre for a physical resolution ``dpi`` (fallback :data:`FALLBACK_DPI`)."""
    try:
        value = float(dpi) if dpi is not None else 0.0
    except (TypeError, ValueError):
        value = 0.0
    if not PLAUSIBLE_DPI[0] <= value <= PLAUSIBLE_DPI[1]:
        value = FALLBACK_DPI
    return value / 25.4


def screen_px_per_mm(widget: object | None = None) -> float:
    """Pixels per physical millimetre of the screen showing ``widget`` (else the primary screen).

    Uses ``QScreen.physicalDotsPerInch``; falls back to 96 dpi.
    """
    from PyQt5.QtWidgets import QApplication

    screen = None
    if widget is not None:
        getter = getattr(widget, "screen", None)
        screen = getter() if callable(getter) else None
    if screen is None:
        app = QApplication.instance()
        screen = app.primaryScreen() if app is not None else None
    return px_per_mm_from_dpi(screen.physicalDotsPerInch() if screen is not None else None)


@dataclass(frozen=True)
class PaperScale:
    """How the signal maps onto the screen.

    Attributes
    ----------
    px_per_mm : float
        Screen pixels per physical millimetre.
    speed_mm_s : float | None
        Paper speed; ``None`` = free time zoom (the window width is the user's).
    gain : float
        Multiple of the standard 10 mm/mV (0.5, 1, 2 ...).
    """

    px_per_mm: float = FALLBACK_DPI / 25.4
    speed_mm_s: float | None = None
    gain: float = 1.0

    @property
    def mm_per_mv(self) -> float:
        """Millimetres per millivolt (10 at gain 1)."""
        return MM_PER_MV * self.gain

    @property
    def px_per_mv(self) -> float:
        """Pixels per millivolt, the same for every lead."""
        return self.px_per_mm * self.mm_per_mv

    def span_samples(self, width_px: float, fs: float) -> float | None:
        """Samples across ``width_px`` pixels at the paper speed (``None`` in free zoom)."""
        if self.speed_mm_s is None or width_px <= 0:
            return None
        return width_px / (self.px_per_mm * self.speed_mm_s) * fs

    def grid_steps(self) -> tuple[float | None, float]:
        """``(seconds, mV)`` of one 1-mm grid square; seconds ``None`` in free zoom."""
        seconds = None if self.speed_mm_s is None else 1.0 / self.speed_mm_s
        return seconds, 1.0 / self.mm_per_mv

    def with_gain(self, gain: float) -> PaperScale:
        """The same scale at ``gain`` (kept within :data:`GAIN_LIMITS`)."""
        return replace(self, gain=min(max(float(gain), GAIN_LIMITS[0]), GAIN_LIMITS[1]))

    def describe(self) -> str:
        """``"25 mm/s · 10 mm/mV"`` (``"free zoom · 10 mm/mV"`` without a paper speed)."""
        speed = "free zoom" if self.speed_mm_s is None else f"{self.speed_mm_s:g} mm/s"
        return f"{speed} · {self.mm_per_mv:.3g} mm/mV"
