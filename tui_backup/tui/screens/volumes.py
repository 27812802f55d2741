"""The Volumes screen (`tui-backup volumes` and `volumes adopt` in the app): every place the
profile reads from or writes to (layer 0), its state and free space; `a` adopts what is
mounted at the selected volume's path (a drive that was really replaced), after asking."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import RenderableType
from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Button, DataTable, Static

from tui_backup.tui.formatting import display_path, human_bytes, volume_label
from tui_backup.tui.screens._report import LOADING, ReportScreen
from tui_backup.tui.screens.confirm import ConfirmScreen
from tui_backup.tui.static_update import update_static
from tui_backup.tui.widgets._operations import selected_key

if TYPE_CHECKING:
    from tui_backup.service.volumes import VolumeStatus

COLUMNS = ("volume", "role", "state", "free", "path")


class VolumesScreen(ReportScreen["list[VolumeStatus]"]):
    TITLE_TEXT = "Volumes (layer 0)"

    DEFAULT_CSS = """
    VolumesScreen #volumes { height: auto; }
    VolumesScreen #hints { height: auto; }
    """

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="volumes.close"),
        Binding("a", "adopt", "Adopt…", id="volumes.adopt"),
        Binding("f5", "reload", "Refresh", id="volumes.refresh"),
    ]

    def report_widgets(self) -> ComposeResult:
        table: DataTable[str] = DataTable(id="volumes", cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield Static(LOADING, id="hints")

    def extra_buttons(self) -> ComposeResult:
        yield Button("Adopt… (a)", id="adopt", variant="warning")

    def first_focus(self) -> Widget:
        return self.table

    @property
    def table(self) -> DataTable[str]:
        return self.query_one("#volumes", DataTable)

    def fetch(self) -> list[VolumeStatus]:
        return self.service.volume_statuses()

    def render_report(self, data: list[VolumeStatus]) -> RenderableType:
        """The hints under the table: what to do about each volume that is not online."""
        lines = [f"▲ {v.name}: {v.detail}" + (f" — {v.hint}" if v.hint else "") for v in data if not v.ok]
        return Text("\n".join(lines) if lines else "✔ every volume is online")

    def show_report(self, data: list[VolumeStatus]) -> None:
        table = self.table
        keep = selected_key(table) if table.row_count else None
        table.clear()
        for v in data:
            table.add_row(v.name, v.role, volume_label(str(v.state)), human_bytes(v.free_bytes),
                          escape(display_path(v.path)), key=v.name)  # escape(): a path may hold "[...]"
        if keep is not None and keep in {v.name for v in data}:
            table.move_cursor(row=table.get_row_index(keep))
        update_static(self.query_one("#hints", Static), self.render_report(data))

    def action_reload(self) -> None:
        self.reload()

    def on_button(self, button_id: str) -> None:
        if button_id == "adopt":
            self.action_adopt()

    def action_adopt(self) -> None:
        name = selected_key(self.table)
        volume = next((v for v in self.data or [] if v.name == name), None)
        if volume is None:
            self.notify("No volume selected.", severity="warning")
            return
        vol_name = volume.name

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_service(f"adopting volume {vol_name}", lambda: self._adopt(vol_name))

        self.app.push_screen(
            ConfirmScreen(
                f"Adopt volume {volume.name}?",
                f"What is mounted at {volume.path} becomes volume {volume.name} from now on "
                f"(now: {volume_label(str(volume.state))}). Only for a drive that was really replaced.",
                confirm_label="Adopt",
            ),
            answered,
        )

    def _adopt(self, name: str) -> str:
        marker = self.service.adopt_volume(name)
        return f"volume {name} adopted; marker id {marker}"
