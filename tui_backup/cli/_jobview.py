"""Watching a job from the CLI: a rich bar on a terminal, plain lines otherwise, or JSON
lines of the events (`--json`); then the outcome and the exit code.

`with job_view("backup usb", mode) as on_event: finished = svc.run_backup(..., on_event)`
then `finish(finished, as_json)` prints the result and raises typer.Exit with the code of
`jobs.errors.exit_code_for`. Everything but JSON goes to stderr.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer

from tui_backup.jobs.events import Event, Finished, JobWarning, LogLine, Progress, Started

PLAIN_EVERY_S = 2.0  # plain lines: at most one progress line this often (and per stage change)


def _fmt_eta(seconds: float | None) -> str:
    if seconds is None or seconds > 360_000:
        return "--:--"
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def describe_progress(p: Progress) -> str:
    """`12.0 MB / 30.0 MB · 5.0 MB/s · ETA 0:04 · 3/10 files · current`."""
    from tui_backup.tui.formatting import human_bytes

    bits: list[str] = []
    if p.bytes_total:
        bits.append(f"{human_bytes(p.bytes_done)} / {human_bytes(p.bytes_total)}")
    elif p.bytes_done:
        bits.append(human_bytes(p.bytes_done))
    if p.rate:
        bits.append(f"{human_bytes(int(p.rate))}/s")
    if p.eta_s is not None:
        bits.append(f"ETA {_fmt_eta(p.eta_s)}")
    if p.files_total:
        bits.append(f"{p.files_done or 0}/{p.files_total} files")
    if p.current:
        cur = p.current if len(p.current) <= 50 else "…" + p.current[-49:]
        bits.append(cur)
    return " · ".join(bits)


def event_json(event: Event) -> dict[str, Any]:
    from dataclasses import asdict

    data = asdict(event)
    name = {Started: "started", Progress: "progress", LogLine: "log", JobWarning: "warning", Finished: "finished"}
    return {"event": name.get(type(event), type(event).__name__.lower()), **data}


def _json_lines(event: Event) -> None:
    sys.stdout.write(json.dumps(event_json(event), default=str) + "\n")
    sys.stdout.flush()


class _Plain:
    def __init__(self, title: str) -> None:
        self.title = title
        self.stage = ""
        self.last = 0.0

    def __call__(self, event: Event) -> None:
        from tui_backup.cli._output import print_warnings

        if isinstance(event, JobWarning):
            print_warnings([event.message])
        elif isinstance(event, Started):
            sys.stderr.write(f"{self.title}: job {event.job_id} started\n")
        elif isinstance(event, Progress):
            now = time.monotonic()
            if event.stage == self.stage and now - self.last < PLAIN_EVERY_S:
                return
            self.stage, self.last = event.stage, now
            pct = f" {event.fraction:.0%}" if event.fraction is not None else ""
            detail = describe_progress(event)
            sys.stderr.write(f"{self.title}: {event.stage}{pct}" + (f" ({detail})" if detail else "") + "\n")
        sys.stderr.flush()


@contextmanager
def job_view(title: str, *, as_json: bool) -> Iterator[Callable[[Event], None]]:
    if as_json:
        yield _json_lines
    elif sys.stderr.isatty():
        with _bar(title) as cb:
            yield cb
    else:
        yield _Plain(title)


@contextmanager
def _bar(title: str) -> Iterator[Callable[[Event], None]]:
    from rich import progress as rp

    from tui_backup.cli._output import escape, stderr_console

    columns = (
        rp.SpinnerColumn(),
        rp.TextColumn("{task.description}"),
        rp.BarColumn(),
        rp.TaskProgressColumn(),
        rp.TextColumn("{task.fields[detail]}"),
    )
    with rp.Progress(*columns, console=stderr_console(), transient=True) as bar:
        task = bar.add_task(escape(title), total=None, detail="")

        def update(event: Event) -> None:
            if isinstance(event, JobWarning):
                bar.console.print(f"[yellow]warning:[/] {escape(event.message)}")
            elif isinstance(event, Progress):
                total: float | None = None if event.fraction is None else 1.0
                bar.update(task, description=escape(f"{title}: {event.stage}"), total=total,
                           completed=event.fraction or 0.0, detail=escape(describe_progress(event)))

        yield update


def finish(finished: Finished, *, as_json: bool) -> None:
    """Say how the job ended (unless --json: the last JSON line said it) and exit with its code."""
    from tui_backup.cli._output import escape, print_error, say, stderr_console
    from tui_backup.jobs.errors import exit_code_for

    code = exit_code_for(finished.status, finished.error_kind)
    if not as_json:
        if finished.status == "cancelled":
            stderr_console().print(f"[yellow]cancelled:[/] {escape(finished.error_message or 'cancelled')}"
                                   " — nothing incomplete was kept")
        elif not finished.ok:
            print_error(finished.error_message or "the job failed", finished.hint or "")
        else:
            if finished.warnings:
                stderr_console().print(f"[yellow]finished with {len(finished.warnings)} warning(s)[/]")
            say(escape(finished.summary or "done") + f" [dim](job {finished.job_id}, {finished.duration_s:.1f} s)[/]")
    if code:
        raise typer.Exit(code)
