"""Colour palettes of the plot: segment classes, markers, grid.

Colours are plain ``(r, g, b)`` tuples (0-255) so that the palettes can be
tested without a display; the plot turns them into ``QColor``/RGBA tables.

The ``classic`` palette follows the original research tool's figure
(docs/ARCHITECTURE.md §4): P on -> P off yellow, P off -> QRS on green,
QRS on -> R red, R -> QRS off purple, QRS off -> T off brown,
T off -> next P pink, with the shades tuned to read on pink ECG paper.
``colorblind`` uses the Okabe-Ito colours, which stay distinct under the
common colour-vision deficiencies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecgstudio.core.waves import SegmentClass, WaveKind

RGB = tuple[int, int, int]

#: Row of :func:`segment_rgba_table` used for samples without a class.
UNLABELLED = len(SegmentClass)


@dataclass(frozen=True)
class Palette:
    """All colours the plot uses.

    Attributes
    ----------
    name : str
        Palette name (``"classic"`` or ``"colorblind"``).
    segments : dict[SegmentClass, RGB]
        Colour of each segment class in the annotation bands.
    handles : dict[WaveKind, RGB]
        Colour of the draggable boundary lines of each wave kind.
    signal : RGB
        ECG trace.
    grid_minor, grid_major : RGB
        ECG paper lines (0.04 s / 0.1 mV and 0.2 s / 0.5 mV).
    disagreement : RGB
        Ticks where the edited track differs from the reference.
    low_confidence : RGB
        Marker over waves the model is unsure of.
    reviewed : RGB
        Bar under spans a clinician has reviewed.
    selection : RGB
        Highlight of the selected wave, boundary and range.
    """

    name: str
    segments: dict[SegmentClass, RGB]
    handles: dict[WaveKind, RGB]
    signal: RGB
    grid_minor: RGB
    grid_major: RGB
    disagreement: RGB
    low_confidence: RGB
    reviewed: RGB
    selection: RGB


CLASSIC = Palette(
    name="classic",
    segments={
        SegmentClass.P: (232, 190, 0),      # yellow (darkened to read on white/pink)
        SegmentClass.PQ: (46, 160, 67),     # green
        SegmentClass.QR: (214, 39, 40),     # red
        SegmentClass.RS: (128, 60, 170),    # purple
        SegmentClass.ST: (140, 86, 45),     # brown
        SegmentClass.TP: (247, 150, 190),   # pink
    },
    handles={WaveKind.P: (170, 135, 0), WaveKind.QRS: (180, 20, 20), WaveKind.T: (110, 60, 25)},
    signal=(10, 10, 10),
    grid_minor=(250, 212, 218),
    grid_major=(238, 150, 165),
    disagreement=(230, 0, 0),
    low_confidence=(255, 120, 0),
    reviewed=(0, 150, 60),
    selection=(30, 110, 230),
)

COLORBLIND = Palette(
    name="colorblind",
    segments={
        SegmentClass.P: (240, 228, 66),     # yellow
        SegmentClass.PQ: (0, 158, 115),     # bluish green
        SegmentClass.QR: (213, 94, 0),      # vermillion
        SegmentClass.RS: (204, 121, 167),   # reddish purple
        SegmentClass.ST: (0, 114, 178),     # blue
        SegmentClass.TP: (86, 180, 233),    # sky blue
    },
    handles={WaveKind.P: (150, 140, 0), WaveKind.QRS: (170, 70, 0), WaveKind.T: (0, 90, 150)},
    signal=(0, 0, 0),
    grid_minor=(225, 225, 225),
    grid_major=(170, 170, 170),
    disagreement=(0, 0, 0),
    low_confidence=(230, 159, 0),
    reviewed=(0, 114, 178),
    selection=(0, 0, 0),
)

#: Palettes by name.
PALETTES: dict[str, Palette] = {p.name: p for p in (CLASSIC, COLORBLIND)}


def get_palette(name: str) -> Palette:
    """The palette called ``name``.

    Raises
    ------
    ValueError
        If no palette has that name.
    """
    try:
        return PALETTES[name]
    except KeyError:
        raise ValueError(f"unknown palette {name!r} (choose from {', '.join(PALETTES)})") from None


def segment_rgba_table(palette: Palette, alpha: int = 255) -> np.ndarray:
    """Lookup table from class code to colour.

    Returns
    -------
    np.ndarray
        uint8, shape ``(len(SegmentClass) + 1, 4)``: RGBA per class code, the
        last row (:data:`UNLABELLED`) fully transparent.
    """
    table = np.zeros((UNLABELLED + 1, 4), dtype=np.uint8)
    for cls, rgb in palette.segments.items():
        table[int(cls)] = (*rgb, alpha)
    return table
