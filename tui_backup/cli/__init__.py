"""The one-shot commands: `tui-backup …` for cron, systemd and scripts (Typer).

One module per command group; each only parses, calls the service layer once, and renders.
Imports stay lazy so `tui-backup status --json` starts fast, and Textual is imported only
when the terminal app is opened (`tui-backup`, `tui-backup tui`, `tui-backup demo`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tui_backup import __version__
from tui_backup.cli._group import RootGroup
from tui_backup.cli._state import CliState

# Every top-level command: its name -> the module of tui_backup/cli whose `register(app)`
# adds it. A module is imported only when one of its commands runs (or for `--help`), so a
# command pays only for its own imports. To add a command group: one line here.
COMMANDS: dict[str, str] = {
    "init": "init",
    "status": "status",
    "stats": "stats",
    "snapshot": "snapshot",
    "backup": "backup",
    "destination": "destination",
    "policy": "policy",
    "run-due": "run_due",
    "drill": "drill",
    "export": "export",
    "schedule": "schedule",
    "daemon": "daemon",
    "volumes": "volumes",
    "config": "config",
    "profiles": "profiles",
    "jobs": "jobs",
    "journal": "journal",
    "trash": "trash",
    "history": "history",
    "tui": "tui",
    "demo": "tui",
}


class CliGroup(RootGroup):
    lazy_commands = COMMANDS


PROG_NAME = "tui-backup"

app = typer.Typer(
    name=PROG_NAME,
    cls=CliGroup,
    help="Five layers of protection for one application's data. Without a command: open the terminal app.",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"{PROG_NAME} {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    profile: Annotated[
        str | None,
        typer.Option("--profile", "-p", metavar="NAME", help="Profile to use (default: $TUI_BACKUP_PROFILE, or the only one)."),
    ] = None,
    config_file: Annotated[
        Path | None,
        typer.Option("--config", "-c", metavar="PATH", help="Profile config file to use (default: $TUI_BACKUP_CONFIG)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="More detail, and tracebacks on errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    ctx.obj = CliState(profile=profile, config=config_file, verbose=verbose)
    if ctx.invoked_subcommand is None:
        from tui_backup.cli import tui

        tui.open_app(ctx.obj)


def main() -> None:
    """The `tui-backup` console script."""
    app(prog_name=PROG_NAME)


__all__ = ["COMMANDS", "app", "main"]
