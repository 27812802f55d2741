"""`tui-backup volumes`: layer 0, every place the profile reads from or writes to."""

from __future__ import annotations

from typing import Annotated

import typer

from tui_backup.cli._state import state

group = typer.Typer(
    help="Volumes of the profile (layer 0) and their state: online, offline, read-only, low space, missing.",
    invoke_without_command=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="volumes")


@group.callback()
def volumes(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output only, on stdout.")] = False,
) -> None:
    """List every volume of the profile with its state and free space."""
    if ctx.invoked_subcommand is not None:
        return
    from tui_backup.cli._output import print_json, print_table, say
    from tui_backup.tui.formatting import human_bytes, volume_label

    with state(ctx).service(check_paths=False) as svc:
        statuses = svc.volume_statuses()
    if as_json:
        print_json([v.to_json() for v in statuses])
        return
    print_table(
        ("VOLUME", "ROLE", "STATE", "FREE", "PATH", "DETAIL"),
        (
            (v.name, v.role, volume_label(str(v.state)), human_bytes(v.free_bytes), v.path, v.detail)
            for v in statuses
        ),
        right=("FREE",),
    )
    for v in statuses:
        if not v.ok and v.hint:
            say(f"[yellow]{_e(v.name)}[/]: {_e(v.hint)}")


@group.command("adopt")
def adopt(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Volume name, e.g. `snapshots`.")],
) -> None:
    """Accept what is mounted at a volume's path as that volume from now on.

    For a drive that was really replaced: the guard otherwise refuses it as offline or foreign.
    """
    from tui_backup.cli._output import say

    with state(ctx).service(check_paths=False) as svc:
        vol = svc.volume(name)
        marker_id = svc.adopt_volume(name)
    say(f"volume {_e(vol.name)} ({_e(str(vol.path))}) adopted; marker id {marker_id}")


def _e(text: str) -> str:
    from tui_backup.cli._output import escape

    return escape(text)
