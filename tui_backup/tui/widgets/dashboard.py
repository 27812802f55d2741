"""The Dashboard pane: the profile's policies, alerts, running jobs, volumes and sources at a
glance.

The app hands it the profile's status report (`show_status`); the dashboard itself reloads
the policies' health and the running jobs in thread workers every few seconds (the jobs
every tick, the policies — which may list a remote destination — every few ticks), so
the UI never waits on the service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.progress_bar import ProgressBar as RichBar
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import Label, Sparkline, Static

from tui_backup import clock as tool_clock
from tui_backup.catalog.jobs import RUNNING, JobRecord
from tui_backup.errors import TuiBackupError
from tui_backup.jobs.events import Progress
from tui_backup.service.status import StatusReport
from tui_backup.service.volumes import VolumeStatus
from tui_backup.tui.formatting import (
    Clock,
    age,
    display_path,
    health_label,
    human_bytes,
    job_label,
    local_time,
    short_time,
    utc_clock,
    volume_label,
)
from tui_backup.tui.panes import shown
from tui_backup.tui.static_update import update_static
from tui_backup.tui.widgets.jobs import progress_figures

if TYPE_CHECKING:
    from tui_backup.service.health import PolicyStatus
    from tui_backup.service.profile import ProfileService
    from tui_backup.tui.screens.tools import Tool

TICK_S = 3.0  # running jobs and volumes
POLICY_TICKS = 5  # the policies' health every 5 ticks (15 s), and after every change
RECENT_JOBS = 50

# A policy's health as a light and a word: the word carries it without colour (NO_COLOR, ansi16).
POLICY_HEALTH_WORDS = {"ok": "ok", "warning": "warning", "failing": "failing"}
ALERT_SYMBOLS = {"warning": "▲", "failing": "✖"}


def policy_light(health: str) -> str:
    """`● ok`, `● warning`, `● failing` (`○ unknown` while it cannot be computed)."""
    word = POLICY_HEALTH_WORDS.get(health)
    return f"● {word}" if word else f"○ {health or 'unknown'}"


def as_timestamp(value: datetime | str | None) -> str | None:
    """A time the service gives as a datetime or in the catalog's text form, as the latter."""
    if value is None or isinstance(value, str):
        return value
    return tool_clock.to_catalog(value)


def when(value: datetime | str | None, now: datetime, never: str = "never") -> str:
    ts = as_timestamp(value)
    return short_time(ts, now) if ts else never


@dataclass(frozen=True)
class RunningJob:
    job: JobRecord
    progress: Progress | None


# ---- messages (posted from worker threads) ----


class PolicyStatusesLoaded(Message):
    def __init__(self, statuses: list[PolicyStatus] | None, problem: str = "") -> None:
        super().__init__()
        self.statuses = statuses
        self.problem = problem


class ActivityLoaded(Message):
    def __init__(self, running: list[RunningJob], volumes: list[VolumeStatus] | None) -> None:
        super().__init__()
        self.running = running
        self.volumes = volumes


# ---- pure renderers ----


def _grid() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="ellipsis", no_wrap=True)
    return grid


def render_summary(report: StatusReport, now: datetime) -> RenderableType:
    top = _grid()
    top.add_row("Profile", Text(report.profile))
    top.add_row("Health", health_label(report.health))
    if report.snapshot_count:
        newest = Text(f"{report.snapshot_count} · newest {report.newest_snapshot_id} "
                      f"at {local_time(report.newest_snapshot_at)} ({age(report.newest_snapshot_at, now)})")
    else:
        newest = Text("none yet (press 2, then c, to take one)")
    top.add_row("Snapshots", newest)
    return top


def render_sources(report: StatusReport) -> RenderableType:
    sources = _grid()
    # Text, not str: a Rich table reads str cells as markup, and paths may hold "[...]".
    sources.add_row("config", Text(display_path(report.config_file)))
    sources.add_row("database", Text(f"{display_path(report.database)}  ({report.database_kind})"))
    for p in report.files:
        sources.add_row("files", Text(display_path(p)))
    for p in report.config_files:
        sources.add_row("config", Text(display_path(p)))
    return sources


def render_volumes(volumes: Sequence[VolumeStatus]) -> RenderableType:
    # Only the path column may shrink (Rich narrows wrappable columns first); the rest stay whole.
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="ellipsis")
    grid.add_column(justify="right", no_wrap=True)
    for v in volumes:
        state = Text(volume_label(str(v.state)), style="" if v.ok else "bold")
        free = f"{human_bytes(v.free_bytes)} free" if v.free_bytes is not None else ""
        grid.add_row(state, Text(v.name), Text(display_path(v.path)), free)  # Text: paths may hold "[...]"
    return grid


