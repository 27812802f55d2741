"""One place turns every failure into `error:` + `hint:` lines and the right exit code.

A `TuiBackupError` exits with its own code (2 usage/config, 1 operation failed); anything
unexpected is one line, a hint to rerun with --verbose, and exit 1. `--verbose` adds the
traceback. Usage errors of the command line itself stay Typer's (exit 2).
"""

from __future__ import annotations

import sys
import traceback

from tui_backup.errors import EXIT_FAILED, TuiBackupError


def is_framework(exc: BaseException) -> bool:
    """Typer's own control flow (exit, abort, usage errors): left to Typer."""
    module = type(exc).__module__
    return module.startswith(("typer.", "click."))


def report(exc: BaseException, *, verbose: bool) -> int:
    """Print `exc` for a user; return the exit code."""
    from tui_backup.cli._output import print_error

    if verbose:
        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, TuiBackupError):
        print_error(exc.message, exc.hint)
        return exc.exit_code
    text = str(exc) or type(exc).__name__
    print_error(
        f"unexpected {type(exc).__name__}: {text}",
        "" if verbose else "this is a bug in tui-backup; rerun with --verbose for the traceback and report it",
    )
    return EXIT_FAILED
