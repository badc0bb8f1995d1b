"""Lead names as printed (core.leads)."""

from __future__ import annotations

import pytest

from ecgstudio.core.leads import display_name, standard_key


@pytest.mark.parametrize(("written", "printed"), [
    ("avr", "aVR"), ("AVL", "aVL"), ("aVF", "aVF"), ("i", "I"), ("iii", "III"), ("v1", "V1"), ("V6", "V6"),
    ("MLII", "MLII"), ("ECG1", "ECG1"), (" ii ", "II"),
])
def test_standard_leads_are_printed_as_on_paper_and_others_as_written(written: str, printed: str) -> None:
    assert display_name(written) == printed


def test_aliases_share_the_standard_key() -> None:
    assert standard_key("MLII") == standard_key("ii") == "ii"
    assert standard_key("-aVR") == standard_key("AVR") == "avr"
    assert standard_key("V 5") == "v5"
