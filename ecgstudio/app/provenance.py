"""How a model's JSON records where it came from: paths and the command that made it.

A model card is read on other machines, so the paths it names are written relative to the folder the command ran
in (the repository root, for the shipped model) whenever they lie next to it, e.g. ``../shared/data/qtdb``; a path
elsewhere (``/tmp/...``) stays absolute, since a chain of ``../..`` would mean nothing on another machine.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable
from pathlib import Path


def portable_path(path: str | os.PathLike[str], start: str | os.PathLike[str] | None = None) -> str:
    """``path`` relative to ``start`` (default: the current folder) when it lies inside it or its parent.

    Parameters
    ----------
    path : path
        A file or folder, absolute or relative to ``start``.
    start : path | None
        The folder the command runs in (``None``: the current working directory).

    Returns
    -------
    str
        The relative form (at most one leading ``..``), else the absolute path.
    """
    base = Path(os.path.abspath(start if start is not None else os.getcwd()))
    target = Path(os.path.abspath(os.path.join(base, path)))
    try:
        relative = os.path.relpath(target, base)
    except ValueError:  # another drive (Windows)
        return str(target)
    parts = Path(relative).parts
    if parts[:2] == ("..", ".."):
        return str(target)
    return relative


def command_line(prog: str, args: argparse.Namespace, path_options: Iterable[str] = (),
                 positional: str | None = None) -> str:
    """The command that reproduces a run, every option explicit, the given options' paths made portable.

    Parameters
    ----------
    prog : str
        E.g. ``"ecgstudio train"``.
    args : argparse.Namespace
        The parsed options (``None`` and ``False`` values are left out, ``True`` becomes a bare flag, a list
        is written as its items).
    path_options : iterable of str
        Names of the options (attribute names) whose values are paths.
    positional : str | None
        Name of the positional argument, written first without a flag.

    Returns
    -------
    str
    """
    paths = set(path_options)
    parts = [prog]
    options = []
    for key, value in vars(args).items():
        if key.startswith("_") or value is None or value is False:
            continue
        values = value if isinstance(value, list) else [value]
        if key in paths:
            values = [portable_path(v) for v in values]
        if key == positional:
            parts += [str(v) for v in values]
            continue
        flag = "--" + key.replace("_", "-")
        options += [flag] if value is True else [flag, *(str(v) for v in values)]
    return " ".join(parts + options)
