"""A file's history (from the Journal pane): every recorded version and what still holds it.

Thin on purpose: it shows what `svc.file_history` found and is dismissed with the holder to
bring back (or None); the Journal pane asks where to and confirms, then calls the service.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from tui_backup.tui.formatting import Clock, display_path, human_bytes, short_time, utc_clock
from tui_backup.tui.screens._dialog import dialog_css
from tui_backup.tui.widgets._operations import selected_key

if TYPE_CHECKING:
    from tui_backup.service.history import FileHistory, VersionHolder

ACTION_WORDS = {"file.scan": "first scan", "file.added": "added", "file.modified": "modified",
                "file.deleted": "deleted", "file.renamed": "renamed"}


def holder_text(holder: VersionHolder) -> str:
    """The holder's label, paths under the home written with `~`."""
    mark = " ✔" if holder.confirmed else (" ✖ unconfirmed" if holder.confirmed is False else "")
    home = os.path.expanduser("~")
    label = holder.label.replace(home + os.sep, "~" + os.sep) if home not in ("", "/") else holder.label
    return f"{label}{mark}"


class FileHistoryScreen(ModalScreen["VersionHolder | None"]):
    """Versions oldest first, one row per holder; Enter (or r) brings the selected one back."""

    DEFAULT_CSS = dialog_css("FileHistoryScreen", border="$primary", width=110) + """
    FileHistoryScreen DataTable { height: auto; max-height: 20; }
    FileHistoryScreen #command { height: auto; max-height: 4; color: $text-muted; }
    """

    BINDINGS = [
        Binding("escape,q", "cancel", "Close", id="file_history.close"),
        Binding("enter,r", "bring_back", "Bring back…", id="file_history.bring_back", priority=True),
    ]

    def __init__(self, history: FileHistory, *, clock: Clock = utc_clock) -> None:
        super().__init__()
        self.history = history
        self.clock = clock
        self.holders: dict[str, VersionHolder] = {}

    def compose(self) -> ComposeResult:
        count = len(self.history.versions)
        with Vertical(id="dialog"):
            yield Label(f"History of {display_path(self.history.path)} — {count} version{'s' if count != 1 else ''}",
                        id="title", markup=False)
            yield DataTable(cursor_type="row", zebra_stripes=True, id="versions")
            yield Static("", id="command", markup=False)
            yield Static("Enter / r bring the selected version back · Esc close" +
                         "".join(f"\n▲ {w}" for w in self.history.warnings), id="keys", markup=False)

    def on_mount(self) -> None:
        table = self.query_one("#versions", DataTable)
        for label, key, width in (("When", "when", 11), ("Version", "action", 11), ("Size", "size", 7),
                                  ("SHA-256", "sha", 8), ("Held by", "holder", None)):
            table.add_column(label, key=key, width=width)
        now: datetime = self.clock()
        for vi, v in enumerate(self.history.versions):
            first = (short_time(v.at, now), ACTION_WORDS.get(v.action, v.action),
                     human_bytes(v.size) if v.size is not None else "—", (v.sha256 or "—")[:8])
            if not v.holders:
                nothing = "— (deleted)" if v.deleted else "— nothing holds it any more"
                table.add_row(*first, nothing, key=f"{vi}")
            for hi, h in enumerate(v.holders):
                key = f"{vi}:{hi}"
                self.holders[key] = h
                cells = first if hi == 0 else ("", "", "", "")
                table.add_row(*cells, escape(holder_text(h)), key=key)  # escape(): paths may hold "[...]"
        if table.row_count:
            table.move_cursor(row=table.row_count - 1)  # the newest version
        table.focus()
        self._show_command()

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_command()

    def _selected(self) -> VersionHolder | None:
        return self.holders.get(selected_key(self.query_one("#versions", DataTable)) or "")

    def _show_command(self) -> None:
        h = self._selected()
        text = "" if h is None else ("This is the file as it is now." if h.kind == "live" else f"$ {h.command}")
        self.query_one("#command", Static).update(text)

    def action_bring_back(self) -> None:
        h = self._selected()
        if h is None:
            self.notify("Nothing holds this version: choose a row that names a holder.", severity="warning")
        elif h.kind == "live":
            self.notify("This version is the live file already.", severity="information")
        else:
            self.dismiss(h)

    def action_cancel(self) -> None:
        self.dismiss(None)
