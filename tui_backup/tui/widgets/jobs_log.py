"""A job's whole log in a scrollable modal screen (it keeps growing while the job runs)."""

from __future__ import annotations

import os

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Log

from tui_backup.catalog.jobs import JobRecord
from tui_backup.jobs.tail import LogTail
from tui_backup.tui.formatting import display_path, job_label

FULL_LOG_BYTES = 8 * 1024 * 1024  # beyond this, the start is left to `tui-backup jobs log`
FOLLOW_S = 0.5


class JobLogScreen(ModalScreen[None]):
    """Escape or q closes it; the arrows, PgUp/PgDn, Home and End scroll."""

    DEFAULT_CSS = """
    JobLogScreen {
        align: center middle;
    }
    JobLogScreen > #dialog {
        width: 100%;
        height: 100%;
        border: thick $primary;
        background: $surface;
    }
    JobLogScreen #log-title {
        width: 100%;
        padding: 0 1;
        text-style: bold;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    JobLogScreen #full-log {
        height: 1fr;
    }
    """

    BINDINGS = [Binding("escape,q", "close", "Close", id="job_log.close")]

    def __init__(self, job: JobRecord) -> None:
        super().__init__()
        self.job = job
        self._tail: LogTail | None = None

    def compose(self) -> ComposeResult:
        job = self.job
        with Vertical(id="dialog"):
            yield Label(
                f"Job {job.id} {job.kind} {job.target} · {job_label(job.status)} · "
                f"{display_path(job.log_path or '')}  (Esc closes)",
                id="log-title", markup=False,
            )
            yield Log(highlight=False, auto_scroll=False, id="full-log")

    def on_mount(self) -> None:
        log = self.query_one(Log)
        path = self.job.log_path or ""
        try:
            size = os.stat(path).st_size
        except OSError:
            log.write_line("(the log file is gone)")
            return
        start = max(0, size - FULL_LOG_BYTES)
        self._tail = LogTail(path, offset=start)
        lines = self._tail.read_bytes_lines(limit=FULL_LOG_BYTES)
        if start:
            lines = [f"(the first {start:,} bytes are not shown: `tui-backup jobs log {self.job.id}`)", *lines[1:]]
        log.write_lines(lines)
        log.focus()
        self.set_interval(FOLLOW_S, self._follow)

    def _follow(self) -> None:
        if self._tail is not None:
            lines = self._tail.read()
            if lines:
                self.query_one(Log).write_lines(lines)

    def action_close(self) -> None:
        self.dismiss(None)
