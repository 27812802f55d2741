"""The Stats screen (`tui-backup stats` in the app): per destination, restore points, storage
used and space saved; then the recent policy runs and jobs. Listing remote destinations
may take a while: it runs in a worker, the app stays responsive."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.binding import Binding

from tui_backup.tui.formatting import display_path, human_bytes, human_duration, short_time
from tui_backup.tui.screens._report import ReportScreen

if TYPE_CHECKING:
    from tui_backup.service.stats import StatsReport

RECENT = 10


class StatsScreen(ReportScreen["StatsReport"]):
    TITLE_TEXT = "Stats — destinations and recent activity"

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="stats.close"),
        Binding("f5", "reload", "Refresh", id="stats.refresh"),
    ]

    def fetch(self) -> StatsReport:
        from tui_backup.service.stats import profile_stats

        return profile_stats(self.service, recent=RECENT)

    def action_reload(self) -> None:
        self.reload()

    def render_report(self, data: StatsReport) -> RenderableType:
        now = self.clock()
        parts: list[RenderableType] = []
        if not data.destinations:
            parts.append(Text("No destinations yet: add a [[destination]] or a policy to the profile's config."))
        else:
            table = Table("destination", "type", "points", "newest", "stored", "in full", "saved", "policies",
                          box=None, header_style="bold", pad_edge=False)
            for d in data.destinations:
                points = "—" if d.point_count is None else str(d.point_count)
                if d.point_count is not None and d.own_point_count != d.point_count:
                    points += f" ({d.own_point_count} ours)"
                saved = human_bytes(d.saved_bytes)
                if d.saved_bytes is not None and d.logical_bytes:
                    saved += f" ({d.saved_bytes / d.logical_bytes:.0%})"
                table.add_row(Text(d.name), d.type, points, short_time(d.newest_point_at, now), human_bytes(d.stored_bytes),
                              human_bytes(d.logical_bytes), saved, ", ".join(d.policies) or "—")
            parts.append(table)
            for d in data.destinations:
                if d.error:
                    parts.append(Text(f"✖ {d.name}: {d.error}"))
                parts.extend(Text(f"• {d.name}: {note}") for note in d.notes)
        if data.recent_runs:
            runs = Table("id", "policy", "kind", "started", "status", "size", "took", box=None, header_style="bold",
                         title="recent policy runs", title_justify="left", pad_edge=False)
            for r in data.recent_runs:
                runs.add_row(str(r.id), Text(r.policy), r.kind, short_time(r.started_at, now), r.status,
                             human_bytes(r.size_bytes),
                             human_duration(r.duration_s) if r.duration_s is not None else "—")
            parts.append(Text(""))
            parts.append(runs)
        if data.recent_jobs:
            jobs = Table("id", "kind", "target", "started", "status", "took", box=None, header_style="bold",
                         title="recent jobs", title_justify="left", pad_edge=False)
            for j in data.recent_jobs:
                # Text, not str: a Rich table reads str cells as markup, and targets may be paths with "[...]".
                jobs.add_row(str(j.id), j.kind, Text(display_path(j.target)), short_time(j.started_at, now), j.status,
                             human_duration(j.duration_s) if j.duration_s is not None else "—")
            parts.append(Text(""))
            parts.append(jobs)
        return Group(*parts)
