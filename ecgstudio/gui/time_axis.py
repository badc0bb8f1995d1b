"""Bottom axis that shows seconds (or h:mm:ss) for x coordinates in samples."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

#: Candidate tick spacings in seconds (ECG paper steps, then clock steps).
_STEPS_S = (0.04, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0,
            1800.0, 3600.0, 7200.0, 10800.0, 21600.0, 43200.0, 86400.0)


def format_time(seconds: float, spacing_s: float, hours: bool = False) -> str:
    """Label for ``seconds`` with a precision fitting ticks ``spacing_s`` apart.

    ``12.5`` -> ``"12.5"``, ``75`` -> ``"1:15"``, ``3725`` -> ``"1:02:05"``. With ``hours``
    (records of an hour or more) every label has its hours, so that minute 13 of a Holter
    record reads ``"0:13:07"`` and not ``"13:07"`` (13 h?): ``75`` -> ``"0:01:15"``,
    ``12.5`` -> ``"0:00:12.5"``.
    """
    if hours:
        decimals = 0 if spacing_s >= 1.0 else max(0, -int(math.floor(math.log10(spacing_s) + 1e-9)))
        scaled = int(round(seconds * 10**decimals))
        whole, frac = divmod(scaled, 10**decimals)
        h, rem = divmod(whole, 3600)
        m, sec = divmod(rem, 60)
        return f"{h}:{m:02d}:{sec:02d}" + (f".{frac:0{decimals}d}" if decimals else "")
    if spacing_s < 1.0:
        decimals = max(0, -int(math.floor(math.log10(spacing_s) + 1e-9)))
        if seconds < 60:
            return f"{seconds:.{decimals}f}"
        whole = int(seconds // 60)
        return f"{whole}:{seconds - 60 * whole:0{3 + decimals}.{decimals}f}"
    total = int(round(seconds))
    if total < 60 and spacing_s < 60:
        return f"{total}"
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class TimeAxisItem(pg.AxisItem):
    """An ``AxisItem`` for x in samples that labels time in seconds.

    Parameters
    ----------
    fs : float
        Sampling frequency in Hz.
    """

    def __init__(self, fs: float = 1.0, **kwargs: object) -> None:
        super().__init__(orientation="bottom", **kwargs)
        self.fs = float(fs)
        self.hours = False  # label every tick with its hours (records of an hour or more)
        self.enableAutoSIPrefix(False)

    def set_fs(self, fs: float, duration_s: float = 0.0) -> None:
        """Change the sampling frequency (Hz); a record of ``duration_s`` >= 1 h gets hours in every label."""
        self.fs = float(fs)
        self.hours = duration_s >= 3600.0
        self.picture = None
        self.update()

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802,N803
        lo_s, hi_s = sorted((minVal / self.fs, maxVal / self.fs))
        span = hi_s - lo_s
        if span <= 0 or size <= 0:
            return []
        want = max(2.0, size / 90.0)  # about one label per 90 px
        major = next((s for s in _STEPS_S if span / s <= want), _STEPS_S[-1])
        idx = _STEPS_S.index(major)
        minor = _STEPS_S[idx - 1] if idx > 0 else major / 2
        out = []
        for step in (major, minor):
            values = np.arange(math.ceil(lo_s / step), math.floor(hi_s / step) + 1) * step
            out.append((step * self.fs, [float(v * self.fs) for v in values]))
        return out

    def tickStrings(self, values: list, scale: float, spacing: float) -> list[str]:  # noqa: N802
        spacing_s = spacing / self.fs
        return [format_time(v / self.fs, spacing_s, self.hours) for v in values]
