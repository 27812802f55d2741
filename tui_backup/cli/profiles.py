"""`tui-backup profiles`: the profiles in the config directory."""

from __future__ import annotations

from typing import Annotated

import typer

group = typer.Typer(help="Profiles: one per protected application.", invoke_without_command=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output only, on stdout.")]


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="profiles")


@group.callback()
def profiles(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the profiles (same as `profiles list`)."""
    if ctx.invoked_subcommand is None:
        _list(as_json)


@group.command("list")
def list_(as_json: JsonOption = False) -> None:
    """List the profiles in the config directory, each with its health and last backup."""
    _list(as_json)


def _list(as_json: bool) -> None:
    from tui_backup import clock
    from tui_backup.cli._output import escape, print_json, print_table, say
    from tui_backup.config import profiles_dir
    from tui_backup.service.profiles import HEALTH_ERROR, profile_entries, profile_health
    from tui_backup.tui.formatting import age, health_label

    # Each profile is opened briefly for its `status` health (a broken one is listed with
    # its reason, never stops the list).
    now = clock.now()
    rows = [(entry, profile_health(entry.config)) for entry in profile_entries()]
    if as_json:
        print_json([health.to_json(entry.name, now) for entry, health in rows])
        return
    if not rows:
        say(f"no profiles in {escape(str(profiles_dir()))}")
        say("create one with `tui-backup init --name NAME --db sqlite:///path/app.db` (or try `tui-backup demo`)")
        return
    print_table(
        ("PROFILE", "HEALTH", "LAST BACKUP", "DETAILS", "CONFIG"),
        (
            (
                entry.name,
                "✖ cannot open" if health.health == HEALTH_ERROR else health_label(health.health),
                age(health.last_backup_at, now) if health.last_backup_at else "never",
                health.summary,
                str(entry.config),
            )
            for entry, health in rows
        ),
    )
