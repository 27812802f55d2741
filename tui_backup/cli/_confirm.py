"""Confirmation before destructive actions: a y/N prompt on a terminal, `--yes` otherwise."""

from __future__ import annotations

import sys

import typer

from tui_backup.errors import CancelledError, ConfirmationRequired


def confirm(question: str, *, yes: bool, what: str) -> None:
    """Return when the action may go ahead; raise otherwise.

    Without a terminal (cron, scripts, CI) nothing is asked: the action is refused unless
    `--yes` was given, so a script can never hang on a prompt or proceed by accident.
    """
    if yes:
        return
    if not sys.stdin.isatty():
        raise ConfirmationRequired(
            f"{what} needs confirmation and there is no terminal to ask on",
            "rerun with --yes to confirm",
        )
    if not typer.confirm(question, default=False, err=True):
        raise CancelledError(f"{what}: cancelled", "nothing was changed")
