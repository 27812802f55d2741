"""The Config screen (`tui-backup config path|show|get|set|validate` in the app): every
key of the profile's config with its value — `(default)` where the file does not set it —
and `e` to change the selected one through the same service as `config set` (tomlkit:
the file's comments kept; an invalid result refused; journaled). Values that may hold a
secret are masked, as in the journal."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import RenderableType
from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Button, DataTable, Static

from tui_backup.tui.formatting import display_path
from tui_backup.tui.screens._report import LOADING, ReportScreen
from tui_backup.tui.screens.prompts import PathPromptScreen
from tui_backup.tui.static_update import update_static
from tui_backup.tui.widgets._operations import selected_key


@dataclass(frozen=True)
class ConfigValue:
    key: str  # SECTION.KEY
    text: str  # as TOML (masked when it may hold a secret)
    is_set: bool  # False: the default
    help: str


def toml_text(value: Any) -> str:
    import tomlkit

    return str(tomlkit.item(value).as_string()) if value is not None else ""


def shown_text(text: str) -> str:
    """A value as listed: a path or an sqlite URL under the home directory as ~/… (display only)."""
    if len(text) > 1 and text[0] == text[-1] == '"':
        return f'"{display_path(text[1:-1])}"'
    return text


def read_values(path: Path) -> list[ConfigValue]:
    """Every key of every section, as `tui-backup config show` lists them."""
    from tui_backup.config import SECTIONS, ConfigDocument
    from tui_backup.service.config_edit import journal_details

    doc = ConfigDocument(path)
    values: list[ConfigValue] = []
    for section in SECTIONS:
        table = doc.doc.get(section.name)
        for k in section.keys:
            key = f"{section.name}.{k.name}"
            value = journal_details(key, doc.get(key), None, "")["before"]
            values.append(ConfigValue(key, toml_text(value), table is not None and k.name in table, k.help))
    return values


class ConfigScreen(ReportScreen["list[ConfigValue]"]):
    TITLE_TEXT = "Config"

    DEFAULT_CSS = """
    ConfigScreen #config-keys { height: auto; max-height: 30vh; }
    ConfigScreen #config-help { height: auto; color: $text-muted; }
    """

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="config.close"),
        Binding("e", "edit", "Set…", id="config.set"),
        Binding("v", "validate", "Validate", id="config.validate"),
    ]

    @property
    def table(self) -> DataTable[str]:
        return self.query_one("#config-keys", DataTable)

    def report_widgets(self) -> ComposeResult:
        yield Static(LOADING, id="config-path", markup=False)
        table: DataTable[str] = DataTable(id="config-keys", cursor_type="row")
        table.add_columns("key", "", "value")
        yield table
        yield Static("", id="config-help", markup=False)

    def extra_buttons(self) -> ComposeResult:
        yield Button("Validate (v)", id="validate")
        yield Button("Set… (e)", id="edit", variant="primary")

    def first_focus(self) -> Widget:
        return self.table

    def fetch(self) -> list[ConfigValue]:
        return read_values(Path(self.service.config.file))

    def render_report(self, data: list[ConfigValue]) -> RenderableType:
        return Text(f"{display_path(self.service.config.file)} — e sets the selected key "
                    "(comments and layout kept; an invalid value is refused)")

    def show_report(self, data: list[ConfigValue]) -> None:
        update_static(self.query_one("#config-path", Static), self.render_report(data))
        table = self.table
        keep = selected_key(table)
        table.clear()
        for v in data:
            table.add_row(v.key, "" if v.is_set else "default", escape(shown_text(v.text)), key=v.key)  # a value may hold "[...]"
        if keep is not None and keep in {v.key for v in data}:
            table.move_cursor(row=table.get_row_index(keep))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        value = self._value(event.row_key.value)
        self.query_one("#config-help", Static).update(value.help if value is not None else "")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()  # Enter on a key: set it
        self.action_edit()

    def _value(self, key: str | None) -> ConfigValue | None:
        return next((v for v in self.data or [] if v.key == key), None)

    def on_button(self, button_id: str) -> None:
        if button_id == "edit":
            self.action_edit()
        elif button_id == "validate":
            self.action_validate()

    def action_edit(self) -> None:
        value = self._value(selected_key(self.table))
        if value is None:
            self.notify("No key selected.", severity="warning")
            return
        key = value.key

        def chosen(text: str | None) -> None:
            if text is not None:
                self.run_service(f"setting {key}", lambda: self._set(key, text))

        from tui_backup.service.journal import REDACTED

        # A masked secret is not shown back; a string is edited without its quotes.
        shown = "" if value.text == toml_text(REDACTED) or not value.is_set else value.text.strip('"')
        self.app.push_screen(PathPromptScreen(
            f"Set {key}", f"{value.help}\nLists: comma-separated. As `tui-backup config set {key} VALUE`.",
            value=shown, allow_empty=True, ok_label="Set"), chosen)

    def _set(self, key: str, text: str) -> str:
        from tui_backup.service.config_edit import journal_details, set_value

        change = set_value(self.service, key, text, raw=True)
        shown = journal_details(key, change.after, None, "")["before"]
        warn = "".join(f"\n▲ {w}" for w in change.warnings)
        return f"{key} = {toml_text(shown)}{'' if change.changed else ' (unchanged)'}{warn}"

    def action_validate(self) -> None:
        self.run_service("validating the config", self._validate)

    def _validate(self) -> str:
        from tui_backup.config import load_config

        config = load_config(Path(self.service.config.file), check_paths=True)
        warn = "".join(f"\n▲ {w}" for w in config.warnings)
        return f"✔ {display_path(self.service.config.file)}: valid (profile {config.name}){warn}"

