"""Asking for an optional note before a new snapshot."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label


class SnapshotNoteScreen(ModalScreen[str | None]):
    """Dismissed with the note ("" for none) to go ahead, or None to cancel."""

    DEFAULT_CSS = """
    SnapshotNoteScreen {
        align: center middle;
    }
    SnapshotNoteScreen > #dialog {
        width: 70;
        max-width: 100%;
        height: auto;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    SnapshotNoteScreen #title {
        text-style: bold;
        margin-bottom: 1;
    }
    SnapshotNoteScreen Input {
        margin-bottom: 1;
    }
    SnapshotNoteScreen #buttons {
        height: auto;
        align-horizontal: right;
    }
    SnapshotNoteScreen Button {
        margin-left: 2;
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="snapshot_note.cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("New snapshot of the database", id="title")
            yield Input(placeholder="Note (optional), then Enter", id="note", max_length=200)
            with Horizontal(id="buttons"):
                yield Button("Cancel (Esc)", id="cancel")
                yield Button("Create (Enter)", id="create", variant="primary")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "create":
            self.dismiss(self.query_one("#note", Input).value.strip())
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
