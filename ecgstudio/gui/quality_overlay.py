"""Unusable stretches of each lead, drawn over its row as translucent grey hatching.

After a pre-annotation the window shows, on every lead row, the stretches
that :mod:`ecgstudio.core.quality` left out of the global track (flat,
invalid, saturated or clipped, disconnected, noisy), so the user sees why
the track is built from fewer leads there. One :class:`ExcludedSpansItem`
per row, found again by type on the row's plot: rows stay as they are and
a new record (new rows) starts without any.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PyQt5 import QtCore, QtGui

from ecgstudio.core.leads import display_name
from ecgstudio.core.quality import REASON_TEXT

#: Grey of the fill and of the hatching, and their opacities (0-255).
GREY = (120, 120, 120)
FILL_ALPHA = 45
HATCH_ALPHA = 110
#: Above the paper grid (-100), under the signal (0) and the annotation items.
Z_VALUE = -50


class ExcludedSpansItem(pg.GraphicsObject):
    """Grey hatched bands over the whole height of a row at sample spans ``[start, stop)``."""

    def __init__(self) -> None:
        super().__init__()
        self._spans = np.zeros((0, 2), dtype=np.float64)
        self._fill = QtGui.QBrush(QtGui.QColor(*GREY, FILL_ALPHA))
        self._hatch = QtGui.QBrush(QtGui.QColor(*GREY, HATCH_ALPHA), QtCore.Qt.BrushStyle.BDiagPattern)
        self._bounds: QtCore.QRectF | None = None
        self.setZValue(Z_VALUE)
        self.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)  # clicks go to the row below

    def set_spans(self, spans: np.ndarray, tooltip: str = "") -> None:
        """Show ``spans`` (int ``(k, 2)`` samples); ``tooltip`` explains them."""
        self.prepareGeometryChange()
        self._spans = np.asarray(spans, dtype=np.float64).reshape(-1, 2)
        self._bounds = None
        self.setToolTip(tooltip)
        self.update()

    def spans(self) -> np.ndarray:
        """The spans shown, ``(k, 2)`` samples."""
        return self._spans.copy()

    def _visible(self) -> tuple[np.ndarray, QtCore.QRectF | None]:
        view = self.viewRect()
        if view is None or not self._spans.size:
            return self._spans[:0], view
        keep = (self._spans[:, 1] > view.left()) & (self._spans[:, 0] < view.right())
        return self._spans[keep], view

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt name)
        if self._bounds is None:
            shown, view = self._visible()
            if view is None or not shown.size:
                self._bounds = QtCore.QRectF()
            else:
                a, b = max(shown[0, 0], view.left()), min(shown[-1, 1], view.right())
                self._bounds = QtCore.QRectF(a, view.top(), b - a, view.height())
        return self._bounds

    def shape(self) -> QtGui.QPainterPath:
        path = QtGui.QPainterPath()
        shown, view = self._visible()
        if view is not None:
            for a, b in shown:
                path.addRect(QtCore.QRectF(a, view.top(), b - a, view.height()))
        return path

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph name)
        self.prepareGeometryChange()
        self._bounds = None
        super().viewTransformChanged()

    def paint(self, painter: QtGui.QPainter, *args: Any) -> None:
        shown, view = self._visible()
        if view is None or not shown.size:
            return
        to_device = painter.transform()
        painter.save()
        painter.resetTransform()  # hatching in pixels, whatever the zoom
        for a, b in shown:
            a, b = max(a, view.left()), min(b, view.right())
            rect = to_device.mapRect(QtCore.QRectF(a, view.top(), b - a, view.height()))
            if rect.width() < 1.0:
                rect.setWidth(1.0)
            painter.fillRect(rect, self._fill)
            painter.fillRect(rect, self._hatch)
        painter.restore()


def excluded_item(row: Any) -> ExcludedSpansItem | None:
    """The overlay of a lead row (:class:`~ecgstudio.gui.lead_row.LeadRow`), if it has one."""
    for item in row.plot.items:
        if isinstance(item, ExcludedSpansItem):
            return item
    return None


def show_excluded(rows: Sequence[Any], quality: Any, lead_names: Sequence[str]) -> int:
    """Mark on each row the stretches ``quality`` excluded from its lead.

    Parameters
    ----------
    rows : sequence of LeadRow
        The window's lead rows (``LeadsView.rows``).
    quality : LeadQuality | None
        From :func:`ecgstudio.app.preannotate.prediction_quality`; ``None``
        clears every mark.
    lead_names : sequence of str
        Names for the tooltips.

    Returns
    -------
    int
        Number of rows with marks.
    """
    marked = 0
    for row in rows:
        lead = row.lead
        spans = np.zeros((0, 2), dtype=np.int64)
        if quality is not None and lead < quality.n_leads:
            spans = quality.spans(lead)
        item = excluded_item(row)
        if item is None and not len(spans):
            continue
        if item is None:
            item = ExcludedSpansItem()
            row.plot.addItem(item, ignoreBounds=True)
        tooltip = ""
        if len(spans):
            name = display_name(lead_names[lead]) if lead < len(lead_names) else f"lead {lead}"
            seconds = quality.excluded_samples(lead) / quality.fs
            why = ", ".join(REASON_TEXT[r] for r in quality.reasons(lead))
            tooltip = f"{name}: {seconds:.1f} s left out of the global track ({why})"
            marked += 1
        item.set_spans(spans, tooltip)
    return marked
