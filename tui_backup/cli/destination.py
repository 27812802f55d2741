"""`tui-backup destination …`: the profile's destinations: list, init, check."""

from __future__ import annotations

from typing import Annotated

import typer

from tui_backup.cli._state import state

group = typer.Typer(help="Where backups go: list, init, check.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output only, on stdout.")]
NameArgument = Annotated[str, typer.Argument(metavar="NAME", help="The destination's name.")]


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="destination")


@group.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the destinations declared in the profile's config."""
    from tui_backup.cli._output import print_json, print_table, say

    with state(ctx).service(check_paths=False) as svc:
        dests = svc.destinations()
    if as_json:
        print_json([{"name": d.name, "type": d.type, "where": d.describe()} for d in dests])
        return
    if not dests:
        say("no destinations: add a [[destination]] table to the profile's config")
        return
    print_table(("NAME", "TYPE", "WHERE"), ((d.name, d.type, d.describe()) for d in dests))


@group.command("init")
def init(ctx: typer.Context, name: NameArgument, as_json: JsonOption = False) -> None:
    """Prepare a destination (restic: create the repository)."""
    from tui_backup.cli._jobview import finish, job_view

    with state(ctx).service(check_paths=False) as svc:
        with job_view(f"init {name}", as_json=as_json) as on_event:
            finished = svc.init_destination(name, on_event)
    finish(finished, as_json=as_json)


@group.command("check")
def check(
    ctx: typer.Context,
    name: NameArgument,
    read_data_subset: Annotated[
        str | None,
        typer.Option("--read-data-subset", metavar="X", help="restic: also read this part of the data (e.g. 10%, 1/5)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check a destination's integrity (every backup against its checksums; restic check)."""
    from tui_backup.cli._jobview import finish, job_view

    with state(ctx).service(check_paths=False) as svc:
        with job_view(f"check {name}", as_json=as_json) as on_event:
            finished = svc.check_destination(name, on_event, read_data_subset=read_data_subset)
    finish(finished, as_json=as_json)
