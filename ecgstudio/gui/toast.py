"""A transient message over the plot, where the reader looks: results of D, U and other jumps.

The status bar is full of permanent fields (record, cursor, model, paper scale, flag
legend), so at 1366 px its temporary messages are cut to a few letters. A
:class:`Toast` shows one line (wrapped if it must) in the bottom-right corner of
the plot for a few seconds (over the blank paper under the last row's trace, away
from the centred beat and the track labels on the left), transparent to the
mouse, so the message is read in full without moving the eyes far from the beat.
"""

from __future__ import annotations

from PyQt5.QtCore import QEvent, QObject, QPoint, Qt, QTimer
from PyQt5.QtWidgets import QLabel, QWidget

#: Distance from the host's right edge and from the bottom of the plot (px).
MARGIN_PX = 12
#: How long a message stays (ms) unless given.
DEFAULT_MS = 6000
_STYLE = ("QLabel { background: rgba(32, 32, 32, 215); color: white; border-radius: 5px; "
          "padding: 5px 10px; }")


class Toast(QLabel):
    """A message label floating in the top-right corner of ``host`` (module docstring).

    Parameters
    ----------
    host : QWidget
        The widget it floats over (its child; follows its resizes).
    above : QWidget | None
        A widget inside ``host`` the toast stays above (the time ruler); ``None``: the
        bottom of ``host``.
    """

    def __init__(self, host: QWidget, above: QWidget | None = None) -> None:
        super().__init__(host)
        self._above = above
        self.setObjectName("toast")
        self.setStyleSheet(_STYLE)
        self.setWordWrap(True)
        self.setTextFormat(Qt.PlainText)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.NoFocus)
        self.hide()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        host.installEventFilter(self)

    def show_text(self, text: str, ms: int = DEFAULT_MS) -> None:
        """Show ``text`` for ``ms`` milliseconds (replacing what is shown)."""
        self.setText(text)
        self._place()
        self.raise_()
        self.show()
        self._timer.start(ms)

    def _place(self) -> None:
        host = self.parentWidget()
        if host is None:
            return
        room = max(120, host.width() - 2 * MARGIN_PX)
        one_line = self.fontMetrics().horizontalAdvance(self.text()) + 40  # padding, frame and rounding
        width = min(one_line, room, max(480, host.width() * 2 // 3))
        self.setFixedWidth(width)
        self.setFixedHeight(self.heightForWidth(width) if self.hasHeightForWidth() else self.sizeHint().height())
        bottom = host.height()
        if self._above is not None and self._above.isVisible():
            bottom = self._above.mapTo(host, QPoint(0, 0)).y()
        self.move(host.width() - width - MARGIN_PX, max(0, bottom - self.height() - MARGIN_PX))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if obj is self.parentWidget() and event.type() == QEvent.Resize and self.isVisible():
            self._place()
        return False
