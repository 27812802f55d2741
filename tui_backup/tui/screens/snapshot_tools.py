"""Two Snapshots-pane screens: the row changes between two snapshots (`snapshot diff`) and
`snapshot prune` (what `snapshots.keep` removes, shown first; `y` prunes after asking)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button

from tui_backup.tui.formatting import Clock, local_time, utc_clock
from tui_backup.tui.screens._report import ReportScreen
from tui_backup.tui.screens.confirm import ConfirmScreen

if TYPE_CHECKING:
    from tui_backup.service.db_changes import DbChanges
    from tui_backup.service.profile import ProfileService
    from tui_backup.service.snapshots import PruneDecision

SAMPLE_KEYS = 5


def _count(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def _key(key: object) -> str:
    return key if isinstance(key, str) else json.dumps(key)


def render_db_changes(changes: DbChanges) -> RenderableType:
    """The same facts as `tui-backup snapshot diff`, for a screen."""
    head = Text(f"from {changes.old_id} ({local_time(changes.old_created_at)}) "
                f"to {changes.new_id} ({local_time(changes.new_created_at)})")
    if not changes.changed:
        return Group(head, Text(f"no changes ({changes.unchanged_tables} tables compared)"))
    parts: list[RenderableType] = [head]
    if changes.tables:
        table = Table("table", "status", "+ inserted", "~ updated", "- deleted", "rows before", "rows after",
                      box=None, header_style="bold", pad_edge=False)
        for t in changes.tables:
            # Text: a table's name may hold "[...]"
            table.add_row(Text(t.table), t.status, f"{t.inserted:,}", f"{t.updated:,}", f"{t.deleted:,}",
                          _count(t.rows_before), _count(t.rows_after))
        parts.append(table)
    lines: list[str] = []
    for t in changes.tables:
        for what, sample in t.samples.items():
            lines.append(f"  {t.table} {what} ({', '.join(t.keyed_by)}): {', '.join(_key(k) for k in sample)}")
        lines.extend(f"  {t.table}: column added {c}" for c in (t.columns_added if t.status == "changed" else ()))
        lines.extend(f"  {t.table}: column removed {c}" for c in t.columns_removed)
        lines.extend(f"  {t.table}: column changed {c}" for c in t.columns_changed)
        if t.note:
            lines.append(f"  {t.table}: {t.note}")
    if changes.schema:
        lines.append("schema:")
        lines.extend(f"  {s.change} {s.type} {s.name}" for s in changes.schema)
    lines.append(f"{changes.unchanged_tables} other table(s) unchanged")
    parts.append(Text("\n".join(lines)))
    return Group(*parts)


class SnapshotDiffScreen(ReportScreen["DbChanges"]):
    """Rows inserted/updated/deleted per table from the snapshot before `new_id` to it."""

    TITLE_TEXT = "Snapshot diff — row changes per table"

    BINDINGS = [Binding("escape,q", "close", "Close", id="snapshot_diff.close")]

    def __init__(self, service: ProfileService, new_id: str | None, old_id: str | None = None, *,
                 clock: Clock = utc_clock) -> None:
        super().__init__(service, clock=clock)
        self.new_id = new_id
        self.old_id = old_id

    def fetch(self) -> DbChanges:
        return self.service.db_changes(self.old_id, self.new_id, keys=SAMPLE_KEYS)

    def render_report(self, data: DbChanges) -> RenderableType:
        return render_db_changes(data)


class SnapshotPruneScreen(ReportScreen["list[PruneDecision]"]):
    """The dry run of `snapshot prune`; `y` (after a confirmation) removes what it says."""

    TITLE_TEXT = "Prune snapshots — snapshots.keep (dry run: nothing removed yet)"

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="snapshot_prune.close"),
        Binding("y", "prune", "Prune…", id="snapshot_prune.prune"),
    ]

    def fetch(self) -> list[PruneDecision]:
        return self.service.prune_snapshots(dry_run=True)

    def render_report(self, data: list[PruneDecision]) -> RenderableType:
        if not data:
            return Text("No snapshots.")
        table = Table("", "snapshot", "taken", "why", box=None, header_style="bold", pad_edge=False)
        for d in data:
            table.add_row("keep" if d.keep else "✖ remove", d.snapshot.id, local_time(d.snapshot.created_at),
                          Text(d.reason))
        removed = sum(1 for d in data if not d.keep)
        return Group(table, Text(f"{removed} to remove" if removed else "Nothing to prune."))

    def extra_buttons(self) -> ComposeResult:
        yield Button("Prune… (y)", id="prune", variant="error")

    def on_button(self, button_id: str) -> None:
        if button_id == "prune":
            self.action_prune()

    def action_prune(self) -> None:
        doomed = [d.snapshot.id for d in self.data or [] if not d.keep]
        if not doomed:
            self.notify("Nothing to prune.", severity="information")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_service("pruning snapshots", self._prune)

        self.app.push_screen(
            ConfirmScreen(f"Remove {len(doomed)} snapshot(s)?", "Removed: " + ", ".join(doomed), confirm_label="Prune"),
            answered,
        )

    def _prune(self) -> str:
        decisions = self.service.prune_snapshots(dry_run=False)
        removed = [d.snapshot.id for d in decisions if not d.keep]
        return f"pruned {len(removed)} snapshot(s)" if removed else "nothing to prune"
