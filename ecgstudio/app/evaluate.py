"""``ecgstudio evaluate``: placeholder until implemented (owned by its issue)."""

from __future__ import annotations

import argparse

from ecgstudio.core.errors import EcgStudioError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the sub-command's options."""


def run(args: argparse.Namespace) -> int:
    """Run the sub-command."""
    raise EcgStudioError("'evaluate' is not implemented yet")
