"""The Export screen (`tui-backup export` in the app): every table of the application's
SQLite database — the live one (read-only; the app keeps writing) or a snapshot — as CSV
files, one JSON document, or JSON lines, into a directory."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select

from tui_backup.tui.formatting import Clock, local_time, utc_clock
from tui_backup.tui.screens._report import ReportScreen

if TYPE_CHECKING:
    from tui_backup.catalog.snapshots import SnapshotRecord
    from tui_backup.service.export import ExportResult
    from tui_backup.service.profile import ProfileService

LIVE = "live"
# (label, (format, one file per table as JSON lines))
FORMATS: tuple[tuple[str, str], ...] = (("CSV (a file per table)", "csv"), ("JSON (one document)", "json"),
                                        ("JSON lines (a file per table)", "jsonl"))
NOTE = ("JSON keeps the types (BLOBs as {\"$base64\": …}); CSV quotes text, an empty unquoted cell is NULL, "
        "BLOBs are base64:…")


def default_out_dir(profile: str, now: datetime) -> str:
    """~/PROFILE-export-TIME: the CLI's default is the current directory, which means little in the app."""
    return f"~/{profile}-export-{now:%Y%m%d-%H%M%S}"


def describe(result: ExportResult) -> str:
    source = "the live database" if result.source == LIVE else f"snapshot {result.source}"
    lines = [f"✔ exported {len(result.tables)} table(s), {result.row_count:,} rows from {source} into {result.out_dir}"]
    lines.extend(f"▲ {w}" for w in result.warnings)
    return "\n".join(lines)


class ExportScreen(ReportScreen["list[SnapshotRecord]"]):
    TITLE_TEXT = "Export the database as CSV or JSON"

    DEFAULT_CSS = """
    ExportScreen #report { max-height: 4; }
    ExportScreen .field { height: auto; }
    ExportScreen .field > Label { width: 8; padding-top: 1; }
    ExportScreen .field > Select, ExportScreen .field > Input { width: 1fr; }
    """

    BINDINGS = [Binding("escape", "close", "Close", id="export.close")]

    def __init__(self, service: ProfileService, *, snapshot_id: str | None = None, clock: Clock = utc_clock) -> None:
        super().__init__(service, clock=clock)
        self.snapshot_id = snapshot_id
        self._filled = False  # the source list was filled once: keep the user's choice after that

    def fetch(self) -> list[SnapshotRecord]:
        return self.service.list_snapshots()

    def render_report(self, data: list[SnapshotRecord]) -> RenderableType:
        return Text(NOTE)

    def show_report(self, data: list[SnapshotRecord]) -> None:
        super().show_report(data)
        source = self.query_one("#source", Select)
        wanted = source.value if self._filled else self.snapshot_id
        self._filled = True
        source.set_options([("the live database", LIVE),
                            *((f"snapshot {s.id} ({local_time(s.created_at)})", s.id) for s in data)])
        source.value = wanted if wanted in {s.id for s in data} else LIVE

    def extra_widgets(self) -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label("From")
            yield Select([("the live database", LIVE)], value=LIVE, allow_blank=False, id="source")
        with Horizontal(classes="field"):
            yield Label("Format")
            yield Select(FORMATS, value="csv", allow_blank=False, id="format")
        with Horizontal(classes="field"):
            yield Label("Into")
            yield Input(default_out_dir(self.service.config.name, self.clock()), id="out",
                        placeholder="a new directory, e.g. ~/exports/today")

    def extra_buttons(self) -> ComposeResult:
        yield Button("Export (Enter)", id="export", variant="primary")

    def first_focus(self) -> Widget:
        return self.query_one("#out", Input)

    def on_button(self, button_id: str) -> None:
        if button_id == "export":
            self.action_export()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_export()

    def action_export(self) -> None:
        out_text = self.query_one("#out", Input).value.strip()
        if not out_text:
            self.notify("Type the directory to export into first (Esc closes).", severity="warning")
            return
        out = Path(out_text).expanduser()
        source = str(self.query_one("#source", Select).value)
        fmt = str(self.query_one("#format", Select).value)
        snapshot_id = None if source == LIVE else source
        self.run_service("exporting", lambda: self._export(fmt, snapshot_id, out))

    def _export(self, fmt: str, snapshot_id: str | None, out: Path) -> str:
        lines = fmt == "jsonl"
        result = self.service.export_data("json" if lines else fmt, snapshot_id=snapshot_id, out=out, lines=lines)
        return describe(result)
