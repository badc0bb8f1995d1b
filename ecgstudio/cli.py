"""The ``ecgstudio`` command line.

``ecgstudio [RECORD]`` opens the editor; ``ecgstudio annotate|train|evaluate|finetune ...``
run headless work. Each sub-command lives in an ``ecgstudio.app`` module that
provides ``add_arguments(parser)`` and ``run(args) -> int``; heavy imports
(TensorFlow, Qt) happen only inside ``run``.

Errors end with exit code != 0 and a single line ``ecgstudio: error: ...``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from ecgstudio import __version__
from ecgstudio.core.errors import EcgStudioError

#: sub-command -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "annotate": ("ecgstudio.app.annotate", "pre-annotate records with a model, write WFDB annotation files"),
    "train": ("ecgstudio.app.train", "train a segmentation model on a WFDB database (e.g. QTDB)"),
    "evaluate": ("ecgstudio.app.evaluate", "score a model (and QTDB's automatic annotators) against reference annotations"),
    "finetune": ("ecgstudio.app.finetune", "fine-tune a model on reviewed, corrected annotations"),
    "worklist": ("ecgstudio.app.worklist", "review state of every record of a folder (--csv OUT writes it)"),
}

_DESCRIPTION = """ECG Studio: open a WFDB record, pre-annotate P/QRS/T waves with a BiLSTM model,
correct them and save standard WFDB annotation files.

  ecgstudio                 open the sample record with the bundled model (a writable copy of
                            the bundled one, made in the user data folder on first use)
  ecgstudio RECORD          open RECORD (path without extension, a .hea file, or a folder)
  ecgstudio SUBCOMMAND -h   help on a headless sub-command
"""


def _gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ecgstudio",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="sub-commands: " + "; ".join(f"{k}: {v[1]}" for k, v in SUBCOMMANDS.items()),
    )
    parser.add_argument("record", nargs="?", help="record to open (default: your copy of the bundled sample)")
    parser.add_argument("--model", help="model path stem or .keras file (default: the bundled model)")
    parser.add_argument("--version", action="version", version=f"ecgstudio {__version__}")
    return parser


def _sub_parser(name: str) -> tuple[argparse.ArgumentParser, object]:
    module_name, help_text = SUBCOMMANDS[name]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"ecgstudio {name}", description=help_text)
    module.add_arguments(parser)
    return parser, module


def _check_display() -> None:
    """Fail with one line, instead of Qt's abort, when there is no screen to open a window on."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")
    ):
        raise EcgStudioError(
            "no display to open the editor on (DISPLAY is not set): run it in a desktop session, under "
            "'xvfb-run', or use the headless sub-commands (ecgstudio annotate ...)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ecgstudio`` console script; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list and args_list[0] in SUBCOMMANDS:
            parser, module = _sub_parser(args_list[0])
            args = parser.parse_args(args_list[1:])
            from ecgstudio.ml._tf import hide_native_start_up_logs

            hide_native_start_up_logs()  # this process runs one command: fd 2 may be pointed away at the import
            return int(module.run(args) or 0)
        args = _gui_parser().parse_args(args_list)
        _check_display()
        from ecgstudio.gui.app import run_gui

        return run_gui(record=args.record, model=args.model)
    except EcgStudioError as exc:
        print(f"ecgstudio: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ecgstudio: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("ecgstudio: error: out of memory", file=sys.stderr)
        return 3
    except OSError as exc:
        print(f"ecgstudio: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
