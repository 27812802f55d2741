"""The Jobs pane: the most recent jobs from the catalog (the live runner view comes later)."""

from __future__ import annotations

from datetime import datetime

from textual.widgets import DataTable

from tui_backup.catalog.jobs import JobRecord
from tui_backup.tui.formatting import human_duration, job_label, short_time


class JobsTable(DataTable[str]):
    DEFAULT_CSS = """
    JobsTable {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    # Fixed widths (see SnapshotTable): the result column takes what 80 columns leave.
    COLUMNS = (("#", "id", 4), ("Started", "started", 11), ("Kind", "kind", 8),
               ("Status", "status", 11), ("Took", "took", 8), ("Result", "result", 22))

    def on_mount(self) -> None:
        for label, key, width in self.COLUMNS:
            self.add_column(label, key=key, width=width)

    def show_jobs(self, jobs: list[JobRecord], now: datetime) -> None:
        self.clear()
        for job in jobs:
            took = "—" if job.duration_s is None else human_duration(job.duration_s)
            result = job.error or job.summary or job.target
            self.add_row(str(job.id), short_time(job.started_at, now), job.kind, job_label(job.status),
                         took, result or "", key=str(job.id))
