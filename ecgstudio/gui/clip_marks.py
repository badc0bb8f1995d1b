"""Marks where the signal leaves its row, as on paper: the trace is cut at the row's edge and flagged.

:class:`ClipMarksItem` draws a small red triangle at the top (or bottom) edge of
a lead row over every stretch where the signal runs above (below) what the
row shows; :func:`clipped_positions` finds those stretches in the points the
row draws.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5 import QtCore, QtGui

#: Marks closer together than this (pixels) are drawn as one.
MIN_MARK_GAP_PX = 10.0
#: Half the width and the height of a mark (pixels).
MARK_HALF_PX = 5.0
MARK_COLOR = (210, 30, 30)


def clipped_positions(x: np.ndarray, y: np.ndarray, lo: float, hi: float,
                      min_gap: float) -> tuple[np.ndarray, np.ndarray]:
    """Sample positions where ``y`` leaves ``lo..hi`` (mV), one per stretch.

    Parameters
    ----------
    x, y : np.ndarray
        Points drawn (samples, mV), shape ``(n,)``; NaN is ignored.
    lo, hi : float
        What the row shows (mV).
    min_gap : float
        Positions closer than this (samples) belong to one stretch.

    Returns
    -------
    above, below : np.ndarray
        float64 sample positions (the first point of each stretch).
    """
    out = []
    with np.errstate(invalid="ignore"):
        masks = (y > hi, y < lo)
    for mask in masks:
        xs = np.asarray(x, dtype=np.float64)[mask]
        if xs.size:
            keep = np.concatenate(([True], np.diff(xs) > min_gap))
            xs = xs[keep]
        out.append(xs)
    return out[0], out[1]


class ClipMarksItem(pg.GraphicsObject):
    """Red triangles at the top and bottom edge of a row where the signal is cut off."""

    def __init__(self) -> None:
        super().__init__()
        self._above = np.zeros(0)
        self._below = np.zeros(0)
        self._lo = self._hi = 0.0
        self._rect = QtCore.QRectF()
        self._brush = QtGui.QBrush(QtGui.QColor(*MARK_COLOR))
        self.setZValue(20)

    def set_marks(self, above: np.ndarray, below: np.ndarray, lo: float, hi: float) -> None:
        """Marks at samples ``above`` (top edge ``hi``) and ``below`` (bottom edge ``lo``), mV."""
        self.prepareGeometryChange()
        self._above = np.asarray(above, dtype=np.float64)
        self._below = np.asarray(below, dtype=np.float64)
        self._lo, self._hi = float(lo), float(hi)
        xs = np.concatenate((self._above, self._below))
        if xs.size:
            self._rect = QtCore.QRectF(float(xs.min()) - 1, self._lo, float(xs.max() - xs.min()) + 2,
                                       self._hi - self._lo)
        else:
            self._rect = QtCore.QRectF()
        self.update()

    def count(self) -> tuple[int, int]:
        """Number of marks at the top and at the bottom."""
        return int(self._above.size), int(self._below.size)

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt name)
        return self._rect

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        if not (self._above.size or self._below.size):
            return
        transform = painter.transform()
        painter.save()
        painter.resetTransform()
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(self._brush)
        h = MARK_HALF_PX
        for xs, edge, sign in ((self._above, self._hi, 1.0), (self._below, self._lo, -1.0)):
            for x in xs:
                p = transform.map(QtCore.QPointF(float(x), edge))
                # apex at the edge, base inside the row (device y grows downwards)
                base = p.y() + sign * 2 * h
                painter.drawPolygon(QtGui.QPolygonF([QtCore.QPointF(p.x(), p.y()),
                                                     QtCore.QPointF(p.x() - h, base),
                                                     QtCore.QPointF(p.x() + h, base)]))
        painter.restore()
