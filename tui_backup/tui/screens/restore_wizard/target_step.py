"""Step 3: the target — in place (over the live data) or another directory (a snapshot:
another database file)."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tui_backup.tui.screens.restore_wizard.model import Candidate


class TargetStep(Vertical):
    """Enter picks in place; "another directory" asks for the path (Enter goes on)."""

    DEFAULT_CSS = """
    TargetStep { height: 1fr; }
    TargetStep > OptionList { height: auto; max-height: 4; }
    TargetStep > Input { display: none; margin: 1 0 0 0; }
    TargetStep.-elsewhere > Input { display: block; }
    TargetStep > #target-note { height: auto; padding: 0 1; color: $text-muted; }
    """

    class Chosen(Message):
        def __init__(self, to: Path | None) -> None:
            super().__init__()
            self.to = to

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.candidate: Candidate | None = None

    def compose(self) -> ComposeResult:
        yield OptionList(id="target-list")
        yield Input(id="target-path")
        yield Label("", id="target-note", markup=False)

    def start(self, candidate: Candidate, *, in_place_ok: bool) -> None:
        self.candidate = candidate
        options = self.query_one(OptionList)
        options.clear_options()
        if in_place_ok:
            live = "the live database" if candidate.is_snapshot else "the live data"
            options.add_option(Option(Text(f"in place: over {live} (a safety copy is kept)"), id="in-place"))
        other = "another file: a separate copy of the database" if candidate.is_snapshot \
            else "another directory: the restore point's layout, nothing live is touched"
        options.add_option(Option(Text(other), id="elsewhere"))
        options.highlighted = 0
        self.query_one(Input).placeholder = "the path of the new database file" if candidate.is_snapshot \
            else "an empty (or new) directory"
        self.set_class(False, "-elsewhere")
        note = "" if in_place_ok else "Made by another tool: it can only be restored into a directory. "
        self.query_one("#target-note", Label).update(note + "Enter picks · Esc goes back")
        options.focus()

    def focus_first(self) -> None:
        if self.has_class("-elsewhere"):
            self.query_one(Input).focus()
        else:
            self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected, "#target-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id == "in-place":
            self.set_class(False, "-elsewhere")
            self.post_message(self.Chosen(None))
        else:
            self.set_class(True, "-elsewhere")
            self.query_one(Input).focus()

    @on(Input.Submitted, "#target-path")
    def _path(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self.app.notify("Type a path first (or Esc and pick in place).", severity="warning", markup=False)
            return
        self.post_message(self.Chosen(Path(text).expanduser()))
