"""The Jobs pane: running and recent jobs, and the selected one's progress and live log.

Jobs of any process show up here (cron, the CLI, the daemon, this app): the pane polls the
catalog twice a second on the UI thread (one small indexed read of the profile's local
SQLite file), reads the selected job's new log bytes four times a second and hands them to
the tail view in one batch, and reads the progress another process publishes beside the
log (tui_backup.jobs.control). Jobs this app runs feed their live events in through
`JobsPane.live_feed()`. Everything on screen is redrawn at most four times a second, and
only what changed: table cells, one-line labels without a layout pass, the fixed-size tail
(benchmarks/tui.py measures it through a real pty while a job streams 5,000 lines/s).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.coordinate import Coordinate
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.widgets import DataTable, Label, ProgressBar

from tui_backup.catalog.jobs import JobRecord
from tui_backup.errors import TuiBackupError
from tui_backup.jobs.events import Event, Finished, Progress, Started
from tui_backup.jobs.tail import LogTail
from tui_backup.service.profile import ProfileService
from tui_backup.tui.formatting import (
    Clock,
    human_bytes,
    human_duration,
    job_label,
    job_short_label,
    short_time,
    utc_clock,
)
from tui_backup.tui.messages import OperationFailed
from tui_backup.tui.panes import shown
from tui_backup.tui.screens import ConfirmScreen
from tui_backup.tui.widgets.job_lines import JobBar, LineLabel
from tui_backup.tui.widgets.jobs_log import JobLogScreen
from tui_backup.tui.widgets.log_tail import LogTailView

CATALOG_POLL_S = 0.5  # jobs of other processes appear within a second
TAIL_POLL_S = 0.25  # the log tail and the figures: at most 4 redraws a second
RECENT_JOBS = 100
# Lines the tail keeps: more than any terminal shows (it does not scroll: the full log is
# one key away); reading them when a job is selected is then a small read.
LOG_LINES = 150
# Bytes read from the end of a log when a job is selected, or when it grew by more than this
# since the last poll (a stream of 5,000 lines/s adds ~60 KB per poll): 150 lines of ~100
# bytes. Decoding and splitting more on the UI thread only delays the next key.
TAIL_WINDOW = 16 * 1024
RUNNING = "running"
SEVERITY: dict[str, SeverityLevel] = {"failed": "error", "cancelled": "warning", "succeeded-with-warnings": "warning"}


class JobsTable(DataTable[str]):
    """One row per job, newest first; the row key is the job id."""

    DEFAULT_CSS = """
    JobsTable {
        height: 1fr;
        min-height: 4;
    }
    """

    def __init__(self, *, id: str | None = None, on_cursor: Callable[[int | None], None] | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._on_cursor = on_cursor

    def watch_cursor_coordinate(self, old_coordinate: Coordinate, new_coordinate: Coordinate) -> None:
        """Tell the pane at once, before the table repaints its cursor.

        Why: through the RowHighlighted message the selected job's details were marked for
        repainting only after the cursor's frame had started, so they showed a frame later
        (~17 ms more between key press and the updated screen).
        """
        if old_coordinate != new_coordinate and self._on_cursor is not None and 0 <= new_coordinate.row < self.row_count:
            value = self.coordinate_to_cell_key(Coordinate(new_coordinate.row, 0)).row_key.value
            self._on_cursor(int(value) if value is not None else None)
        super().watch_cursor_coordinate(old_coordinate, new_coordinate)

    # Fixed widths (see SnapshotTable): the result column takes what 80 columns leave.
    COLUMNS = (("#", "id", 4), ("Started", "started", 11), ("Kind", "kind", 8),
               ("Status", "status", 11), ("Took", "took", 8), ("Result", "result", 22))

    def on_mount(self) -> None:
        for label, key, width in self.COLUMNS:
            self.add_column(label, key=key, width=width)

    def show_jobs(self, jobs: Sequence[JobRecord], now: datetime) -> None:
        """Show these rows, keeping the selected job (or the top row, to follow new jobs).

        The same jobs in the same order (a status or figure changed): only the changed cells
        are updated. Why: clearing and re-adding every row repaints the whole table and
        costs milliseconds per poll while a job runs.
        """
        rows = [(str(job.id), self._cells(job, now)) for job in jobs]
        if [key for key, _ in rows] == [key.value for key in self.rows]:
            for key, cells in rows:
                for (_, column, _), value, old in zip(self.COLUMNS, cells, self.get_row(key), strict=True):
                    if value != old:
                        self.update_cell(key, column, value)
            return
        keep = None if self.cursor_row <= 0 else self.selected_id
        self.clear()
        for key, cells in rows:
            self.add_row(*cells, key=key)
        if keep is not None and any(j.id == keep for j in jobs):
            self.move_cursor(row=self.get_row_index(str(keep)))

    @staticmethod
    def _cells(job: JobRecord, now: datetime) -> tuple[str, ...]:
        took = "…" if job.status == RUNNING else "—" if job.duration_s is None else human_duration(job.duration_s)
        result = job.error or job.summary or job.target
        # escape(): DataTable reads str cells as markup; messages and targets hold paths ("[...]").
        return (str(job.id), short_time(job.started_at, now), job.kind, job_short_label(job.status), took,
                escape(result or ""))

    @property
    def selected_id(self) -> int | None:
        if self.row_count == 0:
            return None
        row = min(max(self.cursor_row, 0), self.row_count - 1)
        value = self.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value
        return int(value) if value is not None else None


class JobEvents(Message):
    """Live events of a job this app runs (posted from the job's thread)."""

    def __init__(self, job_id: int, events: list[Event]) -> None:
        super().__init__()
        self.job_id = job_id
        self.events = events

    def can_replace(self, message: Message) -> bool:
        # A queued batch of only progress is superseded by the job's next batch that has
        # progress too (the newest figures win); Started/Finished are never dropped.
        return (
            isinstance(message, JobEvents)
            and message.job_id == self.job_id
            and all(isinstance(ev, Progress) for ev in self.events)
            and any(isinstance(ev, Progress) for ev in message.events)
        )


class LiveFeed:
    """A runner subscriber (plain or `batch=True`) that passes a job's events to the pane.

    Log lines are left out: the pane reads them from the job's log file, like any job's.
    """

    def __init__(self, pane: JobsPane) -> None:
        self._pane = pane
        self.job_id = 0

    def __call__(self, events: Event | list[Event]) -> None:
        batch = events if isinstance(events, list) else [events]
        kept: list[Event] = []
        for ev in batch:
            if isinstance(ev, Started):
                self.job_id = ev.job_id
            if isinstance(ev, (Started, Progress, Finished)):
                kept.append(ev)
        if kept and self.job_id:
            self._pane.post_message(JobEvents(self.job_id, kept))


def progress_figures(p: Progress) -> str:
    """`45% · 1.2 GB / 2.7 GB · 12 MB/s · ETA 2 min · 120/300 files`."""
    parts = [f"{p.fraction * 100:.0f}%" if p.fraction is not None else p.stage]
    if p.bytes_total:
        parts.append(f"{human_bytes(p.bytes_done)} / {human_bytes(p.bytes_total)}")
    elif p.bytes_done:
        parts.append(human_bytes(p.bytes_done))
    if p.rate:
        parts.append(f"{human_bytes(int(p.rate))}/s")
    if p.eta_s is not None:
        parts.append(f"ETA {human_duration(p.eta_s)}")
    if p.files_total:
        parts.append(f"{p.files_done or 0}/{p.files_total} files")
    return " · ".join(parts)


class JobsPane(Vertical):
    """Keyboard-first: ↑↓ select, c cancel the selected job, l (or Enter) its full log."""

    DEFAULT_CSS = """
    JobsPane {
        height: 1fr;
    }
    JobsPane > JobsTable {
        height: 7;
    }
    JobsPane > #job-title, JobsPane > #job-current {
        width: 100%;
        height: 1;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    JobsPane > #job-title {
        background: $panel;
        text-style: bold;
    }
    JobsPane > #job-current {
        color: $text-muted;
    }
    JobsPane > #job-progress {
        height: 1;
        padding: 0 1;
    }
    JobsPane > #job-progress > ProgressBar {
        width: auto;
    }
    JobsPane > #job-progress > ProgressBar > Bar {
        width: 20;
    }
    JobsPane > #job-progress > #job-figures {
        width: 1fr;
        padding-left: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    JobsPane > #job-log {
        height: 1fr;
        min-height: 3;
        border-top: hkey $panel;
        overflow-x: hidden;  /* long lines: the full log (l) scrolls sideways */
    }
    """

    BINDINGS = [
        Binding("c", "cancel_job", "Cancel job", id="jobs.cancel"),
        Binding("l", "open_log", "Full log", id="jobs.log"),
    ]

    # The command palette titles these bindings with the selection (tui/commands.py).
    SELECTION_BINDINGS: ClassVar[frozenset[str]] = frozenset({"jobs.cancel", "jobs.log"})

    def selection_label(self) -> str | None:
        job_id = self.table.selected_id
        return f"job {job_id}" if job_id is not None else None

    def __init__(self, service: ProfileService, *, clock: Clock = utc_clock, id: str | None = None) -> None:
        super().__init__(id=id)
        self.service = service
        self.clock = clock
        self.jobs: dict[int, JobRecord] = {}
        self._order: list[JobRecord] = []
        self._loaded = False  # no notifications for what had ended before the app started
        self._max_seen = 0
        self._notified: set[int] = set()
        self._live: dict[int, Progress] = {}  # newest progress of this app's jobs
        self._shown: int | None = None  # the job whose detail and log are on screen
        self._tail: LogTail | None = None
        self._texts: dict[str, tuple[str, str]] = {}  # what the one-line labels show

    def compose(self) -> ComposeResult:
        yield JobsTable(id="jobs-table", on_cursor=self._select)
        # One-line widgets drawn straight to a Strip (job_lines.py): a key press repaints them all.
        yield LineLabel("No jobs yet.", id="job-title", markup=False)
        with Horizontal(id="job-progress"):
            yield JobBar(total=100, show_eta=False, show_percentage=False, id="job-bar")
            yield LineLabel("", id="job-figures", markup=False)
        yield LineLabel("", id="job-current", markup=False)
        # Not focusable: keys stay with the table (l opens the full, scrollable log).
        yield LogTailView(max_lines=LOG_LINES, id="job-log")

    def on_mount(self) -> None:
        self.set_interval(CATALOG_POLL_S, self._while_shown(self.poll_catalog))
        self.set_interval(TAIL_POLL_S, self._while_shown(self.poll_selected))
        self.poll_catalog()

    def _while_shown(self, poll: Callable[[], None]) -> Callable[[], None]:
        """Periodic work only while the pane is shown (the app polls it when shown again)."""
        return lambda: poll() if shown(self) else None

    # ---- public ----

    @property
    def table(self) -> JobsTable:
        return self.query_one(JobsTable)

    def focus_table(self) -> None:
        self.table.focus()

    def live_feed(self) -> LiveFeed:
        """A subscriber for a job this app runs: `run_job_sync(runner, spec, pane.live_feed())`."""
        return LiveFeed(self)

    def show_jobs(self, jobs: Sequence[JobRecord], now: datetime | None = None) -> None:
        """New catalog rows (from the poll, or the app's status refresh)."""
        order = list(jobs)
        if order == self._order and self._loaded:  # (an empty first read still counts as loaded)
            return
        previous = self.jobs
        self._order = order
        self.jobs = {j.id: j for j in order}
        if self._loaded:
            for job in order:
                before = previous.get(job.id)
                ended = job.status != RUNNING and (
                    (before is not None and before.status == RUNNING) or (before is None and job.id > self._max_seen)
                )
                # Jobs of this app report their own end (their pane, or the live feed here).
                if ended and job.pid != os.getpid():
                    self._notify_end(job)
        self._loaded = True
        self._max_seen = max([self._max_seen, *self.jobs])
        self.table.show_jobs(order, now or self.clock())
        self._select(self.table.selected_id)

    def poll_catalog(self) -> None:
        try:
            jobs = self.service.list_jobs(RECENT_JOBS)
        except TuiBackupError:
            return  # the app's status refresh reports a catalog it cannot read
        self.show_jobs(jobs)

    def poll_selected(self) -> None:
        """New log lines of the selected job, in one batch, and its figures."""
        if self._tail is not None:
            lines = self._read_tail(self._tail)
            if lines:
                self.query_one(LogTailView).write_lines(lines)
        job = self.jobs.get(self._shown) if self._shown is not None else None
        if job is not None and job.status == RUNNING:
            self._show_progress(job)

    def _read_tail(self, tail: LogTail) -> list[str]:
        """The selected job's new lines; after a burst, only its last lines.

        Why: the tail shows at most LOG_LINES lines, so decoding and splitting a megabyte
        that piled up (a burst, a stalled UI) on the UI thread would only delay the next key.
        """
        try:
            behind = os.stat(tail.path).st_size - tail.offset
        except OSError:
            return []
        if behind <= TAIL_WINDOW:
            return tail.read()
        self._tail, lines = LogTail.last_lines(tail.path, LOG_LINES, window=TAIL_WINDOW)
        return lines

    # ---- the selected job ----

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        value = event.row_key.value
        job_id = int(value) if value is not None else None
        if job_id != self._shown:  # the table's cursor watcher has shown it already (same key)
            self._select(job_id)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_log()

    def _select(self, job_id: int | None) -> None:
        job = self.jobs.get(job_id) if job_id is not None else None
        if job_id != self._shown:
            self._shown = job_id
            log = self.query_one(LogTailView)
            log.clear()
            self._tail = None
            if job is not None and job.log_path:
                self._tail, lines = LogTail.last_lines(job.log_path, LOG_LINES, window=TAIL_WINDOW)
                log.write_lines(lines)
        self._show_detail(job)

    def _show_detail(self, job: JobRecord | None) -> None:
        if job is None:
            self._set_text("#job-title", "No jobs yet: backups, snapshots and restores appear here." if not self.jobs else "")
            self._set_text("#job-figures", "")
            self._set_text("#job-current", "")
            return
        by = f"{job.interface or '?'} pid {job.pid}" if job.pid else job.interface or ""
        title = f"#{job.id} {job.kind} {job.target} · {job_label(job.status)} · {by}"
        # The running colour inside the text, not a CSS class: toggling a class restyles the
        # widget (milliseconds at every selection change).
        self._set_text("#job-title", title, "$job-running" if job.status == RUNNING else "")
        if job.status == RUNNING:
            self._show_progress(job)
            return
        ok = job.status in ("succeeded", "succeeded-with-warnings")
        self._set_bar(100 if ok else 0)
        took = "" if job.duration_s is None else f" in {human_duration(job.duration_s)}"
        self._set_text("#job-figures", f"{human_bytes(job.bytes)}{took}")
        self._set_text("#job-current", job.error or job.summary or "")

    def _show_progress(self, job: JobRecord) -> None:
        p = self._live.get(job.id) or self.service.job_progress(job)
        if p is None:
            self._set_bar(0)
            self._set_text("#job-figures", "starting…")
            self._set_text("#job-current", "")
            return
        fraction = min(max(p.fraction, 0.0), 1.0) if p.fraction is not None else 0.0
        self._set_bar(round(fraction * 100, 1))
        self._set_text("#job-figures", progress_figures(p))
        self._set_text("#job-current", p.current or p.message)

    def _set_text(self, selector: str, text: str, style: str = "") -> None:
        """Update a one-line label only when its text changed, without a layout pass.

        Why: `Label.update` re-lays out the whole screen by default (tens of ms at 80x24);
        these labels have a fixed size, so repainting the one line is enough.
        """
        if self._texts.get(selector) != (text, style):
            self._texts[selector] = (text, style)
            content = Content.from_markup(f"[{style}]$text", text=text) if style else Content(text)
            self.query_one(selector, Label).update(content, layout=False)

    def _set_bar(self, percent: float) -> None:
        bar = self.query_one(ProgressBar)
        if bar.progress != percent:
            bar.progress = percent  # (the total is 100 from the start: one reactive, not two)

    # ---- live events of this app's jobs ----

    def on_job_events(self, message: JobEvents) -> None:
        message.stop()
        for ev in message.events:
            if isinstance(ev, Progress):
                self._live[message.job_id] = ev  # drawn by the next tick
            elif isinstance(ev, Started):
                self.poll_catalog()
            elif isinstance(ev, Finished):
                self._live.pop(message.job_id, None)
                self._notify_finished(ev)
                self.poll_catalog()

    # ---- notifications ----

    def _notify_end(self, job: JobRecord) -> None:
        from tui_backup.tui.detached import is_inner_job

        if job.id in self._notified:
            return
        self._notified.add(job.id)
        if is_inner_job(self.app, job):  # a background backup's snapshot: the backup's end is said
            return
        text = job.error or job.summary or job.target
        self._toast(job.id, job.kind, job.target, job.status, text)

    def _notify_finished(self, ev: Finished) -> None:
        if ev.job_id in self._notified:
            return
        self._notified.add(ev.job_id)
        job = self.jobs.get(ev.job_id)
        text = ev.error_message or ev.summary or ""
        if ev.hint and not ev.ok:
            text += f"\n{ev.hint}"
        self._toast(ev.job_id, job.kind if job else "job", job.target if job else "", ev.status, text)

    def _toast(self, job_id: int, kind: str, target: str, status: str, text: str) -> None:
        severity = SEVERITY.get(status, "information")
        self.app.notify(text, title=f"{job_label(status)}: job {job_id} {kind} {target}".rstrip(),
                        severity=severity, timeout=12 if severity == "error" else 6, markup=False)

    # ---- actions ----

    def _selected_job(self) -> JobRecord | None:
        job_id = self.table.selected_id
        job = self.jobs.get(job_id) if job_id is not None else None
        if job is None:
            self.app.notify("No job selected.", severity="warning", markup=False)
        return job

    def action_cancel_job(self) -> None:
        job = self._selected_job()
        if job is None:
            return
        if job.status != RUNNING:
            self.app.notify(f"Job {job.id} is not running (it {job.status}).", severity="warning", markup=False)
            return

        def go(yes: bool | None) -> None:
            if yes:
                self._cancel(job.id)

        self.app.push_screen(
            ConfirmScreen(
                f"Cancel job {job.id}?",
                f"{job.kind} {job.target}, run by {job.interface or '?'} (pid {job.pid}).\n"
                "Its tool is stopped gracefully (interrupt, then terminate); a cancelled backup "
                "leaves no restore point that looks complete.",
                confirm_label="Cancel job",
            ),
            go,
        )

    @work(thread=True, group="jobs-cancel", exit_on_error=False)
    def _cancel(self, job_id: int) -> None:
        try:
            self.service.cancel_job(job_id)
        except TuiBackupError as exc:
            self.post_message(OperationFailed("cancel job", exc.message, exc.hint))
            return
        self.app.call_from_thread(
            self.app.notify, f"Cancel requested for job {job_id}.", severity="information", markup=False
        )

    def on_operation_failed(self, message: OperationFailed) -> None:
        message.stop()
        hint = f"\n{message.hint}" if message.hint else ""
        self.app.notify(f"{message.message}{hint}", title=f"✖ {message.action} failed", severity="error",
                        timeout=12, markup=False)

    def action_open_log(self) -> None:
        job = self._selected_job()
        if job is None:
            return
        if not job.log_path:
            self.app.notify(f"Job {job.id} has no log file.", severity="warning", markup=False)
            return
        self.app.push_screen(JobLogScreen(job))


__all__ = ["JobEvents", "JobsPane", "JobsTable", "LiveFeed", "progress_figures"]
