"""The header: which profile this is, and how healthy it is (by word and symbol, not colour only)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from tui_backup.service.status import StatusReport
from tui_backup.tui.formatting import health_label
from tui_backup.tui.static_update import update_static


class ProfileHeader(Horizontal):
    DEFAULT_CSS = """
    ProfileHeader {
        height: 1;
        width: 100%;
        background: $panel;
        color: $foreground;
    }
    ProfileHeader > #app-name {
        padding: 0 1;
        background: $primary;
        color: $text;
        text-style: bold;
    }
    ProfileHeader > #profile {
        padding: 0 1;
        text-style: bold;
    }
    ProfileHeader > #description {
        width: 1fr;
        color: $text-muted;
        text-overflow: ellipsis;
        text-wrap: nowrap;
    }
    ProfileHeader > #health {
        padding: 0 1;
        text-style: bold;
    }
    ProfileHeader > #health.-ok { background: $health-ok; color: $background; }
    ProfileHeader > #health.-warn { background: $health-warn; color: $background; }
    ProfileHeader > #health.-fail { background: $health-fail; color: $background; }
    """

    def __init__(self, profile: str, description: str = "") -> None:
        super().__init__()
        self._profile = profile
        self._description = description

    def compose(self) -> ComposeResult:
        yield Label("tui-backup", id="app-name")
        yield Label(f"profile: {self._profile}", id="profile")
        yield Label(self._description, id="description", markup=False)
        yield Label("… checking", id="health")

    def show_status(self, report: StatusReport) -> None:
        label = self.query_one("#health", Label)
        text = health_label(report.health)
        if report.problems:
            count = len(report.problems)
            text += f" ({count} problem{'s' if count != 1 else ''})"
        if report.running_jobs:
            text = f"⟳ {report.running_jobs} running · {text}"
        update_static(label, text)
        label.set_classes(f"-{report.health}")
