"""The standard 12-lead sheet: 3 x 4 leads of 2.5 s each and a lead II rhythm strip, on calibrated paper.

As printed by electrocardiographs: 10 s at 25 mm/s, the columns showing
I/II/III, aVR/aVL/aVF, V1–V3 and V4–V6 one after the other in time (column
``c`` shows seconds ``2.5 c .. 2.5 (c + 1)`` of its leads), a full 10-s lead II
strip underneath, a 1-mV calibration pulse at the start of each strip, the
same 1-mm grid and amplitude scale as the stacked rows. It is a reading view:
the sheet follows the stacked view's time window, and a double click on a
lead goes back to the stacked rows at that time, that lead's row in sight.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PyQt5 import QtCore

from ecgstudio.core.leads import display_name, standard_key
from ecgstudio.core.record import Record
from ecgstudio.gui.colors import Palette
from ecgstudio.gui.paper import MAJOR_MM, MM_PER_MV, PaperScale
from ecgstudio.gui.plot_items import PaperGridItem

#: Leads of the three rows, column by column (lower-case names).
SHEET_ROWS: tuple[tuple[str, ...], ...] = (("i", "avr", "v1", "v4"), ("ii", "avl", "v2", "v5"),
                                           ("iii", "avf", "v3", "v6"))
RHYTHM_LEAD = "ii"
#: Seconds per column, seconds per sheet, paper speed of the sheet (mm/s).
COLUMN_S, SHEET_S, SHEET_SPEED_MM_S = 2.5, 10.0, 25.0
#: Paper left of the first column for the calibration pulse (seconds at the sheet's speed).
LEFT_MARGIN_S = 0.4
#: Half the length of the tick where the leads change (mm).
SEPARATOR_MM = 4.0


def standard_leads(names: Sequence[str]) -> dict[str, int] | None:
    """Column of each of the 12 standard leads in ``names`` (``{"i": 0, ...}``), or ``None`` if one is missing."""
    found: dict[str, int] = {}
    for i, name in enumerate(names):
        found.setdefault(standard_key(name), i)
    wanted = [lead for row in SHEET_ROWS for lead in row]
    return {lead: found[lead] for lead in wanted} if all(lead in found for lead in wanted) else None


class TwelveLeadSheet(pg.PlotWidget):
    """3 x 4 + rhythm strip of a 12-lead record (see the module docstring).

    Signals
    -------
    sigTimeActivated(float, int)
        Double click: the sample under the mouse and the record lead (column of
        the signal) drawn there.
    """

    sigTimeActivated = QtCore.pyqtSignal(float, int)

    def __init__(self, palette: Palette, parent: object | None = None) -> None:
        vb = pg.ViewBox(enableMenu=False)
        vb.setMouseEnabled(False, False)
        super().__init__(parent, background="w", viewBox=vb)
        self.vb = vb
        plot = self.getPlotItem()
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        self.record: Record | None = None
        self.leads: dict[str, int] = {}
        self.grid = PaperGridItem(1.0, palette.grid_minor, palette.grid_major)
        plot.addItem(self.grid, ignoreBounds=True)
        pen = pg.mkPen(palette.signal, width=1)
        self._curves = [pg.PlotCurveItem(pen=pen) for _ in range(13)]
        self._labels = [pg.TextItem(color=(20, 20, 20), anchor=(0, 0)) for _ in range(13)]
        self._marks = pg.PlotCurveItem(pen=pen, connect="pairs")  # column separators and calibration pulses
        for item in (*self._curves, *self._labels, self._marks):
            plot.addItem(item, ignoreBounds=True)
        self.reduced = False  # the window is too narrow for 10 s at 25 mm/s: drawn smaller
        self._start = 0.0
        self._scale = PaperScale()

    def set_record(self, record: Record, leads: dict[str, int]) -> None:
        """Show ``record``, whose 12 standard leads are at the columns ``leads``."""
        self.record, self.leads = record, dict(leads)
        self.grid.fs = record.fs

    def show_at(self, centre_sample: float, scale: PaperScale) -> None:
        """Lay out the 10 s around ``centre_sample`` (kept inside the record) at ``scale``'s gain."""
        record = self.record
        if record is None:
            return
        fs = record.fs
        start = min(max(centre_sample - SHEET_S * fs / 2, 0.0), max(record.n_samples - SHEET_S * fs, 0.0))
        self._start, self._scale = int(start), scale
        width, height = max(self.vb.width(), 100.0), max(self.vb.height(), 100.0)
        px_per_mm = scale.px_per_mm
        needed_mm = (SHEET_S + LEFT_MARGIN_S) * SHEET_SPEED_MM_S
        self.reduced = width < needed_mm * px_per_mm
        if self.reduced:
            px_per_mm = width / needed_mm
        samples_per_px = fs / (px_per_mm * SHEET_SPEED_MM_S)
        px_per_mv = px_per_mm * MM_PER_MV * scale.gain
        strip_mv = height / 4 / px_per_mv
        x0 = self._start - LEFT_MARGIN_S * fs
        self.vb.setRange(xRange=(x0, x0 + width * samples_per_px), yRange=(-3.5 * strip_mv, 0.5 * strip_mv),
                         padding=0)
        self.grid.set_steps(1.0 / SHEET_SPEED_MM_S, 1.0 / (MM_PER_MV * scale.gain), MAJOR_MM)
        self._draw(strip_mv, SEPARATOR_MM / (MM_PER_MV * scale.gain))

    def _segment(self, lead: int, first: int, stop: int, offset: float) -> tuple[np.ndarray, np.ndarray]:
        record = self.record
        first, stop = max(0, first), min(record.n_samples, stop)
        y = np.asarray(record.signal[first:stop, lead], dtype=np.float64)
        baseline = float(np.nanmedian(y)) if y.size and np.isfinite(y).any() else 0.0
        return np.arange(first, stop, dtype=np.float64), y - baseline + offset

    def _draw(self, strip_mv: float, separator_mv: float) -> None:
        fs = self.record.fs
        column = int(round(COLUMN_S * fs))
        marks_x: list[float] = []
        marks_y: list[float] = []
        k = 0
        for r, row in enumerate((*SHEET_ROWS, (RHYTHM_LEAD,))):
            offset = -r * strip_mv
            for c, name in enumerate(row):
                first = self._start + c * column
                stop = first + (column if len(row) > 1 else int(round(SHEET_S * fs)))
                x, y = self._segment(self.leads[name], first, stop, offset)
                self._curves[k].setData(x, y)
                self._labels[k].setText(display_name(name))
                self._labels[k].setPos(first + 0.04 * fs, offset + 0.48 * strip_mv)
                k += 1
                if c:  # a short separator where the leads change
                    marks_x += [first, first]
                    marks_y += [offset - separator_mv, offset + separator_mv]
            # 1-mV calibration pulse, 0.2 s wide, before the strip
            p0 = self._start - 0.3 * fs
            p1 = p0 + 0.2 * fs
            for xa, ya, xb, yb in ((p0 - 0.05 * fs, 0, p0, 0), (p0, 0, p0, 1), (p0, 1, p1, 1), (p1, 1, p1, 0),
                                   (p1, 0, p1 + 0.05 * fs, 0)):
                marks_x += [xa, xb]
                marks_y += [offset + ya, offset + yb]
        self._marks.setData(np.asarray(marks_x), np.asarray(marks_y))

    def start_sample(self) -> int:
        """First sample shown (tests)."""
        return self._start

    def labels(self) -> list[str]:
        """Lead names in drawing order: the three rows left to right, then the rhythm strip (tests)."""
        return [label.toPlainText() for label in self._labels]

    def lead_at(self, x: float, y: float) -> int | None:
        """Record lead drawn at the sheet point ``(x, y)`` (samples, view units), or ``None`` before a layout.

        The rows split the height in four strips (the rhythm strip last), the
        columns the time in 2.5-s slices; the calibration margin belongs to the
        first column.
        """
        if self.record is None or not self.leads:
            return None
        (_, _), (y0, y1) = self.vb.viewRange()
        strip = (y1 - y0) / 4
        row = min(max(int((y1 - y) // strip), 0), 3) if strip > 0 else 0
        if row == len(SHEET_ROWS):
            return self.leads[RHYTHM_LEAD]
        column = int((x - self._start) // (COLUMN_S * self.record.fs))
        names = SHEET_ROWS[row]
        return self.leads[names[min(max(column, 0), len(names) - 1)]]

    def mouseDoubleClickEvent(self, event: object) -> None:  # noqa: N802 (Qt name)
        point = self.vb.mapSceneToView(self.mapToScene(event.pos()))
        lead = self.lead_at(point.x(), point.y())
        self.sigTimeActivated.emit(float(point.x()), -1 if lead is None else lead)
        event.accept()
