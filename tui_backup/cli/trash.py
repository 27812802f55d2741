"""`tui-backup trash …`: layer 1, what the tool (or you) removed, kept for the recovery window."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tui_backup.cli._state import state

group = typer.Typer(
    help="The trash (layer 1): list, restore and purge removed items.", no_args_is_help=True
)

JsonOption = Annotated[
    bool, typer.Option("--json", help="Machine-readable output only, on stdout.")
]
IdArgument = Annotated[
    str, typer.Argument(metavar="ID", help="Trash item id or a unique prefix of it.")
]


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="trash")


@group.command("put")
def put(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(metavar="PATH...", help="Files or directories to move to the trash."),
    ],
    reason: Annotated[
        str, typer.Option("--reason", "-m", help="Why (kept with the item).")
    ] = "trash put",
    as_json: JsonOption = False,
) -> None:
    """Move files or directories into the trash (a rename on their own filesystem)."""
    from tui_backup.cli._output import escape, print_json, say

    with state(ctx).service(check_paths=False) as svc:
        items = [svc.trash_put(p, kind="user", reason=reason) for p in paths]
    if as_json:
        print_json([i.to_json() for i in items])
        return
    for i in items:
        say(
            f"trashed {escape(i.original)} as [bold]{escape(i.id)}[/] (restore: tui-backup trash restore {i.id})"
        )


@group.command("list")
def list_(
    ctx: typer.Context,
    kind: Annotated[
        str | None, typer.Option("--kind", "-k", metavar="K", help="Only items of this kind.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List the items in the trash, newest first."""
    from tui_backup.cli._output import print_json, print_table, say
    from tui_backup.tui.formatting import human_bytes, local_time

    with state(ctx).service(check_paths=False) as svc:
        items = svc.trash_items(kind)
    if as_json:
        print_json([i.to_json() for i in items])
        return
    if not items:
        say("the trash is empty" + (f" (kind {kind})" if kind else ""))
        return
    print_table(
        ("ID", "KIND", "ORIGINAL", "SIZE", "DELETED", "EXPIRES", "REASON"),
        (
            (
                i.id,
                i.kind,
                i.original,
                human_bytes(i.size_bytes),
                local_time(i.deleted_at),
                local_time(i.expires_at),
                i.reason,
            )
            for i in items
        ),
        right=("SIZE",),
    )
    say(f"{len(items)} item(s), {human_bytes(sum(i.size_bytes for i in items))}")


@group.command("show")
def show(ctx: typer.Context, item_id: IdArgument, as_json: JsonOption = False) -> None:
    """Show one trash item: where it came from, where it is, when it expires."""
    from tui_backup.cli._output import print_fields, print_json
    from tui_backup.tui.formatting import human_bytes, local_time

    with state(ctx).service(check_paths=False) as svc:
        i = svc.trash_item(item_id)
    if as_json:
        print_json(i.to_json())
        return
    fields = [
        ("id", i.id),
        ("kind", i.kind),
        ("state", i.state),
        ("original", i.original),
        ("stored", i.stored),
        ("size", human_bytes(i.size_bytes)),
        ("sha256", i.sha256 or "—"),
        ("deleted", f"{local_time(i.deleted_at)} ({i.deleted_at})"),
        ("expires", f"{local_time(i.expires_at)} ({i.expires_at})"),
        ("reason", i.reason or "—"),
    ]
    if i.job_id is not None:
        fields.append(("job", str(i.job_id)))
    fields.extend((k, str(v)) for k, v in sorted(i.details.items()) if k != "snapshot")
    print_fields(fields)


@group.command("restore")
def restore(
    ctx: typer.Context,
    item_id: IdArgument,
    to: Annotated[
        Path | None, typer.Option("--to", metavar="PATH", help="Restore here instead.")
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="Replace what is there (it goes to the trash itself)."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Move an item back to its original location (or to --to PATH)."""
    from tui_backup.cli._output import escape, print_json, say

    with state(ctx).service(check_paths=False) as svc:
        i = svc.trash_restore(item_id, to=to, overwrite=overwrite)
    if as_json:
        print_json(i.to_json())
        return
    say(
        f"restored [bold]{escape(i.id)}[/] to {escape(str(i.details.get('restored_to', i.original)))}"
    )


@group.command("purge")
def purge(
    ctx: typer.Context,
    ids: Annotated[
        list[str] | None, typer.Argument(metavar="[ID...]", help="Items to delete for good.")
    ] = None,
    expired: Annotated[
        bool, typer.Option("--expired", help="The items past their recovery window.")
    ] = False,
    all_: Annotated[bool, typer.Option("--all", help="Every item in the trash.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Confirm --all without asking.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Delete items for good: the given ids, --expired, or --all --yes."""
    from tui_backup.cli._confirm import confirm
    from tui_backup.cli._output import print_json, say
    from tui_backup.tui.formatting import human_bytes

    if all_:
        confirm("Delete every item in the trash for good?", yes=yes, what="trash purge --all")
    with state(ctx).service(check_paths=False) as svc:
        gone = svc.trash_purge(list(ids or []), expired=expired, all_=all_)
    if as_json:
        print_json([i.to_json() for i in gone])
        return
    say(f"purged {len(gone)} item(s), {human_bytes(sum(i.size_bytes for i in gone))}")
