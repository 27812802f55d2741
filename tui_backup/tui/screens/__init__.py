"""Modal screens: confirmations, the snapshot note, the restore dry run."""

from tui_backup.tui.screens._dialog import PlanScreen, dialog_css
from tui_backup.tui.screens.confirm import ConfirmScreen
from tui_backup.tui.screens.note import SnapshotNoteScreen
from tui_backup.tui.screens.restore_plan import RestorePlanScreen, render_plan

__all__ = ["ConfirmScreen", "PlanScreen", "RestorePlanScreen", "SnapshotNoteScreen", "dialog_css", "render_plan"]
