"""Bands and labels of a lead row: where they sit, their colours, their texts.

* :class:`RowGeometry`: the vertical layout (mV) of the review bar, the
  editable band, the low-confidence strip and the reference bands around the
  signal;
* :func:`column_centres`, :func:`column_colors`: a band is one image row,
  coloured per pixel column from a few class look-ups each (anti-aliased
  edges; zoomed out, a column holding several segments shows their blend);
* :func:`new_track_label`: the track name shown on a band;
* :func:`draw_beat_symbols`: the pooled beat labels (``V``, ``A``, ``/`` ...)
  above the editable band.

:class:`~ecgstudio.gui.track_items.TrackItems` puts them together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg

from ecgstudio.core.waves import DEFAULT_SYMBOL, Wave, WaveKind
from ecgstudio.gui.colors import RGB

#: Class look-ups per pixel column of a band (their colours are averaged).
SUBSAMPLES = 4
#: Track names are shown only on bands at least this many pixels high.
MIN_LABEL_BAND_PX = 11
#: Beat labels are drawn when the visible QRS complexes get at least this many pixels each.
MIN_SYMBOL_WAVE_PX = 12


@dataclass(frozen=True)
class RowGeometry:
    """Vertical layout of a lead row in mV (bottom to top).

    The review bar, the editable band and the low-confidence strip sit under
    the signal range ``signal_lo..signal_hi``; reference bands sit above it.
    """

    signal_lo: float
    signal_hi: float
    unit: float
    n_reference: int

    @property
    def review(self) -> tuple[float, float]:
        b = self.signal_lo - 2.0 * self.unit
        return b, b + 0.3 * self.unit

    @property
    def editable(self) -> tuple[float, float]:
        b = self.review[1] + 0.1 * self.unit
        return b, b + self.unit

    @property
    def confidence(self) -> tuple[float, float]:
        top = self.editable[1]
        return top + 0.05 * self.unit, top + 0.4 * self.unit

    def reference(self, i: int) -> tuple[float, float]:
        b = self.signal_hi + 0.2 * self.unit + i * 1.1 * self.unit
        return b, b + self.unit

    @property
    def y_range(self) -> tuple[float, float]:
        top = self.reference(self.n_reference - 1)[1] if self.n_reference else self.signal_hi
        return self.review[0], top + 0.1 * self.unit


def column_centres(first: float, last: float, n_columns: int) -> np.ndarray:
    """Sample positions of the centres of ``n_columns`` equal columns over ``first..last``."""
    return first + (np.arange(n_columns) + 0.5) * ((last - first) / n_columns)


def column_colors(codes: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Mean colour of each column from its sub-pixel class codes.

    Parameters
    ----------
    codes : np.ndarray
        int, shape ``(n_columns, n_sub)``: class code at ``n_sub`` points per pixel column.
    table : np.ndarray
        uint8 RGBA per code, from :func:`~ecgstudio.gui.colors.segment_rgba_table`.

    Returns
    -------
    np.ndarray
        uint8, shape ``(n_columns, 4)``: edges come out anti-aliased and, zoomed out,
        a column holding several segments shows their blend instead of an aliased pick.
    """
    return table[codes].mean(axis=1, dtype=np.float32).round().astype(np.uint8)


def new_track_label(plot: pg.PlotItem) -> pg.TextItem:
    """A track-name label, added to ``plot``: small dark text on a light box, as tall as a band.

    Parameters
    ----------
    plot : pg.PlotItem
        The row's plot; the label is added without affecting its auto-range.

    Returns
    -------
    pg.TextItem
        Anchored at its left middle, above the bands (z 8); the caller sets its text and position.
    """
    label = pg.TextItem(anchor=(0, 0.5), color=(40, 40, 40), fill=(255, 255, 255, 190))
    font = label.textItem.font()
    font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
    label.setFont(font)
    label.textItem.document().setDocumentMargin(1)  # as tall as the band: stacked names stay apart
    label.setZValue(8)
    plot.addItem(label, ignoreBounds=True)
    return label


def draw_beat_symbols(plot: pg.PlotItem, pool: list[pg.TextItem], waves: Sequence[Wave],
                      color: RGB, y: float) -> None:
    """Show the beat label of each QRS in ``waves`` whose label is not ``N``, at height ``y``.

    Texts are pooled: only a changed letter is re-laid out, so panning moves
    a few dozen items at most.

    Parameters
    ----------
    plot : pg.PlotItem
        The row's plot; new texts are added to it.
    pool : list[pg.TextItem]
        The row's beat-label texts, grown in place when more are needed;
        the ones not needed are hidden.
    waves : Sequence[Wave]
        The visible waves of the editable track (others than QRS are skipped).
    color : RGB
        Colour of newly created texts (the QRS handle colour of the palette).
    y : float
        Baseline of the texts in mV (the top of the editable band).
    """
    default = DEFAULT_SYMBOL[WaveKind.QRS]
    wanted = [w for w in waves if w.kind is WaveKind.QRS and w.symbol and w.symbol != default]
    while len(pool) < len(wanted):
        text = pg.TextItem(anchor=(0.5, 1.0), color=color, fill=(255, 255, 255, 170))
        font = text.textItem.font()
        font.setBold(True)
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        text.setFont(font)
        text.setZValue(8)
        plot.addItem(text, ignoreBounds=True)
        pool.append(text)
    for text, wave in zip(pool, wanted, strict=False):
        if text.toPlainText() != wave.symbol:
            text.setText(wave.symbol)
        x = wave.peak if wave.peak is not None else (wave.start + wave.offset) / 2
        text.setPos(x, y)
        if not text.isVisible():
            text.setVisible(True)
    for text in pool[len(wanted):]:
        if text.isVisible():
            text.setVisible(False)
