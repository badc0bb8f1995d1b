"""Patient data in a WFDB header's comment lines: age, sex, diagnoses (numpy-free, no I/O).

PhysioNet databases write them differently:

* LUDB: ``<age>: 51``, ``<sex>: F``, ``<diagnoses>:`` followed by one
  diagnosis per line (``Rhythm: Sinus bradycardia.``);
* PTB and similar: ``age: 81``, ``sex: female``, ``Reason for admission: ...``;
* MIT-BIH (and QTDB's copies of it): a first line ``69 M 1085 1629 x1`` (age,
  sex, then recording details) and medications on the next line.

:func:`header_notes` reads all three into a :class:`HeaderNotes`; what it does
not recognise is kept, in order, as ``other`` lines so nothing is lost.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_KEY_VALUE = re.compile(r"^<?\s*([A-Za-z][A-Za-z _/()-]{0,40}?)\s*>?\s*:\s*(.*)$")
_MITBIH_FIRST = re.compile(r"^(\d{1,3}|\?)\s+([MFmf?])(\s|$)")
_SEX_WORDS = {"m": "male", "f": "female", "male": "male", "female": "female", "?": "unknown"}
_DIAGNOSIS_KEYS = {"diagnoses", "diagnosis", "diagnose", "dx", "reason for admission"}


@dataclass(frozen=True)
class HeaderNotes:
    """What a header says about the patient.

    Attributes
    ----------
    age : str
        As written (``"51"``, ``"?"``); ``""`` if not given.
    sex : str
        ``"female"``, ``"male"``, ``"unknown"`` or the header's own word; ``""`` if not given.
    diagnoses : tuple[str, ...]
        Diagnosis lines in header order.
    other : tuple[str, ...]
        Every other comment line, as written.
    """

    age: str = ""
    sex: str = ""
    diagnoses: tuple[str, ...] = ()
    other: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        """Whether the header held no comment at all."""
        return not (self.age or self.sex or self.diagnoses or self.other)


def header_notes(comments: Sequence[str]) -> HeaderNotes:
    """Age, sex and diagnoses from a header's comment lines (``Record.comments``).

    Parameters
    ----------
    comments : Sequence[str]
        Comment lines without the leading ``#``.

    Returns
    -------
    HeaderNotes
        Lines after a ``diagnoses:`` key with no value of its own are
        diagnoses until the next recognised key.
    """
    age = sex = ""
    diagnoses: list[str] = []
    other: list[str] = []
    in_diagnoses = False
    for i, raw in enumerate(comments):
        line = " ".join(str(raw).split())
        if not line:
            continue
        match = _KEY_VALUE.match(line)
        key = match.group(1).strip().lower() if match else ""
        value = match.group(2).strip() if match else ""
        if key == "age":
            age, in_diagnoses = value, False
        elif key in ("sex", "gender"):
            sex, in_diagnoses = _SEX_WORDS.get(value.lower(), value), False
        elif key in _DIAGNOSIS_KEYS:
            in_diagnoses = not value
            if value:
                diagnoses.append(value)
        elif in_diagnoses:
            diagnoses.append(line)
        elif i == 0 and not age and (first := _MITBIH_FIRST.match(line)):
            age = first.group(1)
            sex = _SEX_WORDS[first.group(2).lower()]
            rest = line[first.end():].strip()
            if rest:
                other.append(rest)
        else:
            other.append(line)
    return HeaderNotes(age, sex, tuple(diagnoses), tuple(other))
