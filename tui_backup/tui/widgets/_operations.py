"""The operation plumbing the Destinations and Policies panes share.

One operation at a time per pane (`busy`), run in a thread worker of the pane's OP_GROUP;
the worker posts messages and never touches a widget. Jobs get the Jobs pane's live feed
as a subscriber, so the Jobs pane says how a job ended; the pane keeps a one-line activity
and status line (label + progress bar) and says only what never became a job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar, Generic, Protocol, TypeVar

from textual import on
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable, Label, ProgressBar
from textual.worker import Worker, WorkerState

from tui_backup.errors import TuiBackupError
from tui_backup.jobs.events import Event, Finished, Progress
from tui_backup.jobs.runner import Subscriber
from tui_backup.tui.detached import run_in_background
from tui_backup.tui.formatting import Clock, utc_clock
from tui_backup.tui.messages import OperationFailed, OperationProgress
from tui_backup.tui.progress import ProgressRelay
from tui_backup.tui.widgets.jobs import JobsPane

if TYPE_CHECKING:
    from tui_backup.service.background import ChildResult
    from tui_backup.service.profile import ProfileService

T = TypeVar("T")


class NamedRow(Protocol):
    @property
    def name(self) -> str: ...


RowT = TypeVar("RowT", bound=NamedRow)


class JobTracker:
    """A runner subscriber: relays progress to its pane and remembers the job's end."""

    def __init__(self, relay: ProgressRelay) -> None:
        self.relay = relay
        self.finished: Finished | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, Progress):
            self.relay(event)
        elif isinstance(event, Finished):
            self.finished = event


