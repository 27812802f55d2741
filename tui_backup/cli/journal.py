"""`tui-backup journal …`: the tamper-evident change journal — list, show, export, verify."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tui_backup.cli._state import state
from tui_backup.errors import TuiBackupError

if TYPE_CHECKING:
    from tui_backup.catalog.journal import JournalEntry

group = typer.Typer(
    help="The change journal: every modification, hash-chained so edits show (list, show, export, verify).",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output only, on stdout.")]


class JournalBrokenError(TuiBackupError):
    """`journal verify` found the chain broken: exit 2, like a failing `status`."""

    exit_code = 2


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="journal")


@group.command("list")
def list_(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option("--since", metavar="T", help="Entries at or after this time (ISO-8601, UTC).")] = None,
    until: Annotated[str | None, typer.Option("--until", metavar="T", help="Entries before this time.")] = None,
    action: Annotated[str | None, typer.Option("--action", metavar="A", help="Only this action (a glob: 'snapshot.*').")] = None,
    target: Annotated[str | None, typer.Option("--target", metavar="GLOB", help="Only targets matching this glob.")] = None,
    # Numbers taken as text and checked here: an int option makes Typer load pydantic (~0.15 s
    # of start-up, half the budget of a page of the journal).
    limit: Annotated[str, typer.Option("--limit", "-n", metavar="N", help="At most this many, newest first.")] = "50",
    before: Annotated[str | None, typer.Option("--before", metavar="SEQ", help="Page: entries older than SEQ.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List journal entries, newest first (page back with --before SEQ)."""
    from tui_backup.cli._output import print_json, print_table, say

    with state(ctx).service(check_paths=False) as svc:
        entries = svc.journal_list(
            since, until, action, target, _number(limit, "--limit", 1), None if before is None else _number(before, "--before", 1)
        )
    if as_json:
        print_json([e.to_json() for e in entries])
        return
    if not entries:
        say("no journal entries")
        return
    print_table(
        ("SEQ", "AT (UTC)", "ACTION", "TARGET", "BY"),
        ((str(e.seq), e.at[:19].replace("T", " "), e.action, e.target, _by(e)) for e in entries),
        right=("SEQ",),
    )


@group.command("show")
def show(
    ctx: typer.Context,
    seq: Annotated[int, typer.Argument(metavar="SEQ", help="Entry number (see `journal list`).")],
    as_json: JsonOption = False,
) -> None:
    """Show one entry with its details and hash."""
    import json

    from tui_backup.cli._output import print_fields, print_json

    with state(ctx).service(check_paths=False) as svc:
        e = svc.journal_entry(seq)
    if as_json:
        print_json(e.to_json())
        return
    print_fields(
        [
            ("seq", str(e.seq)),
            ("at", e.at),
            ("by", _by(e)),
            ("action", e.action),
            ("target", e.target),
            ("details", json.dumps(e.details, indent=2, sort_keys=True, ensure_ascii=False)),
            ("hash", e.hash),
        ]
    )


@group.command("export")
def export(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="csv|json", help="csv or json.")] = "json",
    out: Annotated[Path | None, typer.Option("--out", "-o", metavar="FILE", help="Write here (default: stdout).")] = None,
) -> None:
    """Export the whole journal, oldest first."""
    from tui_backup.cli._output import stderr_console

    with state(ctx).service(check_paths=False) as svc:
        n = svc.journal_export(fmt, out)
    if out is not None:
        stderr_console().print(f"exported {n} entries to {out}")


@group.command("verify")
def verify(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Recompute the hash chain; name the first entry altered, deleted or inserted (exit 2)."""
    from tui_backup.cli._output import print_json, say

    with state(ctx).service(check_paths=False) as svc:
        report = svc.journal_verify()
    if as_json:
        print_json(report.to_json())
        if not report.ok:
            raise typer.Exit(2)
        return
    if not report.ok:
        raise JournalBrokenError(
            f"the journal's chain is broken at entry {report.first_bad_seq}: {report.problem}",
            f"see it with `tui-backup journal show {report.first_bad_seq}`; "
            "compare with an exported copy or a snapshot's catalog to learn what changed",
        )
    say(f"journal ok: {report.checked} entries verified (newest {report.last_seq})")


def _number(text: str, option: str, minimum: int) -> int:
    from tui_backup.errors import UsageError

    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise UsageError(f"{option} must be a whole number of at least {minimum}, not {text!r}", f"e.g. {option} 50")
    return value


def _by(e: JournalEntry) -> str:
    a = e.actor
    return f"{a.get('who', '?')} {a.get('interface', '?')} pid {a.get('pid', '?')}"
