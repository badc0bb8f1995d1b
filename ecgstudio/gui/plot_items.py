"""Light graphics items of the plot: colour bands, rectangles, ticks, ECG paper.

They hold ready-made numbers and paint them in one or two painter calls; the
views decide what to show. Coordinates are data coordinates of a lead row:
x in samples, y in mV.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5 import QtCore, QtGui

from ecgstudio.gui.colors import RGB


class BandItem(pg.GraphicsObject):
    """A horizontal band coloured column by column (one RGBA image row stretched over a rect)."""

    def __init__(self, y0: float, y1: float) -> None:
        super().__init__()
        self._y0, self._y1 = float(y0), float(y1)
        self._rect = QtCore.QRectF()
        self._image: QtGui.QImage | None = None
        self._rgba: np.ndarray | None = None

    def set_y(self, y0: float, y1: float) -> None:
        """Move the band to ``y0..y1`` (mV)."""
        self._y0, self._y1 = float(y0), float(y1)
        if self._image is not None:
            self.prepareGeometryChange()
            self._rect = QtCore.QRectF(self._rect.left(), self._y0, self._rect.width(), self._y1 - self._y0)
            self.update()

    def set_colors(self, rgba: np.ndarray, x0: float, x1: float) -> None:
        """Show ``rgba`` (uint8, shape ``(n_columns, 4)``) stretched over samples ``x0..x1``."""
        self.prepareGeometryChange()
        if rgba.shape[0] == 0 or x1 <= x0:
            self._image, self._rgba, self._rect = None, None, QtCore.QRectF()
            self.update()
            return
        self._rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
        # premultiplied ARGB32 (BGRA bytes) is what the raster engine draws without converting
        alpha = self._rgba[:, 3:4].astype(np.uint16)
        bgra = np.empty_like(self._rgba)
        bgra[:, :3] = (self._rgba[:, 2::-1].astype(np.uint16) * alpha // 255).astype(np.uint8)
        bgra[:, 3] = self._rgba[:, 3]
        self._bgra = bgra
        self._image = QtGui.QImage(bgra.data, bgra.shape[0], 1, 4 * bgra.shape[0],
                                   QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        self._rect = QtCore.QRectF(x0, self._y0, x1 - x0, self._y1 - self._y0)
        self.update()

    def colors(self) -> np.ndarray | None:
        """The RGBA columns shown (for tests), or ``None``."""
        return self._rgba

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt name)
        return self._rect

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        if self._image is None:
            return
        # draw in device pixels: a flipped, scaled drawImage takes Qt's slow path
        target = painter.transform().mapRect(self._rect)
        painter.save()
        painter.resetTransform()
        painter.drawImage(target, self._image)
        painter.restore()


class RectsItem(pg.GraphicsObject):
    """Filled rectangles ``[x0, x1] x [y0, y1]`` sharing one brush (reviewed spans, markers)."""

    def __init__(self, rgb: RGB, alpha: int = 255, min_width_px: float = 2.0) -> None:
        super().__init__()
        self._brush = QtGui.QBrush(QtGui.QColor(*rgb, alpha))
        self._min_width_px = min_width_px
        self._x0 = np.zeros(0)
        self._x1 = np.zeros(0)
        self._y0 = self._y1 = 0.0
        self._rect = QtCore.QRectF()

    def set_color(self, rgb: RGB, alpha: int = 255) -> None:
        """Change the fill colour."""
        self._brush = QtGui.QBrush(QtGui.QColor(*rgb, alpha))
        self.update()

    def set_rects(self, x0: np.ndarray, x1: np.ndarray, y0: float, y1: float) -> None:
        """Show rectangles from ``x0[i]`` to ``x1[i]`` (samples) between ``y0`` and ``y1`` (mV)."""
        self.prepareGeometryChange()
        self._x0 = np.asarray(x0, dtype=np.float64)
        self._x1 = np.asarray(x1, dtype=np.float64)
        self._y0, self._y1 = float(y0), float(y1)
        if self._x0.size:
            self._rect = QtCore.QRectF(float(self._x0.min()), self._y0,
                                       float(self._x1.max() - self._x0.min()), self._y1 - self._y0)
        else:
            self._rect = QtCore.QRectF()
        self.update()

    def count(self) -> int:
        """Number of rectangles shown."""
        return int(self._x0.size)

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt name)
        return self._rect

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        if not self._x0.size:
            return
        px = self.pixelWidth() or 0.0
        widen = max(0.0, self._min_width_px * px)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(self._brush)
        h = self._y1 - self._y0
        for a, b in zip(self._x0, self._x1, strict=True):
            w = b - a
            if w < widen:
                a, w = a - (widen - w) / 2, widen
            painter.drawRect(QtCore.QRectF(a, self._y0, w, h))


class TicksItem(pg.GraphicsObject):
    """Vertical ticks at sample positions from ``y0`` to ``y1`` (disagreements)."""

    def __init__(self, rgb: RGB, width_px: float = 2.0) -> None:
        super().__init__()
        self._pen = pg.mkPen(rgb, width=width_px)
        self._xs = np.zeros(0)
        self._y0 = self._y1 = 0.0
        self._rect = QtCore.QRectF()

    def set_color(self, rgb: RGB) -> None:
        """Change the tick colour."""
        self._pen = pg.mkPen(rgb, width=self._pen.widthF())
        self.update()

    def set_ticks(self, xs: np.ndarray, y0: float, y1: float) -> None:
        """Show ticks at ``xs`` (samples) spanning ``y0..y1`` (mV)."""
        self.prepareGeometryChange()
        self._xs = np.asarray(xs, dtype=np.float64)
        self._y0, self._y1 = float(y0), float(y1)
        if self._xs.size:
            lo, hi = float(self._xs.min()), float(self._xs.max())
            self._rect = QtCore.QRectF(lo - 1, self._y0, hi - lo + 2, self._y1 - self._y0)
        else:
            self._rect = QtCore.QRectF()
        self.update()

    def positions(self) -> np.ndarray:
        """Sample positions of the ticks shown."""
        return self._xs.copy()

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt name)
        return self._rect

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        if not self._xs.size:
            return
        painter.setPen(self._pen)
        painter.drawLines([QtCore.QLineF(x, self._y0, x, self._y1) for x in self._xs])


class PaperGridItem(pg.GraphicsObject):
    """ECG paper: minor lines every 0.04 s / 0.1 mV, major every 0.2 s / 0.5 mV (1 and 5 mm at 25 mm/s, 10 mm/mV).

    Only the lines inside the view are drawn, and a level of lines is skipped
    when its lines would be closer than ``min_spacing_px`` pixels, so a
    zoomed-out view shows major lines only, or none. :meth:`set_steps` sets the
    square for another paper speed or gain.
    """

    def __init__(self, fs: float, minor: RGB, major: RGB, min_spacing_px: float = 3.0) -> None:
        super().__init__()
        self.fs = float(fs)
        self.min_spacing_px = min_spacing_px
        self.MINOR_S, self.MAJOR_S = 0.04, 0.2
        self.MINOR_MV, self.MAJOR_MV = 0.1, 0.5
        self._minor_pen = pg.mkPen(minor, width=1)
        self._major_pen = pg.mkPen(major, width=1)
        self._bounds = QtCore.QRectF()
        self.setZValue(-100)

    def set_colors(self, minor: RGB, major: RGB) -> None:
        """Change the line colours."""
        self._minor_pen = pg.mkPen(minor, width=1)
        self._major_pen = pg.mkPen(major, width=1)
        self.update()

    def set_steps(self, minor_s: float, minor_mv: float, major_every: int = 5) -> None:
        """One small square is ``minor_s`` seconds wide and ``minor_mv`` high; a major one ``major_every`` of them."""
        self.MINOR_S, self.MINOR_MV = float(minor_s), float(minor_mv)
        self.MAJOR_S, self.MAJOR_MV = major_every * self.MINOR_S, major_every * self.MINOR_MV
        self.update()

    def steps(self) -> tuple[float, float]:
        """``(seconds, mV)`` of one small square."""
        return self.MINOR_S, self.MINOR_MV

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph hook)
        self.prepareGeometryChange()
        self._bounds = QtCore.QRectF()
        super().viewTransformChanged()

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt name)
        if self._bounds.isNull():
            vr = self.viewRect()
            self._bounds = QtCore.QRectF() if vr is None else QtCore.QRectF(vr)
        return self._bounds

    def visible_levels(self) -> tuple[bool, bool]:
        """Whether (minor, major) vertical lines are drawn at the current zoom."""
        px = self.pixelWidth()
        if not px:
            return False, False
        minor = self.MINOR_S * self.fs / px >= self.min_spacing_px
        major = self.MAJOR_S * self.fs / px >= self.min_spacing_px
        return minor, major

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        vr = self.viewRect()
        px, py = self.pixelWidth(), self.pixelHeight()
        if vr is None or not px or not py:
            return
        x0, x1 = vr.left(), vr.right()
        y0, y1 = min(vr.top(), vr.bottom()), max(vr.top(), vr.bottom())
        for step_s, step_mv, pen in ((self.MINOR_S, self.MINOR_MV, self._minor_pen),
                                     (self.MAJOR_S, self.MAJOR_MV, self._major_pen)):
            step_x = step_s * self.fs
            lines: list[QtCore.QLineF] = []
            if step_x / px >= self.min_spacing_px:
                xs = np.arange(np.ceil(x0 / step_x), np.floor(x1 / step_x) + 1) * step_x
                lines += [QtCore.QLineF(x, y0, x, y1) for x in xs]
            if step_mv / py >= self.min_spacing_px:
                ys = np.arange(np.ceil(y0 / step_mv), np.floor(y1 / step_mv) + 1) * step_mv
                lines += [QtCore.QLineF(x0, y, x1, y) for y in ys]
            if lines:
                painter.setPen(pen)
                painter.drawLines(lines)
