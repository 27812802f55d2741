"""`tui-backup snapshot …`: layer 3, verified copies of the database, and restoring them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tui_backup.cli._state import state

if TYPE_CHECKING:
    from tui_backup.catalog.snapshots import SnapshotRecord
    from tui_backup.service.db_changes import DbChanges
    from tui_backup.service.restore import RestorePlan

group = typer.Typer(help="Snapshots of the database (layer 3): create, list, verify, diff, restore.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output only, on stdout.")]
IdArgument = Annotated[str, typer.Argument(metavar="ID", help="Snapshot id, a unique prefix of it, or `latest`.")]


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="snapshot")


@group.command("create")
def create(
    ctx: typer.Context,
    note: Annotated[str, typer.Option("--note", "-m", help="A note stored with the snapshot.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Take a snapshot of the database now (verified, compressed, checksummed)."""
    from tui_backup.cli._output import print_json, say
    from tui_backup.cli._progress import progress_reporter

    with state(ctx).service() as svc:
        with progress_reporter("snapshot", quiet=as_json) as progress:
            rec = svc.create_snapshot(note, progress=progress)
    if as_json:
        print_json(rec.to_json())
        return
    say(f"snapshot [bold]{_e(rec.id)}[/] created: {_summary(rec)}")
    say(f"  stored in {_e(str(Path(rec.path) / rec.artifact))}")


@group.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List snapshots, newest first."""
    from tui_backup.cli._output import print_json, print_table, say
    from tui_backup.tui.formatting import human_bytes, local_time, rows_label, verify_label

    with state(ctx).service(check_paths=False) as svc:
        snaps = svc.list_snapshots()
    if as_json:
        print_json([s.to_json() for s in snaps])
        return
    if not snaps:
        say("no snapshots yet: take one with `tui-backup snapshot create`")
        return
    print_table(
        ("ID", "CREATED", "KIND", "SIZE", "TABLES / ROWS", "VERIFIED", "NOTE"),
        (
            (
                s.id,
                local_time(s.created_at),
                s.kind,
                human_bytes(s.size_bytes),
                rows_label(len(s.tables), s.row_count),
                verify_label(s.verify_status),
                s.note,
            )
            for s in snaps
        ),
        right=("SIZE", "TABLES / ROWS"),
    )


@group.command("show")
def show(ctx: typer.Context, snapshot_id: IdArgument, as_json: JsonOption = False) -> None:
    """Show one snapshot: where it is, its checksum, sizes and tables."""
    from tui_backup.cli._output import print_fields, print_json, print_table
    from tui_backup.tui.formatting import human_bytes, local_time, verify_label

    with state(ctx).service(check_paths=False) as svc:
        s = svc.get_snapshot(snapshot_id)
    if as_json:
        print_json(s.to_json())
        return
    fields = [
        ("id", s.id),
        ("created", f"{local_time(s.created_at)} ({s.created_at})"),
        ("kind", s.kind),
        ("note", s.note or "—"),
        ("source", f"{s.source_kind} {s.source}"),
        ("file", str(Path(s.path) / s.artifact)),
        ("size", f"{human_bytes(s.size_bytes)} stored, {human_bytes(s.db_size_bytes)} uncompressed"),
        ("sha256", s.sha256),
        ("duration", f"{s.duration_s:.2f} s"),
        ("engine", s.engine_version or "—"),
        ("verified", verify_label(s.verify_status) + (f" at {local_time(s.verified_at)}" if s.verified_at else "")),
    ]
    if s.page_size is not None:
        fields.append(("pages", f"{s.page_count} × {s.page_size} B"))
    if s.verify_detail and s.verify_status != "ok":
        fields.append(("detail", s.verify_detail))
    if s.job_id is not None:
        fields.append(("job", str(s.job_id)))
    print_fields(fields)
    if s.tables:
        print_table(("TABLE", "ROWS"), ((t, f"{n:,}") for t, n in sorted(s.tables.items())), right=("ROWS",))


@group.command("verify")
def verify(
    ctx: typer.Context,
    snapshot_id: Annotated[str | None, typer.Argument(metavar="[ID]", help="Snapshot id, prefix, or `latest`.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Verify every snapshot.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Recompute a snapshot's checksum, decompress it and run the integrity check.

    Exits 1 if any snapshot fails.
    """
    from tui_backup.cli._output import print_json, say
    from tui_backup.cli._progress import progress_reporter
    from tui_backup.errors import UsageError

    if (snapshot_id is None) == (not all_):
        raise UsageError("give either a snapshot ID or --all", "e.g. `tui-backup snapshot verify latest`")
    with state(ctx).service(check_paths=False) as svc:
        with progress_reporter("verify", quiet=as_json) as progress:
            if all_:
                results = svc.verify_all_snapshots(progress=progress)
            else:
                assert snapshot_id is not None
                results = [svc.verify_snapshot(snapshot_id, progress=progress)]
    if as_json:
        print_json([r.to_json() for r in results])
    else:
        if not results:
            say("no snapshots to verify")
        for r in results:
            if r.ok:
                say(f"[green]ok[/]       {_e(r.snapshot_id)}")
            else:
                say(f"[bold red]CORRUPT[/]  {_e(r.snapshot_id)}: {_e(r.detail)}")
    bad = [r for r in results if not r.ok]
    if bad:
        if not as_json:
            from tui_backup.cli._output import print_error

            print_error(
                f"{len(bad)} of {len(results)} snapshot(s) failed verification",
                "do not restore from them; take a new snapshot with `tui-backup snapshot create`",
            )
        raise typer.Exit(1)


