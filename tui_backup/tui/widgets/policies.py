"""The Policies pane: the profile's backup policies — state, schedule, next and last run,
health — the selected one's details, and keys to run, pause, edit, prune, verify, drill and
restore. `d` switches to the destinations (with their own keys) and back.

Every service call runs in a thread worker that posts the typed messages below. Jobs get
the Jobs pane's live feed as a subscriber, so they show there live — and that pane
notifies when a job ends; this pane only says what never became a job (a skipped run, a
refusal) and what only it knows (a drill's verdict, a config edit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, cast

from rich.console import RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import ContentSwitcher, DataTable, Label, ProgressBar, Static

from tui_backup.catalog import policy_runs
from tui_backup.catalog.policy_runs import PolicyRun
from tui_backup.destinations.base import RestorePoint
from tui_backup.errors import TuiBackupError
from tui_backup.jobs.events import Finished
from tui_backup.jobs.runner import Subscriber
from tui_backup.policies.model import Hook, Policy
from tui_backup.tui.formatting import (
    Clock,
    display_path,
    human_bytes,
    human_duration,
    short_time,
    utc_clock,
)
from tui_backup.tui.messages import DataChanged
from tui_backup.tui.screens import ConfirmScreen
from tui_backup.tui.widgets._operations import JobTracker, OperationPane, selected_key
from tui_backup.tui.widgets.dashboard import policy_light, when
from tui_backup.tui.widgets.destinations import DestinationsPane, FixedColumnTable

if TYPE_CHECKING:
    from tui_backup.service.health import PolicyStatus
    from tui_backup.service.policy_edit import PolicyChange
    from tui_backup.service.policy_run import PolicyRunOutcome
    from tui_backup.service.profile import ProfileService
    from tui_backup.service.prune import PrunePlan

OP_GROUP = "policy-op"
LOAD_GROUP = "policy-load"
LOAD_ACTION = "list policies"
RECENT_RUNS = 5
MORE_KEYS = "u prune preview · k verify · t drill · x remove · d destinations"
HEALTH_VARIABLES = {"ok": "health-ok", "warning": "health-warn", "failing": "health-fail"}
SHORT_LIGHTS = {"ok": "● ok", "warning": "● warn", "failing": "● fail"}  # the table's narrow column
RUN_MARKS = {"succeeded": "✔", "succeeded-with-warnings": "▲", "failed": "✖", "cancelled": "■",
             "skipped": "·", "running": "⟳"}


@dataclass(frozen=True)
class PolicyRow:
    """One policy as the pane shows it (computed in the loader thread)."""

    policy: Policy
    status: PolicyStatus | None = None
    runs: list[PolicyRun] = field(default_factory=list)  # newest first, every kind

    @property
    def name(self) -> str:
        return self.policy.name

    @property
    def health(self) -> str:
        return self.status.health if self.status is not None else "?"


# ---- messages (posted from worker threads) ----


class PoliciesLoaded(Message):
    def __init__(self, rows: list[PolicyRow], problem: str = "") -> None:
        super().__init__()
        self.rows = rows
        self.problem = problem  # why health could not be computed ("" when it was)


class PolicyOpDone(Message):
    """An operation ended: `text` is said only when no job said it (`say`)."""

    def __init__(self, action: str, text: str, *, ok: bool = True, say: bool = True, title: str = "") -> None:
        super().__init__()
        self.action = action
        self.text = text
        self.ok = ok
        self.say = say
        self.title = title


class PrunePlanned(Message):
    def __init__(self, plan: PrunePlan) -> None:
        super().__init__()
        self.plan = plan


class PointsListed(Message):
    def __init__(self, policy: str, destination: str, points: list[RestorePoint]) -> None:
        super().__init__()
        self.policy = policy
        self.destination = destination
        self.points = points


# ---- rendering ----


def _light_style(app_variables: dict[str, str], health: str) -> Style:
    """The health light's colour from the theme (ansi_* names are Rich's without the prefix)."""
    value = app_variables.get(HEALTH_VARIABLES.get(health, ""), "")
    try:
        return Style.parse(f"bold {value.removeprefix('ansi_')}") if value else Style(bold=True)
    except Exception:
        return Style(bold=True)


def run_line(run: PolicyRun, now: datetime) -> str:
    """`✔ 03-01 02:00 backup 12 MB in 4.0 s` or `✖ 03-01 02:00 backup: the error`."""
    mark = RUN_MARKS.get(run.status, "?")
    text = f"{mark} {short_time(run.started_at, now)} {run.kind}"
    if run.ok:
        if run.size_bytes is not None:
            text += f" {human_bytes(run.size_bytes)}"
        if run.duration_s is not None:
            text += f" in {human_duration(run.duration_s)}"
    elif run.error:
        text += f": {run.error}"
    else:
        text += f" {run.status}"
    return text


def _hooks_text(policy: Policy) -> str:
    def names(hooks: tuple[Hook, ...]) -> str:
        return "; ".join(" ".join(h.argv[2:] if h.shell else h.argv) for h in hooks)

    parts = [f"{phase}: {names(hooks)}" for phase, hooks in (("before", policy.hooks.before),
             ("after", policy.hooks.after), ("on failure", policy.hooks.on_failure)) if hooks]
    return " · ".join(parts) or "none"


def render_details(row: PolicyRow, now: datetime) -> RenderableType:
    """The selected policy: what, when, what is kept, hooks, health and why, recent runs."""
    p, s = row.policy, row.status
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("Policy", f"{p.name} · {p.state} · {p.include} to {p.destination}")
    if s is not None:
        grid.add_row("Schedule", f"{s.schedule} · next {when(s.next_run, now, '—')}")
        grid.add_row("Retention", s.retention)
        grid.add_row("Health", policy_light(s.health))
        for reason in s.reasons:
            grid.add_row("", f"▲ {reason}" if s.health != "failing" else f"✖ {reason}")
        grid.add_row("Points", f"{s.point_count} · newest {when(s.newest_point_at, now, 'none')}")
        proven = f"restorable {when(s.last_proven_at, now)} (last good drill)" if s.last_proven_at \
            else "never (no good drill yet)"
        grid.add_row("Proven", proven)
    else:
        grid.add_row("Health", "? unknown")
    grid.add_row("Hooks", _hooks_text(p))
    if row.runs:
        for i, run in enumerate(row.runs):
            grid.add_row("Last runs" if i == 0 else "", run_line(run, now))
    else:
        grid.add_row("Last runs", "none yet")
    grid.add_row("Keys", Text(MORE_KEYS, style="dim"))
    return grid


class PolicyTable(FixedColumnTable):
    """One row per policy; the row key is its name."""

    DEFAULT_CSS = """
    PolicyTable {
        height: auto;
        max-height: 8;
    }
    """

    # Fixed widths for 80 columns.
    COLUMNS = (("Name", "name", 9), ("State", "state", 6), ("Dest", "dest", 6), ("Schedule", "schedule", 14),
               ("Next run", "next", 11), ("Last run", "last", 13), ("Health", "health", 6))

    def show_rows(self, rows: list[PolicyRow]) -> None:
        keep = self.selected_name
        now = self.clock()
        variables = self.app.get_css_variables()
        self.clear()
        for r in rows:
            s = r.status
            last = "never"
            if s is not None and s.last_run is not None:
                last = f"{RUN_MARKS.get(s.last_run.status, '?')} {short_time(s.last_run.started_at, now)}"
            health = Text(SHORT_LIGHTS.get(r.health, "○ ?"), style=_light_style(variables, r.health))
            # A Text cell (the light's colour) in a table of str cells: DataTable renders either.
            self.add_row(r.name, r.policy.state, r.policy.destination, s.schedule if s else "?",
                         when(s.next_run, now, "—") if s else "?", last, cast(str, health), key=r.name)
        self._reselect(keep, {r.name for r in rows})

    @property
    def selected_name(self) -> str | None:
        return selected_key(self)


class PolicyView(Vertical):
    """The policies' table, the selected one's details, and the activity line."""

    DEFAULT_CSS = """
    PolicyView {
        height: 1fr;
    }
    PolicyView > .section {
        height: 1;
        padding: 0 1;
        text-style: bold;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    PolicyView > #policy-details {
        height: 1fr;
        padding: 0 1;
        border-top: hkey $panel;
    }
    PolicyView > #policy-activity {
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    PolicyView > #policy-activity > #policy-activity-label {
        width: 1fr;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    PolicyView > #policy-activity > ProgressBar {
        width: auto;
        display: none;
    }
    PolicyView.-busy > #policy-activity > ProgressBar {
        display: block;
    }
    PolicyView.-busy > #policy-activity > #policy-activity-label {
        color: $job-running;
        text-style: bold;
    }
    """

    BINDINGS = [
        Binding("b", "run_now", "Run now", id="policy.run"),
        Binding("p", "toggle_pause", "Pause", id="policy.pause"),
        Binding("e", "edit", "Edit", id="policy.edit"),
        Binding("r", "points", "Restore…", show=False, id="policy.restore"),
        # 80 columns hold only so many keys: these are listed under the details instead.
        Binding("x,delete", "remove", "Remove", id="policy.remove", show=False),
        Binding("u", "prune", "Prune…", id="policy.prune", show=False),
        Binding("k", "verify", "Verify", id="policy.verify", show=False),
        Binding("t", "drill", "Drill", id="policy.drill", show=False),
    ]

    def __init__(self, *, clock: Clock = utc_clock, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock

    def compose(self) -> ComposeResult:
        yield Label("Policies", id="policies-title", classes="section", markup=False)
        yield PolicyTable(clock=self.clock, id="policy-table")
        with VerticalScroll(id="policy-details"):
            yield Static("", id="policy-details-text")
        with Horizontal(id="policy-activity"):
            yield Label("Loading policies…", id="policy-activity-label", markup=False)
            yield ProgressBar(total=100, show_eta=False, id="policy-progress")

    @property
    def _pane(self) -> PoliciesPane:
        parent = self.parent
        while parent is not None and not isinstance(parent, PoliciesPane):
            parent = parent.parent
        assert isinstance(parent, PoliciesPane)
        return parent

    # The keys are the view's (active only while its table has the focus); the work is the pane's.
    def action_run_now(self) -> None:
        self._pane.run_now()

    def action_toggle_pause(self) -> None:
        self._pane.toggle_pause()

    def action_edit(self) -> None:
        self._pane.edit()

    def action_remove(self) -> None:
        self._pane.remove_selected()

    def action_prune(self) -> None:
        self._pane.prune()

    def action_verify(self) -> None:
        self._pane.verify()

    def action_drill(self) -> None:
        self._pane.drill()

    def action_points(self) -> None:
        self._pane.points()


# ---- the pane ----


class PoliciesPane(OperationPane[PolicyRow]):
    """Keyboard-first: b run now, p pause/resume, a add, e edit, x remove, u prune preview,
    k verify, t drill, r restore points; d switches to the destinations and back."""

    DEFAULT_CSS = """
    PoliciesPane {
        height: 1fr;
    }
    PoliciesPane > ContentSwitcher {
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding("a", "add", "Add", show=False, id="policy.add"),
        Binding("d", "switch_view", "Destinations", id="policy.switch_view"),
    ]

    OP_GROUP = OP_GROUP
    LOAD_ACTION = LOAD_ACTION
    ACTIVITY_LABEL = "#policy-activity-label"
    PROGRESS_BAR = "#policy-progress"
    NO_ROW = "No policy: add one with a."
    # The command palette titles these bindings with the selection (tui/commands.py).
    SELECTION_BINDINGS: ClassVar[frozenset[str]] = frozenset({
        "policy.run", "policy.pause", "policy.edit", "policy.restore", "policy.remove", "policy.prune",
        "policy.verify", "policy.drill",
    })

    def selection_label(self) -> str | None:
        name = selected_key(self.table)
        return f"policy {name}" if name else None

    def __init__(self, service: ProfileService, *, clock: Clock = utc_clock, id: str | None = None) -> None:
        super().__init__(service, clock=clock, id=id)
        self.problem = ""  # why health could not be computed ("" when it was)

    def compose(self) -> ComposeResult:
        # Without policies the destinations are what there is to see (and back up by hand).
        initial = "policy-view" if self.service.config.policies else "destinations-view"
        with ContentSwitcher(initial=initial):
            yield PolicyView(clock=self.clock, id="policy-view")
            yield DestinationsPane(self.service, clock=self.clock, id="destinations-view")

    def on_mount(self) -> None:
        self._load()

    # ---- helpers ----

    @property
    def table(self) -> PolicyTable:
        return self.query_one(PolicyTable)

    @property
    def showing_policies(self) -> bool:
        return self.query_one(ContentSwitcher).current == "policy-view"

    def focus_table(self) -> None:
        if self.showing_policies:
            self.table.focus()
        else:
            self.query_one(DestinationsPane).focus_table()

    def reload(self) -> None:
        self._load()
        self.query_one(DestinationsPane).reload()

    def action_switch_view(self) -> None:
        self.screen.set_focus(None)  # see BackupApp.action_show_pane: blur before hiding
        self.query_one(ContentSwitcher).current = "destinations-view" if self.showing_policies else "policy-view"
        self.focus_table()

    def _summary(self) -> str:
        count = len(self.rows)
        text = f"{count} polic{'ies' if count != 1 else 'y'}" if count else "No policies: a adds one"
        if self.problem:
            text += f" · health unavailable: {self.problem}"
        return text

    def _busy_host(self) -> Widget:
        return self.query_one(PolicyView)

    def _job_failed(self, action: str, message: str, finished: Finished) -> Message:
        # A job that ran and failed was reported by the Jobs pane: only the pane's line says it.
        return PolicyOpDone(action, message, ok=False, say=False)

    # ---- workers ----

    @work(thread=True, exclusive=True, group=LOAD_GROUP, exit_on_error=False)
    def _load(self) -> None:
        policies = self._guarded(LOAD_ACTION, None, self.service.policies)
        if policies is None:
            return
        problem = ""
        statuses: dict[str, PolicyStatus] = {}
        try:
            statuses = {s.name: s for s in self.service.policy_statuses()}
        except TuiBackupError as exc:
            problem = exc.message
        except Exception as exc:  # a part still being built must not empty the pane
            problem = f"{type(exc).__name__}: {exc}"
        rows = [PolicyRow(p, statuses.get(p.name), policy_runs.list_runs(self.service.catalog, p.name,
                                                                         limit=RECENT_RUNS))
                for p in policies]
        self.post_message(PoliciesLoaded(rows, problem))

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _background_worker(self, action: str, args: list[str]) -> None:
        result = self._background(action, args)
        if result is None:
            return
        f = result.finished()
        # The Jobs pane said how its jobs ended; only a run that never became one is said here.
        short = {"run policy": "run"}.get(action, action)
        target = args[-1]
        if not result.jobs:
            self.post_message(PolicyOpDone(short, f"{target}: {f.summary or f.status}", ok=f.ok))
        else:
            text = f"{target}: {f.status}" + (f" — {f.error_message}" if f.error_message else "")
            self.post_message(PolicyOpDone(short, text, ok=f.ok, say=False))

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _verify_worker(self, name: str, tracker: JobTracker, subs: list[Subscriber]) -> None:
        outcome = self._guarded("verify policy", tracker, lambda: self.service.verify_policy(name, *subs))
        tracker.relay.flush()
        if outcome is not None:
            self.post_message(_outcome_done("verify", name, outcome))

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _state_worker(self, name: str, state: str) -> None:
        change = self._guarded(f"{'pause' if state == 'paused' else 'resume'} policy", None,
                               lambda: self.service.set_policy_state(name, state))
        if change is not None:
            word = "paused: the scheduler leaves it alone" if state == "paused" else "resumed"
            self.post_message(PolicyOpDone(state, f"Policy {name} {word}.", title=f"✔ {name} {state}"))

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _remove_worker(self, name: str) -> None:
        change = self._guarded("remove policy", None, lambda: self.service.remove_policy(name))
        if change is not None:
            kept = f" The removed block is kept in {display_path(change.saved_to)}." if change.saved_to else ""
            self.post_message(PolicyOpDone("remove", f"Policy {name} removed from the config; its restore "
                                           f"points stay at the destination.{kept}", title=f"✔ {name} removed"))

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _plan_prune(self, name: str) -> None:
        plan = self._guarded("prune preview", None, lambda: self.service.plan_prune(name))
        if plan is not None:
            self.post_message(PrunePlanned(plan))

    @work(thread=True, group=OP_GROUP, exit_on_error=False)
    def _list_points(self, name: str, destination: str) -> None:
        points = self._guarded("list restore points", None, lambda: self.service.list_restore_points(destination))
        if points is not None:
            mine = [p for p in points if p.complete and p.details.get("policy") == name]
            self.post_message(PointsListed(name, destination, mine))

    # ---- actions (called by PolicyView's keys) ----

    def run_now(self) -> None:
        row = self._selected()
        if row is not None and self._start(f"Running {row.name}"):
            # A detached child: the run goes on if the app quits (tui/detached.py).
            self._background_worker("run policy", ["policy", "run", "--", row.name])

    def toggle_pause(self) -> None:
        row = self._selected()
        if row is None:
            return
        state = "active" if row.policy.state == "paused" else "paused"
        if self._start(f"{'Pausing' if state == 'paused' else 'Resuming'} {row.name}"):
            self._state_worker(row.name, state)

    def action_add(self) -> None:
        names = [d.name for d in self.service.config.destinations]
        if not names:
            self._say("No destination to back up to: add a [[destination]] block to the config first.",
                      severity="warning")
            return
        # The form and the other policy screens are imported when used: not at start-up.
        from tui_backup.tui.screens.policy_form import PolicyFormScreen

        self.app.push_screen(PolicyFormScreen(
            names, self.service.add_policy, preview=lambda table: self.service.preview_policy_change(None, table),
        ), self._saved)

    def edit(self) -> None:
        row = self._selected()
        if row is None:
            return
        from tui_backup.tui.screens.policy_form import PolicyFormScreen

        names = [d.name for d in self.service.config.destinations]
        name = row.name
        self.app.push_screen(
            PolicyFormScreen(names, lambda changes: self.service.edit_policy(name, changes), policy=row.policy,
                             preview=lambda changes: self.service.preview_policy_change(name, changes)),
            self._saved,
        )

    def _saved(self, change: PolicyChange | None) -> None:
        if change is None:
            return
        self._say(f"Policy {change.policy}: {change.action} saved to {self.service.config.file.name}.",
                  title=f"✔ policy {change.action}")
        self._changed()

    def remove_selected(self) -> None:
        row = self._selected()
        if row is None:
            return
        name = row.name

        def go(yes: bool | None) -> None:
            if yes and self._start(f"Removing {name}"):
                self._remove_worker(name)

        self.app.push_screen(ConfirmScreen(
            f"Remove policy {name}?",
            f"Its [[policy]] block is taken out of {self.service.config.file.name}; the scheduler stops "
            "running it. Its restore points stay at the destination.",
            confirm_label="Remove"), go)

    def prune(self) -> None:
        row = self._selected()
        if row is not None and self._start(f"Planning the prune of {row.name}"):
            self._plan_prune(row.name)

    def verify(self) -> None:
        row = self._selected()
        if row is not None and self._start(f"Verifying {row.name}"):
            self._verify_worker(row.name, *self._subscribers("verify policy"))

    def drill(self) -> None:
        row = self._selected()
        if row is not None and self._start(f"Drilling {row.name}"):
            self._background_worker("drill", ["drill", "--", row.name])

    def points(self) -> None:
        row = self._selected()
        if row is not None and self._start(f"Listing the restore points of {row.name}"):
            self._list_points(row.name, row.policy.destination)

    # ---- results (UI thread) ----

    def _changed(self) -> None:
        self.post_message(DataChanged())  # reloads this pane (below), then the app's status

    @on(DataChanged)
    def _data_changed(self) -> None:
        self._load()  # a backup from the destinations view is a policy's news too; it bubbles on to the app

    def on_policies_loaded(self, message: PoliciesLoaded) -> None:
        message.stop()
        self.rows = message.rows
        self.problem = message.problem
        self.table.show_rows(self.rows)
        self._show_details()
        self._show_status()

    @on(DataTable.RowHighlighted, "PolicyTable")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_details()

    def _show_details(self) -> None:
        row = self._row(self.table.selected_name)
        text = self.query_one("#policy-details-text", Static)
        if row is None:
            text.update("No policies yet. Press a to add one: a destination, what to include, a schedule and "
                        "what to keep. d shows the destinations.")
            return
        text.update(render_details(row, self.clock()))

    def on_policy_op_done(self, message: PolicyOpDone) -> None:
        message.stop()
        mark = "✔" if message.ok else "✖"
        self._last_result = f"{mark} {message.action}: {message.text}"
        if message.say:
            self._say(message.text, title=message.title or f"{mark} {message.action}",
                      severity="information" if message.ok else "error", timeout=None if message.ok else 12)
        self._changed()

    def on_prune_planned(self, message: PrunePlanned) -> None:
        message.stop()
        plan = message.plan

        def confirmed(yes: bool | None) -> None:
            if yes and self._start(f"Pruning {plan.policy}"):
                self._background_worker("prune", ["policy", "prune", "--", plan.policy])

        def proceed(go_on: bool | None) -> None:
            if go_on:
                gone = sum(1 for d in plan.decisions if not d.keep)
                self.app.push_screen(ConfirmScreen(
                    f"Remove {gone} restore point{'s' if gone != 1 else ''} of {plan.policy}?",
                    f"They are removed from {plan.destination}; the {len(plan.decisions) - gone} others are kept.",
                    confirm_label="Prune"), confirmed)

        from tui_backup.tui.screens.policy_screens import PrunePreviewScreen

        self.app.push_screen(PrunePreviewScreen(plan, clock=self.clock), proceed)

    def on_points_listed(self, message: PointsListed) -> None:
        message.stop()

        def chosen(point_id: str | None) -> None:
            # The restore wizard, on this point: scope, target, dry run, confirmation, progress.
            from tui_backup.tui.screens.restore_wizard import Candidate, open_restore_wizard

            point = next((p for p in message.points if p.id == point_id), None)
            if point is not None:
                open_restore_wizard(self.app, self.service, clock=self.clock, preselect=Candidate(
                    point.destination, point.id, point.created_at, point.type, point.size_bytes,
                    str(point.details.get("policy", "") or ""), point.foreign))

        from tui_backup.tui.screens.policy_screens import PolicyPointsScreen

        self.app.push_screen(PolicyPointsScreen(message.policy, message.destination, message.points,
                                                clock=self.clock), chosen)


def _outcome_done(action: str, name: str, outcome: PolicyRunOutcome) -> PolicyOpDone:
    """Say a run's end here only when it never became a job (skipped, refused before it)."""
    run = outcome.run
    if outcome.skipped_reason:
        return PolicyOpDone(action, f"{name} skipped: {outcome.skipped_reason}", title=f"· {name} skipped")
    reached_job = outcome.finished is not None and bool(outcome.finished.job_id)
    text = f"{name}: {run.status}" + (f" — {run.error}" if run.error else "")
    return PolicyOpDone(action, text, ok=run.ok, say=not reached_job)
