"""The Dashboard pane: the profile, its sources, volumes, snapshots and problems at a glance."""

from __future__ import annotations

from datetime import datetime

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui_backup.service.status import StatusReport
from tui_backup.tui.formatting import (
    age,
    display_path,
    health_label,
    human_bytes,
    local_time,
    volume_label,
)


def _grid() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="ellipsis", no_wrap=True)
    return grid


def render_dashboard(report: StatusReport, now: datetime) -> RenderableType:
    """The dashboard as one renderable (a pure function of the report and the clock)."""
    top = _grid()
    top.add_row("Profile", report.profile)
    top.add_row("Config", display_path(report.config_file))
    top.add_row("Health", health_label(report.health))
    if report.snapshot_count:
        newest = Text(f"{report.snapshot_count} · newest {report.newest_snapshot_id} "
                      f"at {local_time(report.newest_snapshot_at)} ({age(report.newest_snapshot_at, now)})")
    else:
        newest = Text("none yet (press 2, then c, to take one)")
    top.add_row("Snapshots", newest)

    sources = _grid()
    sources.add_row("database", f"{display_path(report.database)}  ({report.database_kind})")
    for p in report.files:
        sources.add_row("files", display_path(p))
    for p in report.config_files:
        sources.add_row("config", display_path(p))

    # Only the path column may shrink (Rich narrows wrappable columns first); the rest stay whole.
    volumes = Table.grid(padding=(0, 2))
    volumes.add_column(no_wrap=True)
    volumes.add_column(no_wrap=True)
    volumes.add_column(overflow="ellipsis")
    volumes.add_column(justify="right", no_wrap=True)
    for v in report.volumes:
        state = Text(volume_label(str(v.state)), style="" if v.ok else "bold")
        free = f"{human_bytes(v.free_bytes)} free" if v.free_bytes is not None else ""
        volumes.add_row(state, v.name, display_path(v.path), free)

    parts: list[RenderableType] = [
        top,
        Text("\nSources", style="bold underline"),
        sources,
        Text("\nVolumes", style="bold underline"),
        volumes,
        Text("\nProblems", style="bold underline"),
    ]
    if report.problems:
        for problem in report.problems:
            parts.append(Text(f"▲ {problem}"))
    else:
        parts.append(Text("✔ none"))
    return Group(*parts)


class Dashboard(VerticalScroll):
    DEFAULT_CSS = """
    Dashboard {
        height: 1fr;
        padding: 0 1;
    }
    Dashboard > #summary {
        width: 100%;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static("Loading the profile's status…", id="summary")

    def show_status(self, report: StatusReport, now: datetime) -> None:
        self.query_one("#summary", Static).update(render_dashboard(report, now))
