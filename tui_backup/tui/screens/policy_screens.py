"""Modals of the Policies pane: the prune preview, a policy's restore points, and the
config diff shown before a policy edit is saved."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, Static

from tui_backup import clock as tool_clock
from tui_backup.destinations.base import RestorePoint
from tui_backup.tui.formatting import Clock, short_time, utc_clock
from tui_backup.tui.screens._dialog import dialog_css
from tui_backup.tui.widgets._operations import selected_key
from tui_backup.tui.widgets.destinations import FixedColumnTable, RestorePointTable

if TYPE_CHECKING:
    from tui_backup.service.prune import PrunePlan


class DecisionTable(FixedColumnTable):
    """Every restore point of the policy: keep or remove, and the rule that decided it."""

    DEFAULT_CSS = """
    DecisionTable {
        height: auto;
        max-height: 12;
    }
    """

    COLUMNS = (("Time", "time", 11), ("ID", "id", 26), ("Decision", "keep", 8), ("Why", "why", 22))

    def show_plan(self, plan: PrunePlan) -> None:
        now = self.clock()
        self.clear()
        for d in plan.decisions:
            at = d.time if isinstance(d.time, str) else tool_clock.to_catalog(d.time)
            why = ", ".join(d.reasons) or ("no rule keeps it" if not d.keep else "")
            self.add_row(short_time(at, now), escape(d.id), "keep" if d.keep else "✖ remove", escape(why), key=d.id)


def _removals(plan: PrunePlan) -> int:
    return sum(1 for d in plan.decisions if not d.keep)


class PrunePreviewScreen(ModalScreen[bool]):
    """The prune plan (nothing removed yet); dismissed with True to go on and prune."""

    DEFAULT_CSS = dialog_css("PrunePreviewScreen", border="$warning", width=78, muted_note=True)

    BINDINGS = [
        Binding("escape,n", "cancel", "Close", id="prune_preview.cancel"),
        Binding("c,y", "proceed", "Prune…", id="prune_preview.continue"),
    ]

    def __init__(self, plan: PrunePlan, *, clock: Clock = utc_clock) -> None:
        super().__init__()
        self.plan = plan
        self.clock = clock

    def compose(self) -> ComposeResult:
        plan = self.plan
        gone = _removals(plan)
        kept = len(plan.decisions) - gone
        with Vertical(id="dialog"):
            yield Label(f"Prune {plan.policy} at {plan.destination} — preview (nothing removed yet)", id="title",
                        markup=False)
            yield DecisionTable(clock=self.clock, id="decisions")
            summary = f"{kept} kept, {gone} to remove" if plan.decisions else "No restore points yet."
            yield Static(f"{summary}. The newest successful restore point is always kept.", id="note", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Close (Esc)", id="cancel")
                if gone:
                    yield Button(f"Prune {gone}… (c)", id="continue", variant="warning")

    def on_mount(self) -> None:
        self.query_one(DecisionTable).show_plan(self.plan)
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "continue")

    def action_proceed(self) -> None:
        self.dismiss(_removals(self.plan) > 0)

    def action_cancel(self) -> None:
        self.dismiss(False)


class PolicyPointsScreen(ModalScreen[str | None]):
    """A policy's restore points, newest first; dismissed with the point to restore, or None."""

    DEFAULT_CSS = dialog_css("PolicyPointsScreen", border="$accent", width=78, muted_note=True) + """
    PolicyPointsScreen RestorePointTable {
        height: auto;
        max-height: 14;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Close", id="policy_points.cancel"),
        Binding("r", "restore", "Restore…", id="policy_points.restore"),
    ]

    def __init__(self, policy: str, destination: str, points: list[RestorePoint], *,
                 clock: Clock = utc_clock) -> None:
        super().__init__()
        self.policy = policy
        self.destination = destination
        self.points = points
        self.clock = clock

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Restore points of {self.policy} at {self.destination}: {len(self.points)}", id="title",
                        markup=False)
            yield RestorePointTable(clock=self.clock, id="policy-points")
            note = "r or Enter: restore the selected point (a dry run first) · Esc closes" if self.points \
                else "None yet: run the policy (b) to make one."
            yield Static(note, id="note", markup=False)

    def on_mount(self) -> None:
        table = self.query_one(RestorePointTable)
        table.show_points(self.points)
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_restore()

    def action_restore(self) -> None:
        point = selected_key(self.query_one(RestorePointTable))
        if point is not None:
            self.dismiss(point)

    def action_cancel(self) -> None:
        self.dismiss(None)



# ---- the diff of the config before saving a policy edit ----

_LINE_STYLES = (("+++", "bold"), ("---", "bold"), ("@@", "$text-accent"), ("+", "$text-success"),
                ("-", "$text-error"))


def unified_diff(before: str, after: str, file: str, *, context: int = 3) -> list[str]:
    """The unified diff of the config text (lines without their newline)."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), f"{file} (now)",
                                 f"{file} (after saving)", n=context, lineterm="")
    return list(lines)


def render_diff(lines: list[str]) -> Content:
    """Added lines in the success colour, removed ones in the error colour: the + and -
    in front say the same without colour (NO_COLOR, 16 colours)."""
    parts: list[tuple[str, str] | str] = []
    for line in lines:
        style = next((s for prefix, s in _LINE_STYLES if line.startswith(prefix)), "")
        parts += [(line, style), "\n"]
    return Content.assemble(*parts[:-1])


class PolicyDiffScreen(ModalScreen[bool]):
    """The config file before -> after a policy edit (comments and all): dismissed with
    True to save it, False to go back to the form. Back has the focus at first, so a
    stray Enter never saves."""

    DEFAULT_CSS = dialog_css("PolicyDiffScreen", border="$warning", width=100, muted_note=True) + """
    PolicyDiffScreen #diff-scroll {
        height: auto;
        max-height: 60vh;
        overflow-x: auto;
        border: round $panel;
    }
    PolicyDiffScreen #diff {
        width: auto;
    }
    """

    BINDINGS = [
        Binding("escape,n", "back", "Back to the form", id="policy_diff.back"),
        Binding("y,ctrl+s", "save", "Save", id="policy_diff.save"),
    ]

    def __init__(self, before: str, after: str, *, file: str = "the config") -> None:
        super().__init__()
        self.before = before
        self.after = after
        self.file = file
        self.lines = unified_diff(before, after, file)

    def compose(self) -> ComposeResult:
        added = sum(1 for x in self.lines if x.startswith("+") and not x.startswith("+++"))
        removed = sum(1 for x in self.lines if x.startswith("-") and not x.startswith("---"))
        with Vertical(id="dialog"):
            yield Label(f"Save to {self.file}? +{added} -{removed} lines (nothing written yet)", id="title",
                        markup=False)
            with VerticalScroll(id="diff-scroll"):
                yield Static(render_diff(self.lines) if self.lines else "No change.", id="diff", markup=False)
            yield Static("y or ctrl+s saves · Esc goes back to the form · arrows scroll", id="note", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Back (Esc)", id="back")
                yield Button("Save (y)", id="save", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#diff-scroll").focus()  # arrows scroll; Enter does nothing here

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "save")

    def action_save(self) -> None:
        self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)
