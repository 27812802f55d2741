"""The Destinations pane: the profile's backup destinations, their restore points, and keys
to back up, restore, check and initialise.

Every service call blocks (copying, restic, rsync), so it runs in a thread worker that
posts the typed messages below and never touches a widget. Jobs get the Jobs pane's live
feed as a subscriber, so they show there live too — and that pane notifies when a job
ends; this pane only notifies about what never became a job (a volume the guard refused,
an unknown point), so nothing is said twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Label, ProgressBar

from tui_backup.destinations.base import RestorePoint
from tui_backup.errors import TuiBackupError
from tui_backup.jobs.events import Finished
from tui_backup.jobs.runner import Subscriber
from tui_backup.service.backup_restore import BackupRestorePlan
from tui_backup.tui.formatting import Clock, display_path, human_bytes, short_time, utc_clock
from tui_backup.tui.messages import DataChanged
from tui_backup.tui.screens import ConfirmScreen
from tui_backup.tui.screens.backup_screens import (
    BackupRestorePlanScreen,
    BackupTypeScreen,
    RestoreTargetScreen,
)
from tui_backup.tui.widgets._operations import JobTracker, OperationPane, selected_key

OP_GROUP = "destination-op"
LOAD_GROUP = "destination-load"
LOAD_ACTION = "list destinations"


@dataclass(frozen=True)
class DestinationRow:
    """One destination as the pane shows it (computed in the loader thread)."""

    name: str
    type: str
    where: str
    volume: str  # a VolumeState value, or "—" when the destination has no local volume
    points: list[RestorePoint] = field(default_factory=list)
    problem: str = ""  # why the points could not be listed


# ---- messages (posted from worker threads) ----


class DestinationsLoaded(Message):
    def __init__(self, rows: list[DestinationRow]) -> None:
        super().__init__()
        self.rows = rows


class JobDone(Message):
    """A job (backup, check, init, restore) ended; the Jobs pane already said how."""

    def __init__(self, action: str, finished: Finished) -> None:
        super().__init__()
        self.action = action
        self.finished = finished


class BackupRestorePlanned(Message):
    def __init__(self, plan: BackupRestorePlan, to: Path | None) -> None:
        super().__init__()
        self.plan = plan
        self.to = to


# ---- tables ----


class FixedColumnTable(DataTable[str]):
    """A row-cursor table with fixed column widths (see SnapshotTable for why not auto)
    that keeps the selected row across reloads."""

    COLUMNS: tuple[tuple[str, str, int], ...] = ()

    def __init__(self, *, clock: Clock = utc_clock, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.clock = clock

    def on_mount(self) -> None:
        for label, key, width in self.COLUMNS:
            self.add_column(label, key=key, width=width)

    def _reselect(self, keep: str | None, keys: set[str]) -> None:
        if keep is not None and keep in keys:
            self.move_cursor(row=self.get_row_index(keep))


class DestinationTable(FixedColumnTable):
    """One row per destination; the row key is its name."""

    DEFAULT_CSS = """
    DestinationTable {
        height: auto;
        max-height: 6;
    }
    """

    # Fixed widths for 80 columns.
    COLUMNS = (("Name", "name", 12), ("Type", "type", 6), ("Where", "where", 30), ("Volume", "volume", 9),
               ("Newest", "newest", 11))


    def show_rows(self, rows: list[DestinationRow]) -> None:
        keep = self.selected_name
        now = self.clock()
        self.clear()
        for r in rows:
            newest = short_time(r.points[0].created_at, now) if r.points else ("?" if r.problem else "none")
            self.add_row(r.name, r.type, escape(r.where), r.volume, newest, key=r.name)  # escape(): paths may hold "[...]"
        self._reselect(keep, {r.name for r in rows})

    @property
    def selected_name(self) -> str | None:
        return selected_key(self)


class RestorePointTable(FixedColumnTable):
    """The selected destination's restore points, newest first; the row key is the point id."""

    DEFAULT_CSS = """
    RestorePointTable {
        height: 1fr;
        min-height: 3;
    }
    """

    COLUMNS = (("Time", "time", 11), ("ID", "id", 30), ("Type", "type", 8), ("Size", "size", 8),
               ("Host", "host", 10))


    def show_points(self, points: list[RestorePoint]) -> None:
        keep = self.selected_id
        now = self.clock()
        self.clear()
        for p in points:
            size = human_bytes(p.size_bytes) if p.size_bytes is not None else "—"
            self.add_row(short_time(p.created_at, now), escape(p.id), escape(p.type), size, escape(p.host or ""), key=p.id)
        self._reselect(keep, {p.id for p in points})

    @property
    def selected_id(self) -> str | None:
        return selected_key(self)


# ---- the pane ----


