"""Step 5: the restore runs with live progress (its job shows in the Jobs pane too), then
the result and where the safety copy of what it replaced is."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, ProgressBar, Static

from tui_backup.jobs.events import Progress
from tui_backup.service.backup_restore import BackupRestoreResult
from tui_backup.service.restore import RestoreResult
from tui_backup.tui.formatting import display_path

SHOWN_ITEMS = 5


def render_result(result: RestoreResult | BackupRestoreResult) -> Text:
    """What was restored, and every safety copy with the command that brings it back (no
    durations: the Jobs pane has them, and the wizard's snapshot tests stay stable)."""
    out = Text()
    out.append("✔ Restored\n", style="bold")
    if isinstance(result, RestoreResult):
        out.append(f"Snapshot {result.snapshot_id} → {display_path(result.target)}: {result.rows_after:,} rows.\n")
        if result.safety_snapshot_id:
            out.append("\nSafety copy: ", style="bold")
            out.append(f"the database as it was is snapshot {result.safety_snapshot_id}\n"
                       f"  bring it back: tui-backup snapshot restore {result.safety_snapshot_id}\n")
        return out
    where = "in place" if result.in_place else f"into {display_path(result.target)}"
    out.append(f"Point {result.point} from {result.destination} {where}: {result.files_restored:,} files"
               f"{' and the database' if result.database_restored else ''}.\n")
    if result.safety_snapshot_id:
        out.append("\nDatabase safety copy: ", style="bold")
        out.append(f"snapshot {result.safety_snapshot_id}\n"
                   f"  bring it back: tui-backup snapshot restore {result.safety_snapshot_id}\n")
    items = result.safety_items
    if items:
        out.append(f"\nReplaced files, now in the trash: {len(items)}\n", style="bold")
        for item in items[:SHOWN_ITEMS]:
            out.append(f"  {display_path(item.get('original', '?'))}: trash item {item.get('id', '?')}\n"
                       f"    {item.get('restore', '')}\n")
        if len(items) > SHOWN_ITEMS:
            out.append(f"  … and {len(items) - SHOWN_ITEMS} more (tui-backup trash list)\n")
    for area in result.safety_areas:
        out.append("\nKept aside: ", style="bold")
        out.append(f"{area}\n")
    if result.in_place and not (result.safety_snapshot_id or items or result.safety_areas):
        out.append("\nNothing was replaced: no safety copy was needed.\n")
    return out


class RunStep(Vertical):
    """The running restore's activity line, then its result."""

    DEFAULT_CSS = """
    RunStep { height: 1fr; }
    RunStep > #run-scroll { height: 1fr; }
    RunStep > #run-activity { height: 1; padding: 0 1; background: $panel; }
    RunStep > #run-activity > Label { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    RunStep > #run-activity > ProgressBar { width: auto; }
    RunStep.-done > #run-activity { display: none; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="run-scroll"):
            yield Static("", id="run-text")
        with Horizontal(id="run-activity"):
            yield Label("", id="run-activity-label", markup=False)
            yield ProgressBar(total=100, show_eta=False, id="run-progress")

    def running(self, what: str) -> None:
        self.set_class(False, "-done")
        self.query_one("#run-text", Static).update(f"{what}. It shows in the Jobs pane too.")
        self.query_one("#run-activity-label", Label).update(f"{what}…")
        self.query_one(ProgressBar).update(total=None, progress=0)

    def progress(self, p: Progress) -> None:
        bar = self.query_one(ProgressBar)
        if p.fraction is None:
            bar.update(total=None)
        else:
            bar.update(total=100, progress=round(100 * min(max(p.fraction, 0.0), 1.0), 1))
        self.query_one("#run-activity-label", Label).update(f"{p.stage}: {p.message or p.current or ''}")

    def done(self, result: RestoreResult | BackupRestoreResult) -> None:
        self.set_class(True, "-done")
        text = render_result(result)
        text.append("\nEnter or Esc closes the wizard.", style="dim")
        self.query_one("#run-text", Static).update(text)

    def failed(self, message: str, hint: str) -> None:
        self.set_class(True, "-done")
        text = Text()
        text.append("✖ The restore failed\n", style="bold")
        text.append(f"{message}\n")
        if hint:
            text.append(f"{hint}\n")
        text.append("\nEnter or Esc closes the wizard.", style="dim")
        self.query_one("#run-text", Static).update(text)

    def focus_first(self) -> None:
        self.query_one("#run-scroll").focus()
