"""Modals of the Destinations pane: pick a backup type, pick a restore target, the dry run."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui_backup.destinations.base import BACKUP_TYPES
from tui_backup.service.backup_restore import BackupRestorePlan

TYPE_HELP = {
    "full": "database snapshot + files + config files",
    "database": "a fresh database snapshot only",
    "files": "the files directories only",
    "config": "the config files only",
}
PLAN_LINES = 5  # first paths shown per kind of change

DIALOG_CSS = """
{name} {{
    align: center middle;
}}
{name} > #dialog {{
    width: 70;
    max-width: 100%;
    height: auto;
    max-height: 100%;
    padding: 0 1;
    border: thick {border};
    background: $surface;
}}
{name} #title {{
    text-style: bold;
    width: 100%;
}}
{name} #buttons {{
    height: auto;
    align-horizontal: right;
}}
{name} Button {{
    margin-left: 2;
}}
"""


class BackupTypeScreen(ModalScreen[str | None]):
    """Pick what to back up; dismissed with the type, or None (Escape)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="BackupTypeScreen", border="$accent") + """
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

    DEFAULT_CSS = DIALOG_CSS.format(name="RestoreTargetScreen", border="$warning") + """
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


class BackupRestorePlanScreen(ModalScreen[bool]):
    """Shows the dry run; dismissed with True to go on to the confirmation."""

    DEFAULT_CSS = DIALOG_CSS.format(name="BackupRestorePlanScreen", border="$warning") + """
    BackupRestorePlanScreen #plan {
        height: auto;
        max-height: 15;
    }
    """

    BINDINGS = [
        Binding("escape,n", "cancel", "Cancel", id="backup_plan.cancel"),
        Binding("c,y", "proceed", "Continue", id="backup_plan.continue"),
    ]

    def __init__(self, plan: BackupRestorePlan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Restore — dry run (nothing has changed yet)", id="title")
            with VerticalScroll(id="plan"):
                yield Static(render_backup_plan(self.plan))
            with Horizontal(id="buttons"):
                yield Button("Cancel (Esc)", id="cancel")
                yield Button("Continue… (c)", id="continue", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "continue")

    def action_proceed(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
