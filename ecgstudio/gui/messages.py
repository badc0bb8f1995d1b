"""Times and clinical words for the user: message translation and the "go to time" parser.

The core speaks samples (``"T wave at sample 481..509 directly after T wave at
sample 410..427"``) because samples are its unit of truth; the user reads
times. :func:`clinical_message` rewrites such a message where it is shown
("T wave at 1.92–2.04 s directly after a T wave at 1.64–1.71 s"), without
changing the core's rules or texts. :func:`parse_time` reads what a user types
into Go to time (``1:23.5``, ``83.5``, ``83.5 s``, ``1:02:03``).
"""

from __future__ import annotations

import re

_TRACK_PREFIX = re.compile(r"^track '[^']*':\s*")
_WAVE_AT = re.compile(r"\b(P|QRS|T) wave at sample (-?\d+)\.\.(-?\d+)")
_ARTICLE = re.compile(r"\b(after|overlaps|before) (?=(P wave|QRS complex|T wave) at )")
_OUTSIDE = re.compile(r"\b(onset|peak|offset) (-?\d+) outside the record \(0\.\.(\d+)\)")
_RANGE = re.compile(r"\b(samples?|range) (-?\d+)\.\.(-?\d+)")
_SAMPLE = re.compile(r"\bsample (-?\d+)\b")
_ORDER = "(order P < QRS < T)"
_TIME = re.compile(r"^(?:(\d+):)?(?:(\d+):)?(\d+(?:[.,]\d*)?|[.,]\d+)\s*(?:s|sec|seconds?)?$")


def format_seconds(seconds: float) -> str:
    """``"1.92"`` below a minute, ``"1:23.45"`` below an hour, ``"1:02:03.45"`` beyond (no unit)."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{sign}{seconds:.3f}" if 0 < seconds < 0.01 else f"{sign}{seconds:.2f}"
    minutes, secs = divmod(seconds, 60.0)
    if minutes < 60:
        return f"{sign}{int(minutes)}:{secs:05.2f}"
    hours, minutes = divmod(int(minutes), 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:05.2f}"


def time_span_text(first_s: float, last_s: float) -> str:
    """``"1.92–2.04 s"`` (or ``"1:23.45–1:24.00"`` beyond a minute)."""
    unit = " s" if max(abs(first_s), abs(last_s)) < 60 else ""
    return f"{format_seconds(first_s)}–{format_seconds(last_s)}{unit}"


def _time_text(seconds: float) -> str:
    return format_seconds(seconds) + (" s" if abs(seconds) < 60 else "")


def clinical_message(text: str, fs: float) -> str:
    """A core message with samples turned into times and waves named as a clinician would.

    Parameters
    ----------
    text : str
        The message (e.g. an :class:`~ecgstudio.core.errors.EditError`'s text).
    fs : float
        Sampling frequency of the record the samples belong to (Hz).

    Returns
    -------
    str
        ``"track 'ecgs': T wave at sample 481..509 directly after T wave at
        sample 410..427 (order P < QRS < T)"`` at 250 Hz becomes ``"T wave at
        1.92–2.04 s directly after a T wave at 1.64–1.71 s (the order is P
        wave, QRS complex, T wave)"``.
    """
    if not fs or fs <= 0:
        return text
    out = _TRACK_PREFIX.sub("", text)

    def wave(match: re.Match[str]) -> str:
        name = "QRS complex" if match.group(1) == "QRS" else f"{match.group(1)} wave"
        return f"{name} at {time_span_text(int(match.group(2)) / fs, int(match.group(3)) / fs)}"

    out = _WAVE_AT.sub(wave, out)
    out = _ARTICLE.sub(lambda m: f"{m.group(1)} a ", out)
    out = _OUTSIDE.sub(lambda m: f"{m.group(1)} at {_time_text(int(m.group(2)) / fs)} is outside the record "
                                 f"(0–{_time_text(int(m.group(3)) / fs)})", out)
    out = _RANGE.sub(lambda m: ("range " if m.group(1) == "range" else "")
                     + time_span_text(int(m.group(2)) / fs, int(m.group(3)) / fs), out)
    out = _SAMPLE.sub(lambda m: _time_text(int(m.group(1)) / fs), out)
    out = out.replace(_ORDER, "(the order is P wave, QRS complex, T wave)")
    return out


def parse_time(text: str) -> float:
    """Seconds from ``"83.5"``, ``"83.5 s"``, ``"1:23.5"`` (m:ss) or ``"1:02:03"`` (h:mm:ss).

    Raises
    ------
    ValueError
        With a one-line message when ``text`` is not a time.
    """
    cleaned = " ".join(str(text).strip().lower().split())
    match = _TIME.match(cleaned)
    if not match:
        raise ValueError(f"“{text}” is not a time (examples: 1:23.5, 83.5 s, 1:02:03)")
    first, second, last = match.groups()
    seconds = float(last.replace(",", "."))
    if first is not None and second is not None:  # h:mm:ss
        hours, minutes = int(first), int(second)
    elif first is not None:  # m:ss
        hours, minutes = 0, int(first)
    else:
        hours, minutes = 0, 0
    if (first is not None and seconds >= 60) or (second is not None and minutes >= 60):
        raise ValueError(f"“{text}” is not a time (seconds and minutes go up to 59)")
    return 3600.0 * hours + 60.0 * minutes + seconds