class DestinationsPane(OperationPane[DestinationRow]):
    """Keyboard-first: b back up, r restore the selected point, k check, i init, Tab switches
    between the destinations and their restore points."""

    DEFAULT_CSS = """
    DestinationsPane {
        height: 1fr;
    }
    DestinationsPane > .section {
        height: 1;
        padding: 0 1;
        text-style: bold;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    DestinationsPane > #activity {
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    DestinationsPane > #activity > #dest-activity-label {
        width: 1fr;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    DestinationsPane > #activity > ProgressBar {
        width: auto;
        display: none;
    }
    DestinationsPane.-busy > #activity > ProgressBar {
        display: block;
    }
    DestinationsPane.-busy > #activity > #dest-activity-label {
        color: $job-running;
        text-style: bold;
    }
    """

    BINDINGS = [
        Binding("b", "backup", "Backup", id="backup.run"),
        Binding("r", "restore", "Restore", id="backup.restore"),
        Binding("k", "check", "Check", id="destination.check"),
        Binding("i", "init", "Init", show=False, id="destination.init"),
        Binding("x,delete", "remove_point", "Remove point", show=False, id="backup.remove"),
    ]

    OP_GROUP = OP_GROUP
    LOAD_ACTION = LOAD_ACTION
    ACTIVITY_LABEL = "#dest-activity-label"
    PROGRESS_BAR = "#dest-progress"
    NO_ROW = "No destination: add a [[destination]] block to the profile's config."
    # The command palette titles these bindings with the selection (tui/commands.py).
    SELECTION_BINDINGS: ClassVar[frozenset[str]] = frozenset({"backup.run", "backup.restore", "destination.check",
                                                             "destination.init"})

    def selection_label(self) -> str | None:
        name = selected_key(self.table)
        return f"destination {name}" if name else None

    def compose(self) -> ComposeResult:
        yield Label("Destinations", classes="section")
        yield DestinationTable(clock=self.clock, id="destination-table")
        yield Label("Restore points", id="points-title", classes="section", markup=False)
        yield RestorePointTable(clock=self.clock, id="point-table")
        with Horizontal(id="activity"):
            yield Label("Loading destinations…", id="dest-activity-label", markup=False)
            yield ProgressBar(total=100, show_eta=False, id="dest-progress")

    def on_mount(self) -> None:
        self.reload()

    # ---- helpers ----

    @property
    def table(self) -> DestinationTable:
        return self.query_one(DestinationTable)

    @property
    def point_table(self) -> RestorePointTable:
        return self.query_one(RestorePointTable)

    def focus_table(self) -> None:
        self.table.focus()

    def _summary(self) -> str:
        count = len(self.rows)
        return f"{count} destination{'s' if count != 1 else ''}" if count else "No destinations configured"

    def _job_failed(self, action: str, message: str, finished: Finished) -> Message:
        return JobDone(action, finished)

    # ---- workers ----

    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group=LOAD_GROUP, exit_on_error=False)
    def _load(self) -> None:
        dests = self._guarded(LOAD_ACTION, None, self.service.destinations)
        if dests is None:
            return
        rows: list[DestinationRow] = []
        for d in dests:
            volume = d.volume()
            state = str(self.service.guard.check(volume).state) if volume is not None else "—"
            points: list[RestorePoint] = []
            problem = ""
            # Only list a destination whose volume is there: listing a new one would mark it.
            if volume is None or state == "online":
                try:
                    points = self.service.list_restore_points(d.name)
                except TuiBackupError as exc:
                    problem = exc.message
            else:
                problem = f"volume {state}"
            # "local copies in ~/drive": paths under the home dir as ~ (as everywhere in the app)
            where = " ".join(display_path(word) for word in d.describe().split(" "))
            rows.append(DestinationRow(d.name, d.type, where, state, points, problem))
        self.post_message(DestinationsLoaded(rows))

    def _run_job(self, action: str, call: Callable[[list[Subscriber]], Finished]) -> None:
        self._job_worker(action, call, *self._subscribers(action))

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _job_worker(self, action: str, call: Callable[[list[Subscriber]], Finished], tracker: JobTracker,
                    subs: list[Subscriber]) -> None:
        finished = self._guarded(action, tracker, lambda: call(subs))
        tracker.relay.flush()
        if finished is not None:
            self.post_message(JobDone(action, finished))

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _background_worker(self, action: str, args: list[str]) -> None:
        result = self._background(action, args)
        if result is not None:
            self.post_message(JobDone(action, result.finished()))

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _plan(self, name: str, point: str, to: Path | None, tracker: JobTracker, subs: list[Subscriber]) -> None:
        plan = self._guarded("restore dry run", tracker,
                             lambda: self.service.plan_backup_restore(name, point, *subs, to=to))
        if plan is not None:
            self.post_message(BackupRestorePlanned(plan, to))

    # ---- actions ----

    def action_backup(self) -> None:
        row = self._selected()
        if row is None:
            return
        if self.busy is not None:
            self._say(f"Wait: {self.busy.lower()} is still running.", severity="warning")
            return

        def go(type_: str | None) -> None:
            if type_ is not None and self._start(f"Backing up ({type_}) to {row.name}"):
                # A detached child: the backup goes on if the app quits (tui/detached.py).
                self._background_worker("backup", ["backup", "run", f"--type={type_}", "--", row.name])

        self.app.push_screen(BackupTypeScreen(row.name), go)

    def action_check(self) -> None:
        row = self._selected()
        if row is not None and self._start(f"Checking {row.name}"):
            self._run_job("check", lambda subs: self.service.check_destination(row.name, *subs))

    def action_init(self) -> None:
        row = self._selected()
        if row is not None and self._start(f"Initialising {row.name}"):
            self._run_job("init", lambda subs: self.service.init_destination(row.name, *subs))

    def action_restore(self) -> None:
        row = self._selected()
        if row is None:
            return
        point = self.point_table.selected_id
        if point is None:
            self._say(f"{row.name} has no restore points: back up with b first.", severity="warning")
            return
        self.restore(row.name, point)

    def action_remove_point(self) -> None:
        # `tui-backup backup remove`: the selected restore point into the destination's trash (layer 1).
        row = self._selected()
        if row is None:
            return
        point = self.point_table.selected_id
        if point is None:
            self._say(f"{row.name} has no restore points to remove.", severity="warning")
            return
        name = row.name

        def removed(subs: list[Subscriber]) -> Finished:
            finished = self.service.remove_restore_points(name, [point], *subs).finished
            assert finished is not None  # the removal ran as a job
            return finished

        def go(yes: bool | None) -> None:
            if yes and self._start(f"Removing {point} from {name}"):
                self._run_job("remove", removed)

        self.app.push_screen(ConfirmScreen(
            "Move this restore point to the trash?",
            f"Restore point {point} of {name} goes into the destination's trash: it can be restored from the "
            f"Trash pane until its recovery window ends.", confirm_label="Remove"), go)

    def restore(self, destination: str, point: str) -> None:
        """The restore flow for one point: target, dry run, confirmation, restore (the
        Policies view uses it too)."""

        def go(target: Path | None | bool) -> None:
            if target is False or target is None:
                return
            to = target if isinstance(target, Path) else None
            if self._start(f"Dry run of restoring {point}"):
                self._plan(destination, point, to, *self._subscribers("restore dry run"))

        self.app.push_screen(RestoreTargetScreen(destination, point), go)

    # ---- results (UI thread) ----

    def on_destinations_loaded(self, message: DestinationsLoaded) -> None:
        self.rows = message.rows
        self.table.show_rows(message.rows)
        self._show_points()
        self._show_status()

    @on(DataTable.RowHighlighted, "DestinationTable")
    def _destination_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_points()

    @on(DataTable.RowHighlighted, "RestorePointTable")
    def _point_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()

    def _show_points(self) -> None:
        row = self._row(self.table.selected_name)
        title = self.query_one("#points-title", Label)
        if row is None:
            empty = f"No destinations: add a [[destination]] block to {display_path(self.service.config.file)}"
            title.update("Restore points" if self.rows else empty)
            self.point_table.show_points([])
            return
        points = [p for p in row.points if p.complete]
        extra = f" — {row.problem}" if row.problem else ""
        title.update(f"Restore points at {row.name}: {len(points)}{extra}")
        self.point_table.show_points(points)

    def on_job_done(self, message: JobDone) -> None:
        f = message.finished
        mark = "✔" if f.ok else "✖"
        self._last_result = f"{mark} {message.action} {f.status}"
        if message.action == "restore" and f.ok:  # a restore run in the background (see restore)
            self._last_result = f"✔ restored: {f.summary or f.status}"
        if not f.job_id:  # never reached the Jobs pane: say it here
            text = f.error_message or f.summary or f.status
            self._say(f"{text}\n{f.hint}" if f.hint else text, title=f"{mark} {message.action} {f.status}",
                      severity="information" if f.ok else "error")
        self.reload()
        self.post_message(DataChanged())

    def on_backup_restore_planned(self, message: BackupRestorePlanned) -> None:
        plan, to = message.plan, message.to

        def confirmed(yes: bool | None) -> None:
            if yes and self._start(f"Restoring {plan.point}"):
                # A detached child, like a backup: the restore goes on if the app quits.
                where = [f"--to={to}"] if to is not None else []
                self._background_worker("restore", ["backup", "restore", "--yes", *where, "--", plan.destination,
                                                    plan.point])

        def proceed(go_on: bool | None) -> None:
            if not go_on:
                return
            where = "over the live data (in place; a safety snapshot and copies are kept)" if plan.in_place \
                else f"into {plan.target}"
            body = (f"Restore point {plan.point} from {plan.destination} will be restored {where}: "
                    f"{len(plan.added)} added, {len(plan.overwritten)} overwritten, {len(plan.deleted)} deleted"
                    f"{', and the database' if plan.database else ''}.")
            self.app.push_screen(ConfirmScreen("Restore this backup?", body, confirm_label="Restore"), confirmed)

        self.app.push_screen(BackupRestorePlanScreen(plan), proceed)
