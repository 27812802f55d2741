"""Progress of long operations: a rich bar on a terminal, plain lines otherwise.

Both are fed by the service's `progress` callback (`jobs.events.Progress`), which may be
called from any thread; both write to stderr so stdout stays clean for results.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tui_backup.jobs.events import Progress, ProgressCallback

# Plain lines: one per stage, then one each time another tenth of the work is done.
PLAIN_STEP = 0.1
# Operations report warnings (e.g. rollback-journal mode) as a progress stage of their own:
# shown as `warning:` lines in every mode, even when progress itself is not.
WARNING_STAGE = "warning"


@contextmanager
def progress_reporter(title: str, *, quiet: bool = False) -> Iterator[ProgressCallback]:
    """Yield the callback to hand to a service call. `quiet` reports only warnings (for
    `--json`: scripts want the result, not progress chatter)."""
    if quiet:
        yield _warnings_only
    elif sys.stderr.isatty():
        with _bar(title) as callback:
            yield callback
    else:
        yield _PlainLines(title)


def _warnings_only(p: Progress) -> None:
    if p.stage == WARNING_STAGE:
        from tui_backup.cli._output import print_warnings

        print_warnings([p.message])


class _PlainLines:
    """`title: stage 40% (12.0 MB / 30.0 MB)` lines, at most one per tenth of progress."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.stage = ""
        self.step = -1
        self.lock = threading.Lock()

    def __call__(self, p: Progress) -> None:
        from tui_backup.tui.formatting import human_bytes

        if p.stage == WARNING_STAGE:
            _warnings_only(p)
            return
        step = -1 if p.fraction is None else int(p.fraction / PLAIN_STEP)
        with self.lock:
            if p.stage == self.stage and step == self.step:
                return
            self.stage, self.step = p.stage, step
            parts = [f"{self.title}: {p.stage}"]
            if p.fraction is not None:
                parts.append(f"{p.fraction:.0%}")
            if p.bytes_total:
                parts.append(f"({human_bytes(p.bytes_done)} / {human_bytes(p.bytes_total)})")
            if p.message:
                parts.append(f"— {p.message}")
            sys.stderr.write(" ".join(parts) + "\n")
            sys.stderr.flush()


@contextmanager
def _bar(title: str) -> Iterator[ProgressCallback]:
    from rich import progress as rp

    from tui_backup.cli._output import escape, stderr_console
    from tui_backup.tui.formatting import human_bytes

    columns = (
        rp.SpinnerColumn(),
        rp.TextColumn("{task.description}"),
        rp.BarColumn(),
        rp.TaskProgressColumn(),
        rp.TextColumn("{task.fields[detail]}"),
        rp.TimeElapsedColumn(),
    )
    with rp.Progress(*columns, console=stderr_console(), transient=True) as bar:
        task = bar.add_task(escape(title), total=None, detail="")

        def update(p: Progress) -> None:
            if p.stage == WARNING_STAGE:
                bar.console.print(f"[yellow]warning:[/] {escape(p.message)}")
                return
            label = f"{title}: {p.stage}" + (f" — {p.message}" if p.message else "")
            total: float | None = None if p.fraction is None else 1.0
            detail = f"{human_bytes(p.bytes_done)} / {human_bytes(p.bytes_total)}" if p.bytes_total else ""
            bar.update(task, description=escape(label), total=total, completed=p.fraction or 0.0, detail=detail)

        yield update
