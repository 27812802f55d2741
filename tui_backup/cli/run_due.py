"""`tui-backup run-due [--dry-run] [--json]`: run every policy (drill, verification) whose time
has come — what cron and systemd timers call every few minutes.

One line per item: `ran`, `failed`, `skipped` (another invocation is running it), `not due`.
Exit 0 unless a run failed (1); a policy already running elsewhere is not a failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tui_backup.cli._state import state

if TYPE_CHECKING:
    from tui_backup.service.scheduler import RunDueReport


def register(app: typer.Typer) -> None:
    app.command("run-due")(run_due)


def run_due(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would run and why; change nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output only, on stdout.")] = False,
) -> None:
    """Run every active policy whose scheduled time has passed (missed runs once), with retries."""
    from tui_backup.cli._output import print_json

    with state(ctx).service(check_paths=False) as svc:
        report = svc.run_due(dry_run=dry_run)
    if as_json:
        print_json(report.to_json())
    else:
        for line in report_lines(report):
            typer.echo(line)
    if report.failed:
        raise typer.Exit(1)


def report_lines(report: RunDueReport) -> list[str]:
    from tui_backup.service.scheduler import describe_run

    lines: list[str] = []
    if report.dry_run:
        lines.extend(f"would run  {i.policy} {i.kind}: {i.reason}" for i in report.items)
    else:
        for o in report.outcomes:
            word = "ran" if o.ok else "failed"
            if o.skipped_reason:
                word = "skipped"
            lines.append(f"{word:<10} {o.run.policy} {o.run.kind}: {describe_run(o.run)}")
        lines.extend(f"failed     {e}" for e in report.errors)
    lines.extend(f"skipped    {s}" for s in report.skipped)
    lines.extend(f"not due    {i.policy} {i.kind}: {i.reason}" for i in report.not_due)
    if not lines:
        lines.append("no policies: add one with `tui-backup policy add`")
    return lines
