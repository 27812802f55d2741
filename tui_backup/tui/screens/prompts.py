"""Small prompts the Trash and Journal panes ask: a path, an export, the journal's filter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from tui_backup.tui.screens._dialog import dialog_css

T = TypeVar("T")


class _Prompt(ModalScreen[T]):
    """What both prompts share: Enter in the input or the ok button submits; Esc or cancel
    dismisses with None."""

    def _submit(self) -> None:
        raise NotImplementedError

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PathPromptScreen(_Prompt[str | None]):
    """Ask for a path: dismissed with the text (stripped; "" only when `allow_empty`), or
    None on Escape / Cancel."""

    DEFAULT_CSS = dialog_css("PathPromptScreen", border="$primary", width=72, muted_note=True) + """
    PathPromptScreen Input { margin: 1 0; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="path_prompt.cancel")]

    def __init__(self, title: str, note: str, *, value: str = "", placeholder: str = "",
                 allow_empty: bool = False, ok_label: str = "OK") -> None:
        super().__init__()
        self._title = title
        self._note = note
        self._value = value
        self._placeholder = placeholder
        self._allow_empty = allow_empty
        self._ok_label = ok_label

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self._title, id="title", markup=False)
            yield Static(self._note, id="note", markup=False)
            yield Input(self._value, placeholder=self._placeholder, id="path")
            with Horizontal(id="buttons"):
                yield Button("Cancel (Esc)", id="cancel")
                yield Button(f"{self._ok_label} (Enter)", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def _submit(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        if text or self._allow_empty:
            self.dismiss(text)
        else:
            self.notify("Type a path first (Esc cancels).", severity="warning")


class ExportPromptScreen(_Prompt[tuple[str, str] | None]):
    """Ask for an export's format and file: dismissed with (format, path) or None."""

    DEFAULT_CSS = dialog_css("ExportPromptScreen", border="$primary", width=72, muted_note=True) + """
    ExportPromptScreen Select { margin-top: 1; }
    ExportPromptScreen Input { margin-bottom: 1; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="export_prompt.cancel")]

    def __init__(self, title: str, note: str, formats: tuple[str, ...], *, value: str = "") -> None:
        super().__init__()
        self._title = title
        self._note = note
        self._formats = formats
        self._value = value

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self._title, id="title", markup=False)
            yield Static(self._note, id="note", markup=False)
            yield Select([(f, f) for f in self._formats], value=self._formats[0], allow_blank=False, id="format")
            yield Input(self._value, placeholder="file to write (e.g. ~/journal.json)", id="path")
            with Horizontal(id="buttons"):
                yield Button("Cancel (Esc)", id="cancel")
                yield Button("Export (Enter)", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @property
    def _format(self) -> str:
        return str(self.query_one("#format", Select).value)

    def on_select_changed(self, event: Select.Changed) -> None:
        # Keep the file's extension in step with the format (only a name we suggested).
        path = self.query_one("#path", Input)
        for fmt in self._formats:
            if path.value.endswith(f".{fmt}"):
                path.value = path.value[: -len(fmt)] + str(event.value)
                break

    def _submit(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        if text:
            self.dismiss((self._format, text))
        else:
            self.notify("Type the file to write first (Esc cancels).", severity="warning")


@dataclass(frozen=True)
class JournalFilter:
    """What the Journal pane lists: None means "any" (globs allowed in action and target)."""

    action: str | None = None
    target: str | None = None
    since: str | None = None
    until: str | None = None

    @property
    def active(self) -> bool:
        return any((self.action, self.target, self.since, self.until))

    def describe(self) -> str:
        parts = [f"{k} {v}" for k, v in (("action", self.action), ("target", self.target),
                                          ("since", self.since), ("until", self.until)) if v]
        return ", ".join(parts) if parts else "all entries"


_FILTER_FIELDS = (
    ("action", "Action", "e.g. file.* or snapshot.create"),
    ("target", "Target", "glob, e.g. */photos/*"),
    ("since", "Since", "ISO time, e.g. 2026-11-01 (UTC)"),
    ("until", "Until", "ISO time (UTC), before this"),
)


class JournalFilterScreen(ModalScreen[JournalFilter | None]):
    """Edit the Journal pane's filter; Enter applies (empty fields: any), Escape cancels."""

    DEFAULT_CSS = dialog_css("JournalFilterScreen", border="$primary", width=64) + """
    JournalFilterScreen .field { height: 1; margin-top: 1; }
    JournalFilterScreen .field > Label { width: 8; }
    JournalFilterScreen .field > Input { width: 1fr; }
    JournalFilterScreen #buttons { margin-top: 1; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="journal_filter.cancel")]

    def __init__(self, current: JournalFilter) -> None:
        super().__init__()
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Filter the journal (empty: any)", id="title")
            for key, label, hint in _FILTER_FIELDS:
                with Horizontal(classes="field"):
                    yield Label(label, markup=False)
                    yield Input(getattr(self._current, key) or "", placeholder=hint, id=f"filter-{key}", compact=True)
            with Horizontal(id="buttons"):
                yield Button("Clear", id="clear")
                yield Button("Cancel (Esc)", id="cancel")
                yield Button("Apply (Enter)", id="apply", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#filter-action", Input).focus()

    def _value(self) -> JournalFilter:
        def get(key: str) -> str | None:
            return self.query_one(f"#filter-{key}", Input).value.strip() or None

        return JournalFilter(get("action"), get("target"), get("since"), get("until"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(self._value())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self.dismiss(self._value())
        elif event.button.id == "clear":
            self.dismiss(JournalFilter())
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
