"""Windows and dialogs that fit the screen they are on."""

from __future__ import annotations

from PyQt5.QtCore import QRect, QSize
from PyQt5.QtWidgets import QApplication, QWidget

#: Share of the available screen a first window takes, and the size it aims for at least.
FIRST_WINDOW_SHARE = 0.8
FIRST_WINDOW_MIN = QSize(1200, 760)
#: Height kept free for the title bar of a window not shown yet (pixels).
FRAME_ALLOWANCE_PX = 40


def available_rect(widget: QWidget | None = None) -> QRect:
    """The available geometry (without task bars) of the screen showing ``widget`` (else the primary one)."""
    screen = widget.screen() if widget is not None else None
    if screen is None:
        app = QApplication.instance()
        screen = app.primaryScreen() if app is not None else None
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 800)


def first_window_size(available: QRect | QSize) -> QSize:
    """80 % of ``available``, at least 1200 x 760, but never larger than ``available``."""
    size = available.size() if isinstance(available, QRect) else QSize(available)
    width = max(int(size.width() * FIRST_WINDOW_SHARE), FIRST_WINDOW_MIN.width())
    height = max(int(size.height() * FIRST_WINDOW_SHARE), FIRST_WINDOW_MIN.height())
    return QSize(min(width, size.width()), min(height, size.height()))


def place_first_window(window: QWidget) -> None:
    """Give a window without a remembered geometry its first size, centred on its screen."""
    area = available_rect(window)
    size = first_window_size(area)
    window.resize(size)
    window.move(area.left() + (area.width() - size.width()) // 2, area.top() + (area.height() - size.height()) // 2)


def overflow_px(widget: QWidget) -> int:
    """Pixels by which ``widget``'s smallest layout (and its frame) is taller than its screen (0 if it fits)."""
    if widget.layout() is not None:
        widget.layout().activate()  # minimum sizes of what was just shown or hidden
    visible = widget.isVisible()
    frame = max(0, widget.frameGeometry().height() - widget.geometry().height()) if visible else FRAME_ALLOWANCE_PX
    return max(0, widget.minimumSizeHint().height() + frame - available_rect(widget).height())


def fit_to_screen(widget: QWidget, width: int | None = None, height: int | None = None) -> None:
    """Resize ``widget`` to ``width`` x ``height`` (default: its size) within the screen, and move it inside."""
    if widget.layout() is not None:
        widget.layout().activate()
    area = available_rect(widget)
    # the window frame (title bar) is known only once shown: allow for one until then
    frame_extra = max(0, widget.frameGeometry().height() - widget.geometry().height()) if widget.isVisible() \
        else FRAME_ALLOWANCE_PX
    w = min(widget.width() if width is None else int(width), area.width())
    h = min(widget.height() if height is None else int(height), area.height() - frame_extra)
    widget.resize(max(w, 1), max(h, 1))
    x = min(max(widget.x(), area.left()), area.right() + 1 - w)
    y = min(max(widget.y(), area.top()), area.bottom() + 1 - h - frame_extra)
    if (x, y) != (widget.x(), widget.y()):
        widget.move(x, y)
