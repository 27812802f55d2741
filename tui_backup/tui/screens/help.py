"""The help screen (`?`): every key in effect — the current pane's and the app's — with its id.

The rows come from the bindings themselves (tui.commands.binding_entries), so the screen
shows the keys a user keymap gave them and the ids to remap them with.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from tui_backup.tui.commands import BindingEntry, binding_entries, pane_title
from tui_backup.tui.formatting import display_path
from tui_backup.tui.screens._dialog import dialog_css

# Fits 80 columns inside the dialog's border and padding (cells add 2 each).
COLUMNS = (("Key", "key", 12), ("Action", "action", 32), ("Id", "id", 24))


class HelpScreen(ModalScreen[None]):
    """Scrollable table of keys: the screen's (the pane's) first, then the app's."""

    DEFAULT_CSS = dialog_css("HelpScreen", border="$primary", width=84, muted_note=True) + """
    HelpScreen > #dialog {
        height: 100%;
    }
    HelpScreen #help-table {
        height: 1fr;
    }
    HelpScreen #note {
        width: 100%;
    }
    """

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

    def __init__(self, entries: list[BindingEntry], *, place: str = "", config_file: str = "") -> None:
        super().__init__()
        self.entries = entries
        self.place = place  # "Snapshots pane" ("" on a screen without panes)
        self.config_file = config_file

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Keys — {self.place}" if self.place else "Keys", id="title", markup=False)
            yield DataTable[Text](id="help-table", cursor_type="row", zebra_stripes=True)
            where = f" of {display_path(self.config_file)}" if self.config_file else ""
            yield Label(f'Remap in [tui.keymap]{where}: id = "keys".  ctrl+p: every command.  esc/q/?: close',
                        id="note", markup=False)

    def on_mount(self) -> None:
        table: DataTable[Text] = self.query_one("#help-table", DataTable)
        for label, key, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        mine = [e for e in self.entries if e.scope != "app"]
        app = [e for e in self.entries if e.scope == "app"]
        for heading, entries in ((self.place or "This screen", mine), ("App", app)):
            if not entries:
                continue
            table.add_row(Text(heading, style="bold"), Text(), Text(), key=f"section:{heading}")
            for e in entries:
                style = "" if e.enabled else "dim"
                table.add_row(Text(", ".join(e.keys), style=style), Text(e.label, style=style),
                              Text(e.binding_id, style=style), key=f"{id(e.node)}:{e.binding_id}")
        table.focus()


def open_help(app: App[Any], config_file: str = "") -> None:
    """Show the keys in effect on the app's current screen (not again over itself)."""
    if isinstance(app.screen, HelpScreen):
        return
    pane = pane_title(app) if app.screen is app.screen_stack[0] else ""
    app.push_screen(HelpScreen(binding_entries(app.screen), place=f"{pane} pane" if pane else "",
                               config_file=config_file))


__all__ = ["HelpScreen", "open_help"]
