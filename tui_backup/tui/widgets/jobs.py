"""The Jobs pane: the most recent jobs from the catalog (the live runner view comes later)."""

from __future__ import annotations

from textual.widgets import DataTable

from tui_backup.catalog.jobs import JobRecord
from tui_backup.tui.formatting import human_duration, job_label, local_time


class JobsTable(DataTable[str]):
    DEFAULT_CSS = """
    JobsTable {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.add_column("#", key="id")
        self.add_column("Started", key="started")
        self.add_column("Kind", key="kind")
        self.add_column("Status", key="status")
        self.add_column("Took", key="took")
        self.add_column("Result", key="result")

    def show_jobs(self, jobs: list[JobRecord]) -> None:
        self.clear()
        for job in jobs:
            took = "—" if job.duration_s is None else ("<1 s" if job.duration_s < 1 else human_duration(job.duration_s))
            result = job.error or job.summary or job.target
            self.add_row(str(job.id), local_time(job.started_at), job.kind, job_label(job.status),
                         took, (result or "")[:60], key=str(job.id))
