"""The app's widgets, each with its own DEFAULT_CSS."""

from tui_backup.tui.widgets.dashboard import Dashboard, render_dashboard
from tui_backup.tui.widgets.header import ProfileHeader
from tui_backup.tui.widgets.jobs import JobsPane, JobsTable
from tui_backup.tui.widgets.placeholder import ComingSoon
from tui_backup.tui.widgets.snapshots import SnapshotsPane, SnapshotTable

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