@group.command("delete")
def delete(
    ctx: typer.Context,
    snapshot_id: IdArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete one snapshot (asks first on a terminal; needs --yes otherwise)."""
    from tui_backup.cli._confirm import confirm
    from tui_backup.cli._output import say
    from tui_backup.tui.formatting import local_time

    with state(ctx).service(check_paths=False) as svc:
        s = svc.get_snapshot(snapshot_id)
        confirm(
            f"Delete snapshot {s.id} ({local_time(s.created_at)}, {_summary(s)})?",
            yes=yes,
            what=f"deleting snapshot {s.id}",
        )
        deleted = svc.delete_snapshot(s.id)
    say(f"deleted snapshot {_e(deleted.id)}")


@group.command("prune")
def prune(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would be removed.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Apply snapshots.keep: keep the newest N snapshots (and always the newest verified one)."""
    from tui_backup.cli._output import print_json, say

    with state(ctx).service(check_paths=False) as svc:
        decisions = svc.prune_snapshots(dry_run=dry_run)
    if as_json:
        print_json({"dry_run": dry_run, "decisions": [d.to_json() for d in decisions]})
        return
    removed = [d for d in decisions if not d.keep]
    for d in decisions:
        verb = "keep  " if d.keep else ("would remove" if dry_run else "removed")
        say(f"{verb}  {_e(d.snapshot.id)}  ({_e(d.reason)})")
    if not decisions:
        say("no snapshots")
    elif not removed:
        say("nothing to prune")


@group.command("diff")
def diff(
    ctx: typer.Context,
    old_id: Annotated[
        str | None, typer.Argument(metavar="[OLD]", help="Older snapshot (default: the one before NEW).")
    ] = None,
    new_id: Annotated[str | None, typer.Argument(metavar="[NEW]", help="Newer snapshot (default: the newest).")] = None,
    keys: Annotated[int, typer.Option("--keys", metavar="N", help="Sample keys shown per change (default 10).")] = 10,
    as_json: JsonOption = False,
) -> None:
    """Rows inserted, updated and deleted per table, and schema changes, between two snapshots.

    Computed from the per-row hashes stored with each SQLite snapshot (not the live database).
    """
    from tui_backup.cli._output import print_json

    with state(ctx).service(check_paths=False) as svc:
        changes = svc.db_changes(old_id, new_id, keys=keys)
    if as_json:
        print_json(changes.to_json())
        return
    _print_db_changes(changes)


def _print_db_changes(changes: DbChanges) -> None:
    from tui_backup.cli._output import print_table, say
    from tui_backup.tui.formatting import local_time

    say(
        f"from snapshot [bold]{_e(changes.old_id)}[/] ({_e(local_time(changes.old_created_at))})"
        f" to [bold]{_e(changes.new_id)}[/] ({_e(local_time(changes.new_created_at))})"
    )
    if not changes.changed:
        say(f"no changes ({changes.unchanged_tables} tables compared)")
        return

    def rows(n: int | None) -> str:
        return "—" if n is None else f"{n:,}"

    if changes.tables:
        print_table(
            ("TABLE", "STATUS", "INSERTED", "UPDATED", "DELETED", "ROWS BEFORE", "ROWS AFTER"),
            (
                (t.table, t.status, f"{t.inserted:,}", f"{t.updated:,}", f"{t.deleted:,}", rows(t.rows_before),
                 rows(t.rows_after))
                for t in changes.tables
            ),
            right=("INSERTED", "UPDATED", "DELETED", "ROWS BEFORE", "ROWS AFTER"),
        )  # fmt: skip
    for t in changes.tables:
        keyed = ", ".join(t.keyed_by)
        for what, sample in t.samples.items():
            shown = ", ".join(_key_label(k) for k in sample)
            more = " …" if len(sample) < {"inserted": t.inserted, "updated": t.updated, "deleted": t.deleted}[what] else ""
            say(f"  {_e(t.table)} {what} ({_e(keyed)}): {_e(shown)}{more}")
        for c in t.columns_added if t.status == "changed" else ():
            say(f"  {_e(t.table)}: column added {_e(c)}")
        for c in t.columns_removed:
            say(f"  {_e(t.table)}: column removed {_e(c)}")
        for c in t.columns_changed:
            say(f"  {_e(t.table)}: column changed {_e(c)}")
        if t.note:
            say(f"  {_e(t.table)}: {_e(t.note)}")
    if changes.schema:
        say("schema:")
        for s in changes.schema:
            say(f"  {s.change} {s.type} {_e(s.name)}" + (f": {_e(s.after)}" if s.after and s.change != "removed" else ""))
    say(f"{changes.unchanged_tables} other table(s) unchanged")


def _key_label(key: object) -> str:
    import json

    return key if isinstance(key, str) else json.dumps(key)


@group.command("restore")
def restore(
    ctx: typer.Context,
    snapshot_id: IdArgument,
    to: Annotated[
        Path | None, typer.Option("--to", metavar="PATH", help="Write a standalone copy here instead of restoring in place.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change, and change nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Restore in place without asking.")] = False,
    force: Annotated[bool, typer.Option("--force", help="With --to: overwrite an existing file.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Restore a snapshot into the live database (or --to a new file).

    In place, a safety snapshot of the live database is taken first and the restore rolls
    back to it on any failure. On a terminal it shows the changes and asks; otherwise it
    needs --yes.
    """
    from tui_backup.cli._confirm import confirm
    from tui_backup.cli._output import print_json, say
    from tui_backup.cli._progress import progress_reporter

    with state(ctx).service(check_paths=False) as svc:
        if dry_run:
            plan = svc.plan_restore(snapshot_id, to=to)
            if as_json:
                print_json(plan.to_json())
            else:
                _print_plan(plan)
            return
        if to is None:
            if not yes and not as_json and sys.stdin.isatty():  # stdout is only JSON with --json
                _print_plan(svc.plan_restore(snapshot_id, to=None))
            confirm(
                f"Replace the live database with snapshot {snapshot_id}?",
                yes=yes,
                what=f"restoring snapshot {snapshot_id} in place",
            )
        with progress_reporter("restore", quiet=as_json) as progress:
            result = svc.restore_snapshot(snapshot_id, to=to, force=force, progress=progress)
    if as_json:
        print_json(result.to_json())
        return
    say(f"restored snapshot [bold]{_e(result.snapshot_id)}[/] into {_e(result.target)} in {result.duration_s:.1f} s")
    if result.safety_snapshot_id:
        say(
            f"  the previous content is kept as safety snapshot {_e(result.safety_snapshot_id)}"
            f" (undo: tui-backup snapshot restore {_e(result.safety_snapshot_id)})"
        )
    for item_id in result.trash_items:
        say(f"  the replaced file is trash item {_e(item_id)} (undo: tui-backup trash restore {_e(item_id)} --overwrite)")


def _print_plan(plan: RestorePlan) -> None:
    from tui_backup.cli._output import print_table, say
    from tui_backup.tui.formatting import human_bytes, local_time

    s = plan.snapshot
    where = "in place" if plan.in_place else ("new file" if not plan.target_exists else "overwrites the file")
    say(f"restore snapshot [bold]{_e(s.id)}[/] ({_e(local_time(s.created_at))}) into {_e(plan.target)} ({where})")

    def rows(n: int | None) -> str:
        return "—" if n is None else f"{n:,}"

    if plan.tables:
        print_table(
            ("TABLE", "ROWS NOW", "AFTER", "CHANGE"),
            (
                (t.table, rows(t.rows_before), rows(t.rows_after), _change(t.rows_before, t.rows_after))
                for t in plan.tables
            ),
            right=("ROWS NOW", "AFTER", "CHANGE"),
        )
    if plan.tables_added:
        say(f"tables added:   {_e(', '.join(plan.tables_added))}")
    if plan.tables_removed:
        say(f"tables removed: {_e(', '.join(plan.tables_removed))}")
    if plan.schema_changes:
        say("schema differences:")
        for line in plan.schema_changes:
            say(f"  {_e(line)}")
    elif plan.target_exists:
        say("schema: no differences")
    say(f"size: {human_bytes(plan.size_before)} → {human_bytes(plan.size_after)}")


def _change(before: int | None, after: int | None) -> str:
    if before is None:
        return "added"
    if after is None:
        return "removed"
    diff = after - before
    return "=" if diff == 0 else f"{diff:+,}"


def _summary(rec: SnapshotRecord) -> str:
    from tui_backup.tui.formatting import human_bytes, verify_label

    return (
        f"{human_bytes(rec.size_bytes)} ({human_bytes(rec.db_size_bytes)} uncompressed),"
        f" {len(rec.tables)} tables, {rec.row_count:,} rows, verified {verify_label(rec.verify_status)}"
    )


def _e(text: str) -> str:
    from tui_backup.cli._output import escape

    return escape(text)