class OperationPane(Vertical, Generic[RowT]):
    """A pane of named rows (its table's row keys) and one operation at a time on them.

    A subclass names its worker group, its load action, its activity line's widgets and
    the warning for "no row selected", and fills in the hooks below (`table`, `_load`,
    `_summary`, `_job_failed`). It keeps its own DEFAULT_CSS, BINDINGS and messages; the
    handlers here (progress, failure, worker end) must not be defined again by it, as
    Textual calls a handler of every class in the MRO.
    """

    OP_GROUP: ClassVar[str]
    LOAD_ACTION: ClassVar[str]
    ACTIVITY_LABEL: ClassVar[str]  # selector of the activity line's Label
    PROGRESS_BAR: ClassVar[str]  # selector of its ProgressBar
    NO_ROW: ClassVar[str]  # said when a key needs a selected row and there is none

    busy: reactive[str | None] = reactive(None)
    """What the running operation is doing (None when idle)."""

    def __init__(self, service: ProfileService, *, clock: Clock = utc_clock, id: str | None = None) -> None:
        super().__init__(id=id)
        self.service = service
        self.clock = clock
        self.rows: list[RowT] = []
        self._last_result = ""
        self.last_progress: Progress | None = None

    # ---- hooks ----

    @property
    def table(self) -> DataTable[str]:
        """The table whose selected row key names the selected row."""
        raise NotImplementedError

    def _load(self) -> object:
        """Start loading the rows again (a worker)."""
        raise NotImplementedError

    def _summary(self) -> str:
        """The idle status line, after the last result."""
        raise NotImplementedError

    def _busy_host(self) -> Widget:
        """The widget that gets the -busy class (its CSS shows the progress bar)."""
        return self

    def _job_failed(self, action: str, message: str, finished: Finished) -> Message:
        """What to post when a job that ran failed: the Jobs pane already said it."""
        raise NotImplementedError

    # ---- helpers ----

    def _say(self, text: str, *, title: str = "", severity: SeverityLevel = "information",
             timeout: float | None = None) -> None:
        self.app.notify(text, title=title, severity=severity, timeout=timeout, markup=False)

    def _row(self, name: str | None) -> RowT | None:
        return next((r for r in self.rows if r.name == name), None)

    def _selected(self) -> RowT | None:
        row = self._row(selected_key(self.table))
        if row is None:
            self._say(self.NO_ROW, severity="warning")
        return row

    def _start(self, what: str) -> bool:
        """Claim the pane for one operation (False, said, if another one runs)."""
        if self.busy is not None:
            self._say(f"Wait: {self.busy.lower()} is still running.", severity="warning")
            return False
        self.last_progress = None
        self.busy = what
        return True

    def _subscribers(self, action: str) -> tuple[JobTracker, list[Subscriber]]:
        """Built on the UI thread (it queries the DOM): ours, and the Jobs pane's live feed."""
        tracker = JobTracker(ProgressRelay(lambda p: self.post_message(OperationProgress(action, p))))
        subs: list[Subscriber] = [tracker]
        panes = self.app.query(JobsPane)
        if panes:
            subs.append(panes.first().live_feed())
        return tracker, subs

    def _guarded(self, action: str, tracker: JobTracker | None, call: Callable[[], T]) -> T | None:
        """Run a service call in the worker thread; failures become OperationFailed messages,
        except those of a job that ran: the Jobs pane reported it (`_job_failed` updates us)."""
        try:
            return call()
        except TuiBackupError as exc:
            if tracker is not None and tracker.finished is not None and tracker.finished.job_id:
                self.post_message(self._job_failed(action, exc.message, tracker.finished))
            else:
                self.post_message(OperationFailed(action, exc.message, exc.hint))
        except Exception as exc:
            self.post_message(OperationFailed(action, f"{type(exc).__name__}: {exc}", "this is a bug: please report it"))
        return None

    def _background(self, action: str, args: Sequence[str]) -> ChildResult | None:
        """In a worker: run `tui-backup <args>` as a detached child, so its job outlives the
        app; its progress feeds our activity line and the Jobs pane follows its job (and says
        how it ended). A child that failed before its job started is reported here (None)."""
        relay = ProgressRelay(lambda p: self.post_message(OperationProgress(action, p)))
        try:
            result = run_in_background(self.app, self.service, args, relay)
        except TuiBackupError as exc:
            self.post_message(OperationFailed(action, exc.message, exc.hint))
            return None
        except OSError as exc:
            self.post_message(OperationFailed(action, f"could not start the job: {exc}", ""))
            return None
        relay.flush()
        if result is not None and not result.ok and not result.jobs:
            self.post_message(OperationFailed(action, *result.error()))
            return None
        return result  # None: the app is quitting and leaves the job running

    def _status_line(self) -> str:
        text = self._summary()
        return f"{self._last_result}  ·  {text}" if self._last_result else text

    def _show_status(self) -> None:
        """The status line, unless an operation's activity holds the line."""
        if self.busy is None:
            self.query_one(self.ACTIVITY_LABEL, Label).update(self._status_line())

    def watch_busy(self, busy: str | None) -> None:
        self._busy_host().set_class(busy is not None, "-busy")
        label = self.query_one(self.ACTIVITY_LABEL, Label)
        if busy is not None:
            self.query_one(self.PROGRESS_BAR, ProgressBar).update(total=None, progress=0)
            label.update(f"{busy}…")
        else:
            label.update(self._status_line())

    # ---- results (UI thread) ----

    @on(Worker.StateChanged)
    def _worker_done(self, event: Worker.StateChanged) -> None:
        if event.worker.group == self.OP_GROUP and event.state in (WorkerState.SUCCESS, WorkerState.ERROR,
                                                                   WorkerState.CANCELLED):
            self.busy = None

    def on_operation_progress(self, message: OperationProgress) -> None:
        message.stop()
        if self.busy is None:
            return
        p = self.last_progress = message.progress
        bar = self.query_one(self.PROGRESS_BAR, ProgressBar)
        if p.fraction is None:
            bar.update(total=None)
        else:
            bar.update(total=100, progress=round(100 * min(max(p.fraction, 0.0), 1.0), 1))
        self.query_one(self.ACTIVITY_LABEL, Label).update(f"{self.busy}: {p.message or p.current or p.stage}")

    def on_operation_failed(self, message: OperationFailed) -> None:
        message.stop()  # handled here, once
        self._last_result = f"✖ {message.action} failed"
        hint = f"\n{message.hint}" if message.hint else ""
        self._say(f"{message.message}{hint}", title=f"✖ {message.action} failed", severity="error", timeout=12)
        if message.action != self.LOAD_ACTION:
            self._load()


def selected_key(table: DataTable[str]) -> str | None:
    """The row key under the table's cursor (None when the table is empty)."""
    if table.row_count == 0:
        return None
    row = min(max(table.cursor_row, 0), table.row_count - 1)
    value = table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value
    return str(value) if value is not None else None
