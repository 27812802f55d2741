"""The dry run of a restore, shown before anything is changed."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from textual.binding import Binding

from tui_backup.service.restore import RestorePlan
from tui_backup.tui.formatting import display_path, human_bytes, local_time
from tui_backup.tui.screens._dialog import PlanScreen, dialog_css


def _count(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def _change(before: int | None, after: int | None) -> Text:
    if before is None:
        return Text("+ added", style="bold")
    if after is None:
        return Text("− removed", style="bold")
    delta = after - before
    if delta == 0:
        return Text("= same")
    return Text(f"{delta:+,}", style="bold")


def render_plan(plan: RestorePlan) -> RenderableType:
    """The dry run as text: what would change, table by table."""
    snap = plan.snapshot
    head = Text()
    head.append("Snapshot ", style="bold")
    head.append(f"{snap.id}  ({local_time(snap.created_at)}")
    head.append(f", {snap.note})" if snap.note else ")")
    head.append("\nInto     ", style="bold")
    head.append(display_path(plan.target))
    head.append("  (the live database)" if plan.in_place else "  (a separate copy)")
    table = Table(box=None, pad_edge=False, expand=False, show_edge=False)
    table.add_column("table")
    table.add_column("now", justify="right")
    table.add_column("after", justify="right")
    table.add_column("change", justify="right")
    for change in plan.tables:
        table.add_row(escape(change.table), _count(change.rows_before), _count(change.rows_after),
                      _change(change.rows_before, change.rows_after))
    parts: list[RenderableType] = [head, Text(""), table]
    extra = Text()
    if plan.tables_added:
        extra.append(f"\nTables added: {', '.join(plan.tables_added)}")
    if plan.tables_removed:
        extra.append(f"\nTables removed: {', '.join(plan.tables_removed)}")
    if plan.schema_changes:
        extra.append("\nSchema changes:")
        for line in plan.schema_changes:
            extra.append(f"\n  {line}")
    else:
        extra.append("\nSchema: no changes")
    extra.append(f"\nSize: {human_bytes(plan.size_before)} → {human_bytes(plan.size_after)}")
    parts.append(extra)
    return Group(*parts)


class RestorePlanScreen(PlanScreen[RestorePlan]):
    """A snapshot restore's dry run; dismissed with True to go on to the confirmation."""

    DEFAULT_CSS = dialog_css("RestorePlanScreen", border="$warning", width=76, muted_note=True) + """
    RestorePlanScreen #plan {
        height: auto;
        max-height: 14;
    }
    """

    BINDINGS = [
        Binding("escape,n", "cancel", "Cancel", id="restore_plan.cancel"),
        Binding("c,y", "proceed", "Continue", id="restore_plan.continue"),
    ]

    def plan_view(self) -> RenderableType:
        return render_plan(self.plan)

    def footnote(self) -> str | None:
        if self.plan.in_place:
            return "A safety snapshot of the live database is taken first; any failure rolls back."
        return "The live database is not touched."
