"""Modal screens: confirmations, the snapshot note, the restore dry run."""

from tui_backup.tui.screens.confirm import ConfirmScreen
from tui_backup.tui.screens.note import SnapshotNoteScreen
from tui_backup.tui.screens.restore_plan import RestorePlanScreen, render_plan

__all__ = ["ConfirmScreen", "RestorePlanScreen", "SnapshotNoteScreen", "render_plan"]
