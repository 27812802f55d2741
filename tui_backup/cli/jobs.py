"""`tui-backup jobs …`: the history of jobs (snapshot, verify, restore, prune) in the catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tui_backup.cli._state import state

group = typer.Typer(help="Jobs the tool ran, with their status and log.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output only, on stdout.")]
LOG_TAIL_LINES = 20


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="jobs")


@group.command("list")
def list_(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Show at most this many, newest first.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """List recent jobs, newest first."""
    from tui_backup.cli._output import print_json, print_table, say
    from tui_backup.tui.formatting import human_bytes, job_label, local_time

    with state(ctx).service(check_paths=False) as svc:
        jobs = svc.list_jobs(limit)
    if as_json:
        print_json([j.to_json() for j in jobs])
        return
    if not jobs:
        say("no jobs yet")
        return
    print_table(
        ("ID", "KIND", "TARGET", "STARTED", "STATUS", "TOOK", "BYTES", "ERROR"),
        (
            (
                str(j.id),
                j.kind,
                j.target,
                local_time(j.started_at),
                job_label(j.status),
                _took(j.duration_s),
                human_bytes(j.bytes),
                j.error or "",
            )
            for j in jobs
        ),
        right=("ID", "TOOK", "BYTES"),
    )


@group.command("show")
def show(
    ctx: typer.Context,
    job_id: Annotated[int, typer.Argument(metavar="ID", help="Job id (see `jobs list`).")],
    as_json: JsonOption = False,
) -> None:
    """Show one job and the end of its log."""
    from tui_backup.cli._output import escape, print_fields, print_json, say
    from tui_backup.tui.formatting import human_bytes, job_label, local_time

    with state(ctx).service(check_paths=False) as svc:
        j = svc.get_job(job_id)
    if as_json:
        print_json(j.to_json())
        return
    print_fields(
        [
            ("id", str(j.id)),
            ("kind", j.kind),
            ("target", j.target),
            ("status", job_label(j.status)),
            ("started", local_time(j.started_at)),
            ("finished", local_time(j.finished_at)),
            ("duration", _took(j.duration_s)),
            ("bytes", human_bytes(j.bytes)),
            ("by", f"{j.interface or '?'} (pid {j.pid}, {j.host})"),
            ("summary", j.summary or "—"),
            ("error", j.error or "—"),
            ("log", j.log_path or "—"),
        ]
    )
    if j.log_path and Path(j.log_path).is_file():
        lines = Path(j.log_path).read_text(encoding="utf-8", errors="replace").splitlines()
        say(f"[dim]last {min(len(lines), LOG_TAIL_LINES)} log lines:[/]")
        for line in lines[-LOG_TAIL_LINES:]:
            say(f"  {escape(line)}")


def _took(seconds: float | None) -> str:
    from tui_backup.tui.formatting import human_duration

    return "—" if seconds is None else human_duration(seconds)
