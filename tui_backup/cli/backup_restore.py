"""`tui-backup backup restore DEST [POINT|latest]`: restore from a destination (layer 4).

Registered into the `backup` group by cli/backup.py (`register(group)`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tui_backup.cli._state import state

if TYPE_CHECKING:
    from tui_backup.service.backup_restore import BackupRestorePlan, BackupRestoreResult

LIST_LIMIT = 50  # files listed per kind of change on a terminal (--json lists them all)


def register(app: typer.Typer) -> None:
    app.command("restore")(restore)


def restore(
    ctx: typer.Context,
    dest: Annotated[str, typer.Argument(metavar="DEST", help="The destination's name.")],
    point: Annotated[
        str, typer.Argument(metavar="POINT", help="A restore point id (or unique prefix), or `latest`.")
    ] = "latest",
    database: Annotated[bool, typer.Option("--database", help="Restore the database only.")] = False,
    files: Annotated[bool, typer.Option("--files", help="Restore the files sources only.")] = False,
    paths: Annotated[
        list[str] | None,
        typer.Option("--path", metavar="P", help="Restore only this file or directory (files/LABEL/… or its original path)."),
    ] = None,
    to: Annotated[
        Path | None, typer.Option("--to", metavar="DIR", help="Place the restored backup in DIR instead of in place.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would change, and change nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Restore in place without asking.")] = False,
    force: Annotated[bool, typer.Option("--force", help="With --to: restore into a non-empty DIR.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output only, on stdout.")] = False,
) -> None:
    """Restore the database, the files, or single paths from DEST (in place, or --to DIR).

    Everything fetched is checked against the backup's metadata.json first. In place, the
    live database gets a safety snapshot and every replaced file is moved to a safety area;
    any failure rolls everything back; after success the replaced files are in the trash. On a terminal it shows the changes and asks;
    otherwise it needs --yes.
    """
    from tui_backup.cli._confirm import confirm
    from tui_backup.cli._jobview import job_view
    from tui_backup.cli._output import print_json
    from tui_backup.service.backup_restore import RestoreScope

    scope = RestoreScope(database=database, files=files, paths=tuple(paths or ()))
    title = f"restore {dest}"
    with state(ctx).service(check_paths=False) as svc:
        if dry_run:
            with job_view(title, as_json=False) as on_event:
                plan = svc.plan_backup_restore(dest, point, *(() if as_json else (on_event,)), scope=scope, to=to)
            if as_json:
                print_json(plan.to_json())
            else:
                _print_plan(plan)
            return
        if to is None:
            if not yes and not as_json and sys.stdin.isatty():
                with job_view(f"{title} (dry run)", as_json=False) as on_event:
                    _print_plan(svc.plan_backup_restore(dest, point, on_event, scope=scope))
            confirm(f"Restore {point} from {dest} in place?", yes=yes, what=f"restoring {point} from {dest} in place")
        with job_view(title, as_json=False) as on_event:
            result = svc.restore_backup(dest, point, *(() if as_json else (on_event,)), scope=scope, to=to, force=force)
    if as_json:
        print_json(result.to_json())
        return
    _print_result(result)


def _print_list(title: str, items: list[str]) -> None:
    from tui_backup.cli._output import escape, say

    if not items:
        return
    say(f"{title} ({len(items)}):")
    for item in items[:LIST_LIMIT]:
        say(f"  {escape(item)}")
    if len(items) > LIST_LIMIT:
        say(f"  … and {len(items) - LIST_LIMIT} more (--json lists them all)")


def _print_plan(plan: BackupRestorePlan) -> None:
    from tui_backup.cli._output import escape, print_table, say

    say(f"restore [bold]{escape(plan.point)}[/] from {escape(plan.destination)} {escape(plan.target)}")
    _print_list("added", plan.added)
    _print_list("overwritten", plan.overwritten)
    _print_list("deleted (moved to the safety area)" if plan.in_place else "deleted", plan.deleted)
    if not (plan.added or plan.overwritten or plan.deleted):
        say("files: no changes")

    def rows(n: int | None) -> str:
        return "—" if n is None else f"{n:,}"

    def change(before: int | None, after: int | None) -> str:
        if before is None:
            return "added"
        if after is None:
            return "removed"
        return "=" if after == before else f"{after - before:+,}"

    if plan.tables:
        print_table(
            ("TABLE", "ROWS NOW", "AFTER", "CHANGE"),
            ((t.table, rows(t.rows_before), rows(t.rows_after), change(t.rows_before, t.rows_after)) for t in plan.tables),
            right=("ROWS NOW", "AFTER", "CHANGE"),
        )
    elif plan.database:
        say("database: restored as a file under database/")


def _print_result(result: BackupRestoreResult) -> None:
    from tui_backup.cli._output import escape, say

    what = ", ".join(
        [f"{result.files_restored} file(s)"] + (["the database"] if result.database_restored else [])
    )
    where = "in place" if result.in_place else f"into {result.target}"
    say(f"restored {escape(what)} from [bold]{escape(result.point)}[/] ({escape(result.destination)}) {escape(where)}"
        f" in {result.duration_s:.1f} s")
    if result.safety_snapshot_id:
        say(f"  the previous database is kept as safety snapshot {escape(result.safety_snapshot_id)}"
            f" (undo: tui-backup snapshot restore {escape(result.safety_snapshot_id)})")
    for item in result.safety_items:
        say(f"  the replaced {escape(item['original'])} is trash item [bold]{escape(item['id'])}[/]"
            f" (undo: {escape(item['restore'])})")
    for area in result.safety_areas:
        say(f"  replaced files were moved to {escape(area)}")
