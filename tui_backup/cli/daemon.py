"""`tui-backup daemon`: the scheduler in the foreground, for a systemd service or a container.

It runs what `run-due` would, when it is due; SIGHUP reloads the config, SIGTERM/SIGINT
stop it (running jobs are cancelled gracefully). One line per decision on stderr.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tui_backup.cli._state import state


def register(app: typer.Typer) -> None:
    app.command("daemon")(daemon)


def daemon(
    ctx: typer.Context,
    max_sleep: Annotated[
        float, typer.Option("--max-sleep", metavar="SECONDS", hidden=True, help="Longest single sleep (tests).")
    ] = 60.0,
    min_pass_gap: Annotated[
        float, typer.Option("--min-pass-gap", metavar="SECONDS", hidden=True, help="Least time between passes (tests).")
    ] = 30.0,
) -> None:
    """Run the scheduler in the foreground until SIGTERM (SIGHUP reloads the config)."""
    from tui_backup.service.daemon import run_daemon

    with state(ctx).service(check_paths=False) as svc:
        code = run_daemon(svc, max_sleep_s=max(0.1, max_sleep), min_pass_gap_s=max(0.0, min_pass_gap))
    if code:
        raise typer.Exit(code)