def render_alerts(statuses: Sequence[PolicyStatus], problems: Sequence[str]) -> RenderableType:
    """The reasons of every policy that is not ok, then the profile's own problems."""
    lines: list[RenderableType] = []
    for s in statuses:
        if s.health == "ok":
            continue
        symbol = ALERT_SYMBOLS.get(s.health, "?")
        for reason in s.reasons or [s.health]:
            lines.append(Text(f"{symbol} {s.name}: {reason}", overflow="ellipsis", no_wrap=True))
    for problem in problems:
        lines.append(Text(f"▲ {problem}", overflow="ellipsis", no_wrap=True))
    return Group(*lines) if lines else Text("✔ none")


def render_running(running: Sequence[RunningJob]) -> RenderableType:
    """Running jobs with a bar and the Jobs pane's figures (progress_figures)."""
    if not running:
        return Text("none")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True, width=16)
    grid.add_column(overflow="ellipsis", no_wrap=True)
    for r in running:
        p = r.progress
        done = 0.0 if p is None or p.fraction is None else min(max(p.fraction, 0.0), 1.0)
        bar = RichBar(total=100, completed=round(done * 100), width=16, pulse=p is None or p.fraction is None)
        grid.add_row(Text(f"{job_label(RUNNING)} #{r.job.id} {r.job.kind} {r.job.target}"), bar,
                     Text(progress_figures(p)) if p is not None else "starting…")  # Text: no markup
    return grid


def policy_lines(status: PolicyStatus, now: datetime) -> Text:
    """Two lines: destination, last and next run; newest backup's age, last proven restorable."""
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append(status.name, style="bold")
    out.append(f" → {status.destination}")
    if status.state != "active":
        out.append(f" ({status.state})")
    last = status.last_run
    if last is None:
        out.append(" · last never")
    else:
        mark = "✔" if last.ok else "✖" if last.status == "failed" else "·"
        out.append(f" · last {mark} {short_time(last.started_at, now)}")
    out.append(f" · next {when(status.next_run, now, '—')}")
    newest = as_timestamp(status.newest_point_at)
    out.append(f"\nnewest {age(newest, now) if newest else 'none'}")
    out.append(f" · proven {when(status.last_proven_at, now)}")
    return out


# ---- widgets ----


class PolicyLight(Label):
    """The health light: `●` in the theme's health colour, and the word."""

    DEFAULT_CSS = """
    PolicyLight {
        width: 10;
        text-style: bold;
    }
    PolicyLight.-ok { color: $health-ok; }
    PolicyLight.-warning { color: $health-warn; }
    PolicyLight.-failing { color: $health-fail; }
    """

    def show(self, health: str) -> None:
        for h in POLICY_HEALTH_WORDS:
            self.set_class(h == health, f"-{h}")
        self.update(policy_light(health))


class PolicySummary(Horizontal):
    """One policy on the dashboard: light, two lines of facts, the sizes' trend."""

    DEFAULT_CSS = """
    PolicySummary {
        height: 2;
    }
    PolicySummary > .facts {
        width: 1fr;
        height: 2;
    }
    PolicySummary > Sparkline {
        width: 12;
        height: 2;
        margin-left: 1;
    }
    """

    def __init__(self, status: PolicyStatus, now: datetime) -> None:
        super().__init__(classes="policy-summary")
        self._status = status
        self._now = now

    def compose(self) -> ComposeResult:
        yield PolicyLight("")
        yield Static("", classes="facts")
        yield Sparkline([])

    def on_mount(self) -> None:
        self.show(self._status, self._now)

    def show(self, status: PolicyStatus, now: datetime) -> None:
        self._status, self._now = status, now
        try:
            light = self.query_one(PolicyLight)
        except NoMatches:  # a fresh report before this one finished mounting: on_mount shows it
            return
        light.show(status.health)
        update_static(self.query_one(".facts", Static), policy_lines(status, now))
        spark = self.query_one(Sparkline)
        spark.data = [float(s) for s in status.sizes]
        spark.display = len(status.sizes) >= 2


