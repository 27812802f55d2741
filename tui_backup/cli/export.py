"""`tui-backup export --format csv|json [--table T ...] [--from-snapshot ID] [--out DIR] [--lines]`:
the application's SQLite data as files (conventions in tui_backup/service/export.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tui_backup.cli._state import state


def register(app: typer.Typer) -> None:
    app.command("export")(export)


def export(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="csv|json", help="csv: one file per table; json: one document.")],
    tables: Annotated[
        list[str] | None, typer.Option("--table", "-t", metavar="TABLE", help="Only this table (repeatable).")
    ] = None,
    from_snapshot: Annotated[
        str | None,
        typer.Option("--from-snapshot", metavar="ID", help="Export a snapshot (id, prefix or `latest`), not the live database."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="DIR", help="Directory for the files (default: ./PROFILE-export-TIME)."),
    ] = None,
    lines: Annotated[bool, typer.Option("--lines", help="With --format json: one TABLE.jsonl per table, a row per line.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable summary only, on stdout.")] = False,
) -> None:
    """Export every table of the application's SQLite database (read-only; the app keeps writing).

    JSON keeps the types (BLOBs as {"$base64": …}). CSV marks them by quoting: text is always quoted, an empty unquoted cell is NULL, BLOBs are `base64:…`.
    """
    from tui_backup.cli._output import escape, print_json, print_warnings, say

    with state(ctx).service(check_paths=False) as svc:
        result = svc.export_data(fmt.lower(), tables=tables or (), snapshot_id=from_snapshot, out=out, lines=lines)
    print_warnings(result.warnings)
    if as_json:
        print_json(result.to_json())
        return
    source = "the live database" if result.source == "live" else f"snapshot {result.source}"
    say(
        f"exported {len(result.tables)} table(s), {result.row_count:,} rows from {escape(source)}"
        f" into {escape(str(result.out_dir))}"
    )
    for t in result.tables:
        say(f"  {escape(t.name)}: {t.rows:,} rows -> {escape(t.file.name)}")
