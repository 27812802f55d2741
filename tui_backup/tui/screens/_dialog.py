"""The centred dialog the modals share: its CSS, and the restore dry-run dialog."""

from __future__ import annotations

from typing import Generic, TypeVar

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

PlanT = TypeVar("PlanT")

_FRAME_CSS = """
{name} {{
    align: center middle;
}}
{name} > #dialog {{
    width: {width};
    max-width: 100%;
    height: auto;
    max-height: 100%;
    padding: 0 1;
    border: thick {border};
    background: $surface;
}}
{name} #title {{
    text-style: bold;
    width: 100%;
}}
{name} #buttons {{
    height: auto;
    align-horizontal: right;
}}
{name} Button {{
    margin-left: 2;
}}
"""

_MUTED_NOTE_CSS = """
{name} #note {{
    color: $text-muted;
}}
"""


def dialog_css(name: str, *, border: str, width: int, muted_note: bool = False) -> str:
    """DEFAULT_CSS for screen class `name`: a #dialog box in the middle with a bold #title
    and right-aligned #buttons (a #note in muted text when `muted_note`)."""
    css = _FRAME_CSS.format(name=name, border=border, width=width)
    return css + _MUTED_NOTE_CSS.format(name=name) if muted_note else css


class PlanScreen(ModalScreen[bool], Generic[PlanT]):
    """A restore's dry run; dismissed with True to go on to the confirmation.

    Cancel has the focus at first, so a stray Enter never goes on. A subclass renders its
    plan (and may add a footnote); it keeps its own DEFAULT_CSS and BINDINGS (with ids of
    its own, for user keymaps) for the actions `cancel` and `proceed`.
    """

    def __init__(self, plan: PlanT) -> None:
        super().__init__()
        self.plan = plan

    def plan_view(self) -> RenderableType:
        """The plan as text."""
        raise NotImplementedError

    def footnote(self) -> str | None:
        """A line under the plan (None: none)."""
        return None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Restore — dry run (nothing has changed yet)", id="title")
            with VerticalScroll(id="plan"):
                yield Static(self.plan_view())
            note = self.footnote()
            if note is not None:
                yield Static(note, id="note")
            with Horizontal(id="buttons"):
                yield Button("Cancel (Esc)", id="cancel")
                yield Button("Continue… (c)", id="continue", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "continue")

    def action_proceed(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
