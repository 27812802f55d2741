"""The profile picker ("P"): every profile with its health; choosing one re-opens the app
on it (the launcher in tui/__init__.py runs the next app), "n" creates a new one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, Static

from tui_backup import clock
from tui_backup.errors import TuiBackupError
from tui_backup.service.profiles import (
    HEALTH_ERROR,
    ProfileEntry,
    ProfileHealth,
    check_opens,
    profile_entries,
    profile_health,
)
from tui_backup.tui.formatting import age, display_path, health_label
from tui_backup.tui.screens._dialog import dialog_css
from tui_backup.tui.static_update import update_static

if TYPE_CHECKING:
    from tui_backup.tui.app import BackupApp

CHECKING = "… checking"
SUMMARY_WIDTH = 40  # the whole line is shown under the table, for the selected profile


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def health_text(health: ProfileHealth | None) -> str:
    if health is None:
        return CHECKING
    if health.health == HEALTH_ERROR:
        return "✖ cannot open"
    return health_label(health.health)


def last_backup_text(health: ProfileHealth) -> str:
    """As `tui-backup profiles`: the newest backup's age, or "never"."""
    if health.health == HEALTH_ERROR:
        return ""
    return age(health.last_backup_at, clock.now()) if health.last_backup_at else "never"


def tilde(text: str) -> str:
    """Paths inside a message with the home directory written as `~` (as display_path)."""
    home = os.path.expanduser("~")
    return text.replace(home + os.sep, "~" + os.sep) if home not in ("", "/") else text


class ProfilePicker(ModalScreen[Path | None]):
    """Pick a profile: dismissed with its config file, or None (Escape, or the open one)."""

    DEFAULT_CSS = dialog_css("ProfilePicker", border="$primary", width=100, muted_note=True) + """
    ProfilePicker #profiles { height: auto; max-height: 12; margin-top: 1; }
    ProfilePicker #detail { height: auto; margin-top: 1; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="profiles.cancel"),
        Binding("n", "new_profile", "New profile…", id="profiles.new"),
    ]

    class HealthLoaded(Message):
        """One profile's health, from the worker."""

        def __init__(self, health: ProfileHealth) -> None:
            super().__init__()
            self.health = health

    def __init__(self, current: Path | None = None) -> None:
        super().__init__()
        self.current = current.resolve() if current is not None else None
        self.entries: list[ProfileEntry] = profile_entries(self.current)
        self.healths: dict[Path, ProfileHealth] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Profiles — Enter opens one, n creates a new one", id="title")
            table: DataTable[str] = DataTable(id="profiles", cursor_type="row", zebra_stripes=True)
            yield table
            yield Static("", id="detail", markup=False)
            if self.current is not None:
                yield Static("Running jobs go on; the app re-opens on the chosen profile.", id="note")
            with Horizontal(id="buttons"):
                yield Button("Cancel (Esc)", id="cancel")
                yield Button("New profile… (n)", id="new")
                yield Button("Open (Enter)", id="open", variant="primary")

    def on_mount(self) -> None:
        table = self.query_one("#profiles", DataTable)
        table.add_column(" ", key="current", width=1)
        table.add_column("Profile", key="name")
        table.add_column("Health", key="health", width=14)
        table.add_column("Last backup", key="last_backup", width=12)
        table.add_column("Details", key="summary")
        for entry in self.entries:
            mark = "●" if entry.config == self.current else " "
            table.add_row(mark, escape(entry.name), CHECKING, "", "", key=str(entry.config))
        if not self.entries:
            update_static(self.query_one("#detail", Static), "No profile yet: press n to create one.")
        else:
            index = next((i for i, e in enumerate(self.entries) if e.config == self.current), 0)
            table.move_cursor(row=index)
            self._show_detail()
        table.focus()
        self._load_health([e.config for e in self.entries])

    @work(thread=True, exclusive=True, group="profile-health", exit_on_error=False)
    def _load_health(self, configs: list[Path]) -> None:
        # One profile at a time, each row as soon as it is known (one may be slow: a volume).
        for config in configs:
            self.post_message(self.HealthLoaded(profile_health(config)))

    def on_profile_picker_health_loaded(self, message: ProfilePicker.HealthLoaded) -> None:
        health = message.health
        self.healths[health.config] = health
        table = self.query_one("#profiles", DataTable)
        key = str(health.config)
        table.update_cell(key, "health", health_text(health))
        table.update_cell(key, "last_backup", last_backup_text(health))
        table.update_cell(key, "summary", escape(_cut(tilde(health.summary), SUMMARY_WIDTH)), update_width=True)
        self._show_detail()

    def _selected(self) -> ProfileEntry | None:
        table = self.query_one("#profiles", DataTable)
        if not self.entries or table.cursor_row < 0:
            return None
        return self.entries[min(table.cursor_row, len(self.entries) - 1)]

    def _show_detail(self) -> None:
        entry = self._selected()
        if entry is None:
            return
        health = self.healths.get(entry.config)
        lines = [f"{entry.name}: {display_path(entry.config)}"]
        if health is not None and health.summary:
            lines.append(f"{health_text(health)} — {tilde(health.summary)}")
        if health is not None and health.health != HEALTH_ERROR:
            lines.append(f"last backup: {last_backup_text(health)}")
        if entry.config == self.current:
            lines.append("● open now")
        update_static(self.query_one("#detail", Static), "\n".join(lines))

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "open":
            self.action_open()
        elif event.button.id == "new":
            self.action_new_profile()
        else:
            self.action_cancel()

    def action_open(self) -> None:
        entry = self._selected()
        if entry is None:
            self.notify("No profile to open: press n to create one.", severity="warning")
            return
        if entry.config == self.current:
            self.dismiss(None)  # already open
            return
        try:
            check_opens(entry.config)
        except TuiBackupError as exc:
            hint = f"\n{exc.hint}" if exc.hint else ""
            self.notify(f"{exc.message}{hint}", title=f"✖ cannot open {entry.name}", severity="error",
                        timeout=12, markup=False)
            return
        self.dismiss(entry.config)

    def action_new_profile(self) -> None:
        from tui_backup.tui.screens.first_run import FirstRunScreen

        def created(config: Path | None) -> None:
            if config is not None:
                self.dismiss(config)

        self.app.push_screen(FirstRunScreen(), created)

    def action_cancel(self) -> None:
        self.dismiss(None)


def open_profile_picker(app: BackupApp) -> None:
    """Show the picker over the app; choosing another profile ends this app with
    `app.switch_to` set, and the launcher (tui/__init__.py) opens the next one. Jobs this
    app started still running: asked first, as when quitting (screens/quit.py)."""
    from tui_backup.tui.screens.quit import leave_app

    def chosen(config: Path | None) -> None:
        if config is None:
            return

        def switch() -> None:
            app.switch_to = config

        leave_app(app, app.service, leaving=f"switching to profile {config.stem}", before_exit=switch)

    app.push_screen(ProfilePicker(app.service.config.file), chosen)
