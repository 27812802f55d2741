"""The app's widgets, each with its own DEFAULT_CSS.

The names below are imported on first use (module `__getattr__`): importing one pane's
module must not import every other pane (the app mounts hidden panes after its first paint).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_backup.tui.widgets.dashboard import Dashboard, render_dashboard
    from tui_backup.tui.widgets.header import ProfileHeader
    from tui_backup.tui.widgets.jobs import JobsPane, JobsTable
    from tui_backup.tui.widgets.placeholder import ComingSoon
    from tui_backup.tui.widgets.snapshots import SnapshotsPane, SnapshotTable

_HOMES = {
    "ComingSoon": "placeholder",
    "Dashboard": "dashboard",
    "JobsPane": "jobs",
    "JobsTable": "jobs",
    "ProfileHeader": "header",
    "SnapshotTable": "snapshots",
    "SnapshotsPane": "snapshots",
    "render_dashboard": "dashboard",
}

__all__ = [
    "ComingSoon",
    "Dashboard",
    "JobsPane",
    "JobsTable",
    "ProfileHeader",
    "SnapshotTable",
    "SnapshotsPane",
    "render_dashboard",
]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
