"""Names of the standard ECG leads, as a clinician reads them.

WFDB headers spell lead names freely (LUDB: ``i``, ``avr``, ``v1``; others
``MLII``, ``DII``, ``-aVR``). :func:`standard_key` maps a name to one key per
standard lead, and :func:`display_name` gives the printed spelling (``I``,
``aVR``, ``V1``); names that are not standard leads are shown as written.
"""

from __future__ import annotations

#: Standard-lead key -> printed name.
DISPLAY: dict[str, str] = {
    "i": "I", "ii": "II", "iii": "III", "avr": "aVR", "avl": "aVL", "avf": "aVF",
    **{f"v{k}": f"V{k}" for k in range(1, 7)},
}

#: Other spellings of standard leads.
ALIASES: dict[str, str] = {"di": "i", "dii": "ii", "diii": "iii", "mlii": "ii", "-avr": "avr"}


def standard_key(name: str) -> str:
    """The lower-case key of a lead name (``"aVR"``, ``"AVR"``, ``" avr "`` -> ``"avr"``; ``"MLII"`` -> ``"ii"``)."""
    key = name.strip().lower().replace(" ", "")
    return ALIASES.get(key, key)


def display_name(name: str) -> str:
    """How a lead is printed: ``"avr"`` -> ``"aVR"``, ``"v1"`` -> ``"V1"``; other names unchanged.

    ``MLII`` and other aliases keep their own name (a modified lead is not lead II).
    """
    key = name.strip().lower().replace(" ", "")
    return DISPLAY.get(key, name)
