"""The Snapshots pane: list, create, verify, delete and restore database snapshots.

Every service call runs in a thread worker (they block: copying, hashing, compressing);
workers post typed messages back and never touch a widget. One operation runs at a time;
the list reloads in its own exclusive worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.widgets import DataTable, Label, ProgressBar
from textual.worker import Worker, WorkerState

from tui_backup.catalog.snapshots import SnapshotRecord
from tui_backup.errors import TuiBackupError
from tui_backup.jobs.events import Progress
from tui_backup.service.profile import ProfileService
from tui_backup.service.restore import RestorePlan
from tui_backup.tui.formatting import (
    Clock,
    age,
    display_path,
    full_time,
    human_bytes,
    human_duration,
    local_time,
    rows_label,
    short_time,
    utc_clock,
    verify_label,
)
from tui_backup.tui.messages import (
    DataChanged,
    OperationFailed,
    OperationProgress,
    RestoreFinished,
    RestorePlanned,
    SnapshotCreated,
    SnapshotDeleted,
    SnapshotsLoaded,
    SnapshotsVerified,
)
from tui_backup.tui.progress import ProgressRelay
from tui_backup.tui.screens import ConfirmScreen, RestorePlanScreen, SnapshotNoteScreen

T = TypeVar("T")

OP_GROUP = "snapshot-op"
LOAD_GROUP = "snapshot-load"
LOAD_ACTION = "list snapshots"
KIND_LABELS = {"scheduled": "sched."}  # fits the 6-column Kind


class SnapshotTable(DataTable[str]):
    """One row per snapshot, newest first; the row key is the snapshot id."""

    DEFAULT_CSS = """
    SnapshotTable {
        height: 1fr;
    }
    """

    def __init__(self, *, clock: Clock = utc_clock, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.clock = clock

    # Fixed widths, designed for 80 columns: they also keep the rendering right (DataTable
    # caches rendered rows, and auto widths computed after a first render left rows drawn
    # with the old, narrower widths in a real terminal).
    COLUMNS = (("Time", "time", 11), ("ID", "id", 20), ("Kind", "kind", 6), ("Size", "size", 7),
               ("Tables/rows", "rows", 11), ("Verified", "verified", 9))

    def on_mount(self) -> None:
        for label, key, width in self.COLUMNS:
            self.add_column(label, key=key, width=width)

    def show_snapshots(self, snapshots: list[SnapshotRecord], select: str | None = None) -> None:
        keep = select if select is not None else self.selected_id
        now = self.clock()
        self.clear()
        for snap in snapshots:
            self.add_row(
                short_time(snap.created_at, now),
                snap.id,
                KIND_LABELS.get(snap.kind, snap.kind),
                human_bytes(snap.size_bytes),
                rows_label(len(snap.tables), snap.row_count),
                verify_label(snap.verify_status),
                key=snap.id,
            )
        if keep is not None and keep in {s.id for s in snapshots}:
            self.move_cursor(row=self.get_row_index(keep))

    @property
    def selected_id(self) -> str | None:
        if self.row_count == 0:
            return None
        row = min(max(self.cursor_row, 0), self.row_count - 1)
        value = self.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value
        return str(value) if value is not None else None


class SnapshotsPane(Vertical):
    """Keyboard-first: c create, v verify, V verify all, d delete, r restore."""

    DEFAULT_CSS = """
    SnapshotsPane {
        height: 1fr;
    }
    SnapshotsPane > #detail {
        height: 1;
        padding: 0 1;
        color: $text-muted;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    SnapshotsPane > #activity {
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    SnapshotsPane > #activity > #activity-label {
        width: 1fr;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    SnapshotsPane > #activity > ProgressBar {
        width: auto;
        display: none;
    }
    SnapshotsPane.-busy > #activity > ProgressBar {
        display: block;
    }
    SnapshotsPane.-busy > #activity > #activity-label {
        color: $job-running;
        text-style: bold;
    }
    """

    BINDINGS = [
        Binding("c", "create", "Create", id="snapshot.create"),
        Binding("v", "verify", "Verify", id="snapshot.verify"),
        Binding("V", "verify_all", "Verify all", show=False, id="snapshot.verify_all"),
        Binding("d,delete", "delete", "Delete", id="snapshot.delete"),
        Binding("r", "restore", "Restore", id="snapshot.restore"),
        Binding("D", "diff", "Diff", show=False, id="snapshot.diff"),
        Binding("p", "prune", "Prune…", show=False, id="snapshot.prune"),
        # 80 columns hold only so many keys: the Dashboard's e (in the footer) exports snapshots too.
        Binding("e", "export", "Export", id="snapshot.export", show=False),
    ]

    # The command palette titles these bindings with the selection (tui/commands.py).
    SELECTION_BINDINGS: ClassVar[frozenset[str]] = frozenset({"snapshot.verify", "snapshot.delete", "snapshot.restore",
                                                             "snapshot.diff"})

    def selection_label(self) -> str | None:
        sid = self.table.selected_id
        return f"snapshot {sid}" if sid else None

    busy: reactive[str | None] = reactive(None)
    """What the running operation is doing, e.g. "Creating a snapshot" (None when idle)."""

    def __init__(self, service: ProfileService, *, clock: Clock = utc_clock, id: str | None = None) -> None:
        super().__init__(id=id)
        self.service = service
        self.clock = clock
        self.snapshots: list[SnapshotRecord] = []
        self._select_after_load: str | None = None
        self._last_result = ""
        self.last_progress: Progress | None = None  # of the running (or last) operation

    def compose(self) -> ComposeResult:
        yield SnapshotTable(clock=self.clock, id="snapshot-table")
        yield Label("", id="detail", markup=False)
        with Horizontal(id="activity"):
            yield Label("Loading snapshots…", id="activity-label", markup=False)
            yield ProgressBar(total=100, show_eta=False, id="progress")

    def on_mount(self) -> None:
        self.reload()

    # ---- helpers ----

    @property
    def table(self) -> SnapshotTable:
        return self.query_one(SnapshotTable)

    def _selected(self) -> SnapshotRecord | None:
        sid = self.table.selected_id
        for snap in self.snapshots:
            if snap.id == sid:
                return snap
        self._say("No snapshot selected: take one with c.", severity="warning")
        return None

    def _say(self, text: str, *, title: str = "", severity: SeverityLevel = "information", timeout: float | None = None) -> None:
        # markup=False: ids, notes, paths and error text are shown as they are.
        self.app.notify(text, title=title, severity=severity, timeout=timeout, markup=False)

    def _refuse_if_busy(self) -> bool:
        """One operation at a time: say what is running and refuse another."""
        if self.busy is not None:
            self._say(f"Wait: {self.busy.lower()} is still running.", severity="warning")
            return True
        return False

    def _start(self, what: str) -> bool:
        """Claim the pane for one operation (False if another one got there first)."""
        if self._refuse_if_busy():
            return False
        self.last_progress = None
        self.busy = what
        return True

    def _guarded(self, action: str, call: Callable[[], T]) -> T | None:
        """Run a service call in the worker thread; failures become OperationFailed messages."""
        try:
            return call()
        except TuiBackupError as exc:
            self.post_message(OperationFailed(action, exc.message, exc.hint))
        except NotImplementedError:
            self.post_message(OperationFailed(action, f"{action}: not available yet", "the snapshot engine is still being built"))
        except Exception as exc:
            self.post_message(OperationFailed(action, f"{type(exc).__name__}: {exc}", "this is a bug: please report it"))
        return None

    def _relay(self, action: str) -> ProgressRelay:
        return ProgressRelay(lambda p: self.post_message(OperationProgress(action, p)))

    def _status_line(self) -> str:
        if not self.snapshots:
            return "No snapshots yet — press c to take one."
        newest = self.snapshots[0]
        count = len(self.snapshots)
        text = f"{count} snapshot{'s' if count != 1 else ''} · newest {age(newest.created_at, self.clock())}"
        return f"{self._last_result}  ·  {text}" if self._last_result else text

    def watch_busy(self, busy: str | None) -> None:
        self.set_class(busy is not None, "-busy")
        label = self.query_one("#activity-label", Label)
        if busy is not None:
            self.query_one(ProgressBar).update(total=None, progress=0)
            label.update(f"{busy}…")
        else:
            label.update(self._status_line())

    # ---- workers (thread: every service call blocks) ----

    def reload(self, select: str | None = None) -> None:
        self._select_after_load = select
        self._load()

    @work(thread=True, exclusive=True, group=LOAD_GROUP, exit_on_error=False)
    def _load(self) -> None:
        snapshots = self._guarded(LOAD_ACTION, self.service.list_snapshots)
        if snapshots is not None:
            self.post_message(SnapshotsLoaded(snapshots))

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _create(self, note: str) -> None:
        # A detached `tui-backup snapshot create`: it goes on if the app quits (tui/detached.py);
        # the Jobs pane follows its job.
        from tui_backup.tui.detached import run_in_background

        relay = self._relay("create")
        before = self._guarded(LOAD_ACTION, lambda: {s.id for s in self.service.list_snapshots()})
        if before is None:
            return
        try:
            result = run_in_background(self.app, self.service, ["snapshot", "create", f"--note={note}"], relay)
        except TuiBackupError as exc:
            self.post_message(OperationFailed("create snapshot", exc.message, exc.hint))
            return
        except OSError as exc:
            self.post_message(OperationFailed("create snapshot", f"could not start the job: {exc}", ""))
            return
        relay.flush()
        if result is None:  # the app is quitting: the snapshot goes on
            return
        new = [s for s in self.service.list_snapshots() if s.id not in before]
        if result.ok and new:
            self.post_message(SnapshotCreated(new[0]))
        elif not result.jobs:
            self.post_message(OperationFailed("create snapshot", *result.error()))
        else:  # its job failed: the Jobs pane said so
            self.app.call_from_thread(self.reload)
            self.post_message(DataChanged())

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _verify(self, snapshot_id: str | None) -> None:
        relay = self._relay("verify")
        if snapshot_id is None:
            results = self._guarded("verify snapshots", lambda: self.service.verify_all_snapshots(progress=relay))
        else:
            one = self._guarded("verify snapshot", lambda: self.service.verify_snapshot(snapshot_id, progress=relay))
            results = None if one is None else [one]
        if results is not None:
            self.post_message(SnapshotsVerified(results))

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _delete(self, snapshot_id: str) -> None:
        snap = self._guarded("delete snapshot", lambda: self.service.delete_snapshot(snapshot_id))
        if snap is not None:
            self.post_message(SnapshotDeleted(snap))

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _plan_restore(self, snapshot_id: str) -> None:
        plan = self._guarded("plan restore", lambda: self.service.plan_restore(snapshot_id))
        if plan is not None:
            self.post_message(RestorePlanned(plan))

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _restore(self, snapshot_id: str) -> None:
        relay = self._relay("restore")
        result = self._guarded("restore", lambda: self.service.restore_snapshot(snapshot_id, progress=relay))
        relay.flush()
        if result is not None:
            self.post_message(RestoreFinished(result))

    # ---- actions (bound keys) ----

    def action_create(self) -> None:
        if self._refuse_if_busy():
            return

        def go(note: str | None) -> None:
            if note is not None and self._start("Creating a snapshot"):
                self._create(note)

        self.app.push_screen(SnapshotNoteScreen(), go)

    def action_verify(self) -> None:
        snap = self._selected()
        if snap is not None and self._start(f"Verifying {snap.id}"):
            self._verify(snap.id)

    def action_verify_all(self) -> None:
        if not self.snapshots:
            self._say("No snapshots to verify.", severity="warning")
        elif self._start(f"Verifying all {len(self.snapshots)} snapshots"):
            self._verify(None)

    def action_delete(self) -> None:
        if self._refuse_if_busy():
            return
        snap = self._selected()
        if snap is None:
            return

        def go(yes: bool | None) -> None:
            if yes and self._start(f"Deleting {snap.id}"):
                self._delete(snap.id)

        body = (f"Snapshot {snap.id} from {local_time(snap.created_at)} "
                f"({human_bytes(snap.size_bytes)}{', ' + snap.note if snap.note else ''}) "
                "will be removed from the catalog and from disk.")
        self.app.push_screen(ConfirmScreen("Delete this snapshot?", body, confirm_label="Delete"), go)

    def action_restore(self) -> None:
        # The restore wizard, on this snapshot: target, dry run, confirmation, progress, result.
        from tui_backup.tui.screens.restore_wizard import SNAPSHOTS, Candidate, open_restore_wizard

        snap = self._selected()
        if snap is not None and not self._refuse_if_busy():
            open_restore_wizard(self.app, self.service, clock=self.clock, preselect=Candidate(
                SNAPSHOTS, snap.id, snap.created_at, snap.kind, snap.size_bytes, snap.note or ""))

    def action_diff(self) -> None:
        # Row changes from the snapshot before the selected one to it (tui/screens/snapshot_tools.py).
        from tui_backup.tui.screens.tools import open_tool

        snap = self._selected()
        if snap is not None:
            open_tool(self.app, self.service, "snapshot_diff", clock=self.clock, snapshot_id=snap.id)

    def action_prune(self) -> None:
        from tui_backup.tui.screens.tools import open_tool

        if not self._refuse_if_busy():
            open_tool(self.app, self.service, "snapshot_prune", clock=self.clock,
                      on_change=lambda: self.reload())

    def action_export(self) -> None:
        from tui_backup.tui.screens.tools import open_tool

        snap = self._selected()
        if snap is not None:
            open_tool(self.app, self.service, "export", clock=self.clock, snapshot_id=snap.id)

    # ---- results (UI thread) ----

    @on(Worker.StateChanged)
    def _worker_done(self, event: Worker.StateChanged) -> None:
        if event.worker.group == OP_GROUP and event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            self.busy = None

    def on_snapshots_loaded(self, message: SnapshotsLoaded) -> None:
        self.snapshots = message.snapshots
        self.table.show_snapshots(message.snapshots, self._select_after_load)
        self._select_after_load = None
        self._show_detail()
        if self.busy is None:
            self.query_one("#activity-label", Label).update(self._status_line())

    def on_operation_progress(self, message: OperationProgress) -> None:
        if self.busy is None:
            return
        p = self.last_progress = message.progress
        bar = self.query_one(ProgressBar)
        if p.fraction is None:
            bar.update(total=None)
        else:
            bar.update(total=100, progress=round(100 * min(max(p.fraction, 0.0), 1.0), 1))
        detail = p.message or p.stage
        self.query_one("#activity-label", Label).update(f"{self.busy}: {detail}")

    def on_operation_failed(self, message: OperationFailed) -> None:
        message.stop()  # handled here; the app only reports failures of its own workers
        self._last_result = f"✖ {message.action} failed"
        hint = f"\n{message.hint}" if message.hint else ""
        self._say(f"{message.message}{hint}", title=f"✖ {message.action} failed", severity="error", timeout=12)
        if message.action != LOAD_ACTION:
            self.reload()  # e.g. a verify that found corruption changed the list
            self.post_message(DataChanged())

    def on_snapshot_created(self, message: SnapshotCreated) -> None:
        snap = message.snapshot
        self._last_result = f"✔ created {snap.id}"
        self._say(f"{snap.id}: {human_bytes(snap.size_bytes)} · {len(snap.tables)} tables, {snap.row_count:,} rows"
                  f" · took {human_duration(snap.duration_s)}", title="✔ Snapshot created")
        for warning in snap.warnings:
            self._say(warning, title="▲ Snapshot warning", severity="warning", timeout=15)
        self.reload(select=snap.id)
        self.post_message(DataChanged())

    def on_snapshots_verified(self, message: SnapshotsVerified) -> None:
        bad = [r for r in message.results if not r.ok]
        good = len(message.results) - len(bad)
        if bad:
            lines = "\n".join(f"✖ {r.snapshot_id}: {r.detail}" for r in bad[:5])
            self._last_result = f"✖ {len(bad)} corrupt"
            self._say(f"{lines}\n{good} ok", title="✖ Verification found corrupt snapshots", severity="error", timeout=15)
        else:
            ids = ", ".join(r.snapshot_id for r in message.results[:3])
            more = "…" if len(message.results) > 3 else ""
            self._last_result = f"✔ verified {len(message.results)}"
            self._say(f"{ids}{more}: checksum and integrity check passed", title=f"✔ {good} verified")
        self.reload()
        self.post_message(DataChanged())

    def on_snapshot_deleted(self, message: SnapshotDeleted) -> None:
        self._last_result = f"✔ deleted {message.snapshot.id}"
        self._say(f"{message.snapshot.id} was deleted.", title="✔ Snapshot deleted")
        self.reload()
        self.post_message(DataChanged())

    def on_restore_planned(self, message: RestorePlanned) -> None:
        plan: RestorePlan = message.plan

        def confirmed(yes: bool | None) -> None:
            if yes and self._start(f"Restoring {plan.snapshot.id}"):
                self._restore(plan.snapshot.id)

        def proceed(go_on: bool | None) -> None:
            if not go_on:
                return
            body = (f"The live database {display_path(plan.target)} will be replaced by snapshot "
                    f"{plan.snapshot.id} from {local_time(plan.snapshot.created_at)}. "
                    "A safety snapshot of it is taken first.")
            self.app.push_screen(ConfirmScreen("Restore into the live database?", body, confirm_label="Restore"), confirmed)

        self.app.push_screen(RestorePlanScreen(plan), proceed)

    def on_restore_finished(self, message: RestoreFinished) -> None:
        r = message.result
        safety = f"; safety snapshot {r.safety_snapshot_id}" if r.safety_snapshot_id else ""
        self._last_result = f"✔ restored {r.snapshot_id}{safety}"
        self._say(f"{r.snapshot_id} → {display_path(r.target)}: {r.rows_after:,} rows, took "
                        f"{human_duration(r.duration_s)}{safety}", title="✔ Restored", timeout=15)
        self.reload(select=r.snapshot_id)
        self.post_message(DataChanged())

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_detail()

    def _show_detail(self) -> None:
        sid = self.table.selected_id
        snap = next((s for s in self.snapshots if s.id == sid), None)
        text = ""
        if snap is not None:
            note = f" · “{snap.note}”" if snap.note else ""
            text = (f"{full_time(snap.created_at)}{note} · db {human_bytes(snap.db_size_bytes)}"
                    f" · sha256 {snap.sha256[:12]}…")
        self.query_one("#detail", Label).update(text)

    def focus_table(self) -> None:
        self.table.focus()
