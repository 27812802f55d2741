"""`tui-backup jobs …`: the jobs in the catalog (snapshot, backup, restore, ...), their logs,
following a running job's log and cancelling it — also jobs run by another process (cron, the TUI)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tui_backup.cli._state import state

group = typer.Typer(help="Jobs, running and past: status, logs (follow one as it runs), cancel.", no_args_is_help=True)

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


@group.command("log")
def log(
    ctx: typer.Context,
    job_id: Annotated[int, typer.Argument(metavar="ID", help="Job id (see `jobs list`).")],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines until the job ends.")
    ] = False,
) -> None:
    """Print a job's log; with --follow, keep printing it as it grows until the job ends.

    Works for jobs of any process (cron, the TUI, another shell). The job's outcome is said
    on stderr at the end; see `jobs show ID` for the details.
    """
    import sys

    from tui_backup.errors import NotFoundError
    from tui_backup.jobs.tail import LogTail, follow_job
    from tui_backup.tui.formatting import job_label

    out = sys.stdout

    def emit(lines: list[str]) -> None:
        out.write("\n".join(lines) + "\n")
        out.flush()

    with state(ctx).service(check_paths=False) as svc:
        job = svc.get_job(job_id)
        if not follow:
            if not job.log_path or not Path(job.log_path).is_file():
                raise NotFoundError(f"job {job_id} has no log file", "its log may have been removed")
            tail = LogTail(job.log_path)
            lines = tail.read()
            while lines:
                emit(lines)
                lines = tail.read()
            if rest := tail.rest():
                emit(rest)
            return
        try:
            job = follow_job(svc.catalog, job_id, emit)
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
    # Said on stderr, so stdout holds exactly the log.
    from tui_backup.cli._output import stderr_console

    stderr_console().print(f"[dim]job {job.id} {job_label(job.status)}[/]")


@group.command("cancel")
def cancel(
    ctx: typer.Context,
    job_id: Annotated[int, typer.Argument(metavar="ID", help="Job id (see `jobs list`).")],
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the job has stopped.")] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.0, help="With --wait: give up after this many seconds.")
    ] = 120.0,
) -> None:
    """Cancel a running job (whichever process runs it) gracefully, as Ctrl-C would."""
    from tui_backup.cli._output import say
    from tui_backup.errors import TuiBackupError
    from tui_backup.tui.formatting import job_label

    with state(ctx).service(check_paths=False) as svc:
        job = svc.cancel_job(job_id)
        if not wait:
            say(f"cancel requested for job {job.id} ({job.kind} {job.target}, pid {job.pid})")
            return
        job = svc.wait_job(job_id, timeout=timeout)
    if job.status == "running":
        raise TuiBackupError(f"job {job_id} is still running after {timeout:g} s",
                             f"its process {job.pid} may be waiting for a tool to stop; see `tui-backup jobs show {job_id}`")
    if job.status != "cancelled":
        raise TuiBackupError(f"job {job_id} ended before the cancel took effect: {job.status}",
                             f"see `tui-backup jobs show {job_id}`")
    say(f"job {job.id} {job_label(job.status)}")


def _took(seconds: float | None) -> str:
    from tui_backup.tui.formatting import human_duration

    return "—" if seconds is None else human_duration(seconds)
