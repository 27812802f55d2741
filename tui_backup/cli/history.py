"""`tui-backup history PATH`: every recorded version of a file and what still holds each."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tui_backup.cli._state import state

if TYPE_CHECKING:
    from tui_backup.service.history import FileHistory, FileVersion


def register(app: typer.Typer) -> None:
    app.command("history")(history)


def history(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="PATH", help="A protected file (absolute, or relative to the cwd).")],
    check: Annotated[
        bool, typer.Option("--check", help="Confirm each restore point's copy from its metadata.json (slower).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output only, on stdout.")] = False,
) -> None:
    """Every recorded version of a file, and where each can still be had back.

    Each version (added, modified, deleted, renamed, when) is listed with the restore
    points, trash items or live file that still hold it, and the command that brings it back.
    """
    from tui_backup.cli._output import print_json

    with state(ctx).service(check_paths=False) as svc:
        result = svc.file_history(path, check=check)
    if as_json:
        print_json(result.to_json())
        return
    _print(result)


def _size(n: int | None) -> str:
    return "—" if n is None else f"{n:,} B"


def _headline(v: FileVersion, path: str) -> str:
    from tui_backup.cli._output import escape

    what = {"file.scan": "present at the first scan", "file.added": "added", "file.modified": "modified",
            "file.deleted": "deleted", "file.renamed": "renamed",
            "trash.put": "changed, then moved to the trash before a scan saw it"}.get(v.action, v.action)  # fmt: skip
    if v.reasons and v.reasons != ("content",):
        what += f" ({', '.join(v.reasons)})"
    when = v.at[:19].replace("T", " ") if v.at else "unknown time"
    line = f"[bold]{escape(when)}[/] {escape(what)}"
    if v.path != path:
        line += f" as {escape(v.path)}"
    if not v.deleted:
        line += f"  {_size(v.size)}  sha256 {escape((v.sha256 or '?')[:16])}"
    if v.seq is not None:
        line += f"  [dim](journal {v.seq})[/]"
    return line


def _print(result: FileHistory) -> None:
    from tui_backup.cli._output import escape, print_warnings, say

    say(f"history of [bold]{escape(result.path)}[/]: {len(result.versions)} version(s), oldest first")
    for v in result.versions:
        say(_headline(v, result.path))
        if v.deleted:
            continue
        if not v.holders:
            say("    held by nothing any more")
        for h in v.holders:
            mark = " [green]✓[/]" if h.confirmed and result.checked else ""
            say(f"    {escape(h.label)}{mark}")
            if h.command:
                say(f"      [dim]$[/] {escape(h.command)}")
    print_warnings(result.warnings)
