"""`tui-backup backup …`: back the profile up to a destination (layer 4), and list what is there."""

from __future__ import annotations

from typing import Annotated

import typer

from tui_backup.cli._state import state

group = typer.Typer(help="Backups to destinations (layer 4): run, list, restore, remove.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output only, on stdout.")]
DestArgument = Annotated[str, typer.Argument(metavar="DEST", help="The destination's name (a \\[\\[destination]] table).")]


def register(app: typer.Typer) -> None:
    from tui_backup.cli import backup_restore  # `backup restore` lives in its own module

    backup_restore.register(group)
    app.add_typer(group, name="backup")


@group.command("run")
def run(
    ctx: typer.Context,
    dest: DestArgument,
    type_: Annotated[
        str, typer.Option("--type", "-t", metavar="TYPE", help="full | database | files | config.")
    ] = "full",
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines of the job's events on stdout.")] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Wait if another job is using the destination.")] = False,
) -> None:
    """Back the profile up to DEST now (Ctrl-C cancels cleanly)."""
    from tui_backup.cli._jobview import finish, job_view
    from tui_backup.service.backups import check_type

    kind = check_type(type_)
    with state(ctx).service(check_paths=False) as svc:
        with job_view(f"backup {dest}", as_json=as_json) as on_event:
            finished = svc.run_backup(dest, kind, on_event, wait=wait)
    finish(finished, as_json=as_json)


@group.command("list")
def list_(ctx: typer.Context, dest: DestArgument, as_json: JsonOption = False) -> None:
    """List the restore points at DEST, newest first."""
    from tui_backup.cli._output import print_json, print_table, say
    from tui_backup.tui.formatting import human_bytes, local_time

    with state(ctx).service(check_paths=False) as svc:
        points = svc.list_restore_points(dest)
    if as_json:
        print_json([p.to_json() for p in points])
        return
    if not points:
        say(f"no backups at {dest} yet: make one with `tui-backup backup run {dest}`")
        return
    print_table(
        ("ID", "CREATED", "TYPE", "SIZE", "HOST"),
        (
            (
                p.id,
                local_time(p.created_at),
                p.type + (" (foreign)" if p.foreign else ""),
                human_bytes(p.size_bytes) if p.size_bytes is not None else "?",
                p.host or "",
            )
            for p in points
        ),
        right=("SIZE",),
    )


@group.command("remove")
def remove(
    ctx: typer.Context,
    dest: DestArgument,
    point_ids: Annotated[list[str], typer.Argument(metavar="POINT...", help="Restore point ids (or unique prefixes).")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines of the job's events on stdout.")] = False,
) -> None:
    """Move restore points at DEST into its trash (restorable for [trash] retention_days)."""
    from tui_backup.cli._confirm import confirm
    from tui_backup.cli._jobview import finish, job_view
    from tui_backup.cli._output import say

    what = f"moving {len(point_ids)} restore point(s) of {dest} to the trash"
    confirm(f"Move {', '.join(point_ids)} of {dest} to the trash?", yes=yes, what=what)
    with state(ctx).service(check_paths=False) as svc:
        with job_view(f"remove from {dest}", as_json=as_json) as on_event:
            removal = svc.remove_restore_points(dest, point_ids, on_event)
    if not as_json and removal.finished is not None and removal.finished.ok:
        for point, item in zip(removal.point_ids, removal.trash_items, strict=False):
            say(f"{point}: in the trash as {item} (`tui-backup trash restore {item}` brings it back)")
    assert removal.finished is not None
    finish(removal.finished, as_json=as_json)
