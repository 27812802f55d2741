"""Open one of the report screens (volumes, stats, schedule, export, config, snapshot diff/prune) by
name, importing its module only then: the app starts without them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from textual.app import App
from textual.screen import ModalScreen

from tui_backup.tui.formatting import Clock, utc_clock

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService

Tool = Literal["volumes", "stats", "schedule", "export", "config", "snapshot_diff", "snapshot_prune"]


def make_tool(service: ProfileService, name: Tool, *, clock: Clock = utc_clock,
              snapshot_id: str | None = None) -> ModalScreen[bool]:
    """The screen for `name` (`snapshot_id`: the export's source, or the diff's newer snapshot)."""
    screen: ModalScreen[bool]
    if name == "volumes":
        from tui_backup.tui.screens.volumes import VolumesScreen

        screen = VolumesScreen(service, clock=clock)
    elif name == "stats":
        from tui_backup.tui.screens.stats import StatsScreen

        screen = StatsScreen(service, clock=clock)
    elif name == "schedule":
        from tui_backup.tui.screens.schedule import ScheduleScreen

        screen = ScheduleScreen(service, clock=clock)
    elif name == "export":
        from tui_backup.tui.screens.export import ExportScreen

        screen = ExportScreen(service, snapshot_id=snapshot_id, clock=clock)
    elif name == "config":
        from tui_backup.tui.screens.config import ConfigScreen

        screen = ConfigScreen(service, clock=clock)
    elif name == "snapshot_diff":
        from tui_backup.tui.screens.snapshot_tools import SnapshotDiffScreen

        screen = SnapshotDiffScreen(service, snapshot_id, clock=clock)
    else:
        from tui_backup.tui.screens.snapshot_tools import SnapshotPruneScreen

        screen = SnapshotPruneScreen(service, clock=clock)
    return screen


def open_tool(app: App[Any], service: ProfileService, name: Tool, *, clock: Clock = utc_clock,
              snapshot_id: str | None = None, on_change: Callable[[], object] | None = None) -> None:
    """Push the screen; `on_change` runs when it closes after an action changed something."""

    def closed(changed: bool | None) -> None:
        if changed and on_change is not None:
            on_change()

    app.push_screen(make_tool(service, name, clock=clock, snapshot_id=snapshot_id), closed)
