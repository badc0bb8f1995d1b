"""Suite-wide settings: property tests are reproducible on CI."""

from __future__ import annotations

import os

from hypothesis import settings

# On CI the examples are derived from the test itself (same examples every run), so a red CI is reproducible.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