class Dashboard(VerticalScroll):
    DEFAULT_CSS = """
    Dashboard {
        height: 1fr;
        padding: 0 1;
    }
    Dashboard > Static {
        width: 100%;
    }
    Dashboard > .section {
        margin-top: 1;
        text-style: bold underline;
    }
    Dashboard > #policy-rows {
        height: auto;
    }
    """

    # The profile-wide tools (each a screen of tui/screens/; CLI map in tui/actions_map.py).
    BINDINGS = [
        Binding("v", "volumes", "Volumes", id="dashboard.volumes"),
        Binding("s", "stats", "Stats", id="dashboard.stats"),
        Binding("S", "schedule", "Schedule", id="dashboard.schedule"),
        Binding("e", "export", "Export", id="dashboard.export"),
        Binding("C", "config", "Config", show=False, id="dashboard.config"),
    ]

    def __init__(self, service: ProfileService | None = None, *, clock: Clock = utc_clock,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.service = service
        self.clock = clock
        self.report: StatusReport | None = None
        self.statuses: list[PolicyStatus] = []
        self.running: list[RunningJob] = []
        self._ticks = 0

    def compose(self) -> ComposeResult:
        yield Static("Loading the profile's status…", id="summary")
        yield Label("Policies", classes="section")
        yield Static("Loading the policies…", id="policies-note", markup=False)
        yield Vertical(id="policy-rows")
        yield Label("Alerts", classes="section")
        yield Static("…", id="alerts")
        yield Label("Running jobs", classes="section")
        yield Static("none", id="running")
        yield Label("Volumes", classes="section")
        yield Static("…", id="volumes")
        yield Label("Sources", classes="section")
        yield Static("…", id="sources")

    def on_mount(self) -> None:
        if self.service is not None:
            self.set_interval(TICK_S, self._tick)
            self.refresh_data()

    # ---- loading ----

    def _tick(self) -> None:
        if not shown(self):
            return  # hidden: no work (the app refreshes the dashboard when it is shown again)
        self._ticks += 1
        self._load_activity()
        if self._ticks % POLICY_TICKS == 0:
            self._load_policies()

    def refresh_data(self) -> None:
        """Reload everything now (after a change, or when the app refreshes)."""
        if self.service is not None:
            self._load_policies()
            self._load_activity()

    @work(thread=True, exclusive=True, group="dashboard-policies", exit_on_error=False)
    def _load_policies(self) -> None:
        assert self.service is not None
        try:
            statuses = self.service.policy_statuses()
        except TuiBackupError as exc:
            self.post_message(PolicyStatusesLoaded(None, exc.message))
            return
        except Exception as exc:  # a part still being built must not stop the dashboard
            self.post_message(PolicyStatusesLoaded(None, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(PolicyStatusesLoaded(statuses))

    @work(thread=True, exclusive=True, group="dashboard-activity", exit_on_error=False)
    def _load_activity(self) -> None:
        assert self.service is not None
        try:
            jobs = [j for j in self.service.list_jobs(RECENT_JOBS) if j.status == RUNNING]
            running = [RunningJob(j, self.service.job_progress(j)) for j in jobs]
            volumes = self.service.volume_statuses()
        except TuiBackupError:
            return  # the app's status refresh reports a catalog it cannot read
        self.post_message(ActivityLoaded(running, volumes))

    # ---- showing (UI thread) ----

    def show_status(self, report: StatusReport, now: datetime) -> None:
        self.report = report
        update_static(self.query_one("#summary", Static), render_summary(report, now))
        update_static(self.query_one("#volumes", Static), render_volumes(report.volumes))
        update_static(self.query_one("#sources", Static), render_sources(report))
        self._show_alerts()
        self.refresh_data()

    def on_policy_statuses_loaded(self, message: PolicyStatusesLoaded) -> None:
        message.stop()
        note = self.query_one("#policies-note", Static)
        if message.statuses is None:
            update_static(note, f"? the policies' health is unavailable: {message.problem}")
            note.display = True
            return
        self.statuses = message.statuses
        now = self.clock()
        note.display = not self.statuses
        update_static(note, "No policies yet: press 3, then a, to add one.")
        rows = self.query_one("#policy-rows", Vertical)
        shown = list(rows.query_children(PolicySummary))
        if [w._status.name for w in shown] == [s.name for s in self.statuses]:
            for widget, status in zip(shown, self.statuses, strict=True):
                widget.show(status, now)
        else:
            rows.remove_children()
            rows.mount_all([PolicySummary(s, now) for s in self.statuses])
        self._show_alerts()

    def on_activity_loaded(self, message: ActivityLoaded) -> None:
        message.stop()
        self.running = message.running
        update_static(self.query_one("#running", Static), render_running(message.running))
        if message.volumes is not None:
            update_static(self.query_one("#volumes", Static), render_volumes(message.volumes))

    def _show_alerts(self) -> None:
        problems = self.report.problems if self.report is not None else []
        update_static(self.query_one("#alerts", Static), render_alerts(self.statuses, problems))

    # ---- the profile-wide tools (bound keys): a screen each, imported when first used ----

    def _open_tool(self, name: Tool) -> None:
        from tui_backup.tui.screens.tools import open_tool

        if self.service is not None:
            open_tool(self.app, self.service, name, clock=self.clock)

    def action_volumes(self) -> None:
        self._open_tool("volumes")

    def action_stats(self) -> None:
        self._open_tool("stats")

    def action_schedule(self) -> None:
        self._open_tool("schedule")

    def action_export(self) -> None:
        self._open_tool("export")

    def action_config(self) -> None:
        self._open_tool("config")


def render_dashboard(report: StatusReport, now: datetime) -> RenderableType:
    """The profile's part of the dashboard as one renderable (a pure function of the report)."""
    return Group(render_summary(report, now), Text("\nVolumes", style="bold underline"),
                 render_volumes(report.volumes), Text("\nAlerts", style="bold underline"),
                 render_alerts([], report.problems), Text("\nSources", style="bold underline"),
                 render_sources(report))
