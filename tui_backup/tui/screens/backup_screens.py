"""Modals of the Destinations pane: pick a backup type, pick a restore target, the dry run."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui_backup.destinations.base import BACKUP_TYPES
from tui_backup.service.backup_restore import BackupRestorePlan
from tui_backup.tui.screens._dialog import PlanScreen, dialog_css

TYPE_HELP = {
    "full": "database snapshot + files + config files",
    "database": "a fresh database snapshot only",
    "files": "the files directories only",
    "config": "the config files only",
}
PLAN_LINES = 5  # first paths shown per kind of change


class BackupTypeScreen(ModalScreen[str | None]):
    """Pick what to back up; dismissed with the type, or None (Escape)."""

    DEFAULT_CSS = dialog_css("BackupTypeScreen", border="$accent", width=70) + """
    BackupTypeScreen OptionList {
        height: auto;
        max-height: 8;
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="backup_type.cancel")]

    def __init__(self, destination: str) -> None:
        super().__init__()
        self.destination = destination

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Back up to {self.destination}: what?", id="title", markup=False)
            yield OptionList(*(Option(f"{t:<9} {TYPE_HELP.get(t, '')}", id=t) for t in BACKUP_TYPES))
            yield Static("Enter starts the backup · Esc cancels", id="note")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class RestoreTargetScreen(ModalScreen[Path | None | bool]):
    """Where to restore: in place (empty input: dismissed with True) or into a directory
    (dismissed with its Path); Escape dismisses with False."""

    DEFAULT_CSS = dialog_css("RestoreTargetScreen", border="$warning", width=70) + """
    RestoreTargetScreen Input {
        margin: 1 0 0 0;
    }
    RestoreTargetScreen #note {
        color: $text-muted;
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="restore_target.cancel")]

    def __init__(self, destination: str, point: str) -> None:
        super().__init__()
        self.destination = destination
        self.point = point

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Restore {self.point} from {self.destination}", id="title", markup=False)
            yield Input(placeholder="empty = in place, or a directory to restore into", id="target")
            yield Static("Enter shows the dry run (nothing changes yet) · Esc cancels", id="note")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        self.dismiss(Path(text).expanduser() if text else True)

    def action_cancel(self) -> None:
        self.dismiss(False)


def _paths(title: str, paths: list[str]) -> Text:
    out = Text()
    out.append(f"{title}: {len(paths)}", style="bold")
    for p in paths[:PLAN_LINES]:
        out.append(f"\n  {p}")
    if len(paths) > PLAN_LINES:
        out.append(f"\n  … and {len(paths) - PLAN_LINES} more")
    return out


def render_backup_plan(plan: BackupRestorePlan) -> RenderableType:
    """The dry run as text: file changes (counts + first paths), then row changes."""
    head = Text()
    head.append("Point ", style="bold")
    head.append(f"{plan.point} from {plan.destination}")
    head.append("\nInto  ", style="bold")
    head.append("the live data (in place)" if plan.in_place else plan.target)
    parts: list[RenderableType] = [head]
    parts += [_paths("Added", plan.added), _paths("Overwritten", plan.overwritten), _paths("Deleted", plan.deleted)]
    if plan.database:
        rows = Text()
        rows.append("Database rows:", style="bold")
        for t in plan.tables:
            before = "—" if t.rows_before is None else f"{t.rows_before:,}"
            after = "—" if t.rows_after is None else f"{t.rows_after:,}"
            rows.append(f"\n  {t.table}: {before} → {after}")
        parts.append(rows)
    return Group(*parts)


class BackupRestorePlanScreen(PlanScreen[BackupRestorePlan]):
    """A backup restore's dry run; dismissed with True to go on to the confirmation."""

    DEFAULT_CSS = dialog_css("BackupRestorePlanScreen", border="$warning", width=70) + """
    BackupRestorePlanScreen #plan {
        height: auto;
        max-height: 15;
    }
    """

    BINDINGS = [
        Binding("escape,n", "cancel", "Cancel", id="backup_plan.cancel"),
        Binding("c,y", "proceed", "Continue", id="backup_plan.continue"),
    ]

    def plan_view(self) -> RenderableType:
        return render_backup_plan(self.plan)
