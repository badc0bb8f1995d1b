"""``python -m ecgstudio`` is the ``ecgstudio`` command."""

from __future__ import annotations

import sys

from ecgstudio.cli import main

sys.exit(main())
