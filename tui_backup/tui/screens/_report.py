"""A modal that shows what one service call reports (stats, volumes, schedule, a diff…).

The call runs in a thread worker and posts the result back; actions on the report (adopt a
volume, install the schedule, prune) are one more service call each, after which the
report is loaded again. Escape closes; the screen is dismissed with True when an action
changed something, so the pane that opened it reloads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from rich.console import RenderableType
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Label, Static

from tui_backup.errors import TuiBackupError
from tui_backup.tui.formatting import Clock, utc_clock
from tui_backup.tui.screens._dialog import dialog_css
from tui_backup.tui.static_update import update_static

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService

DataT = TypeVar("DataT")

LOADING = "Loading…"


class ReportLoaded(Message):
    """The worker's result (`data`), or the error it met (`error`, one line + hint)."""

    def __init__(self, data: object, error: str | None = None) -> None:
        super().__init__()
        self.data = data
        self.error = error


class ActionDone(Message):
    """An action on the report ended: what to say, and whether it failed."""

    def __init__(self, text: str, failed: bool) -> None:
        super().__init__()
        self.text = text
        self.failed = failed


class ReportScreen(ModalScreen[bool], Generic[DataT]):
    """Subclasses give TITLE_TEXT, `fetch` (thread) and `render_report` (UI thread); they may
    add buttons (`extra_buttons`), widgets under the report (`extra_widgets`) and BINDINGS
    (with ids of their own: users remap them)."""

    DEFAULT_CSS = dialog_css("ReportScreen", border="$primary", width=104, muted_note=True) + """
    ReportScreen #report {
        height: auto;
        max-height: 50vh;  /* 12 rows at 80x24: the form and the buttons stay on screen */
    }
    ReportScreen #buttons {
        margin-top: 1;
    }
    """

    TITLE_TEXT: ClassVar[str] = ""

    def __init__(self, service: ProfileService, *, clock: Clock = utc_clock) -> None:
        super().__init__()
        self.service = service
        self.clock = clock
        self.data: DataT | None = None
        self.changed = False  # an action changed the profile's state
        self.busy: str | None = None

    # ---- hooks ----

    def fetch(self) -> DataT:
        """The service call (a worker thread)."""
        raise NotImplementedError

    def render_report(self, data: DataT) -> RenderableType:
        raise NotImplementedError

    def show_report(self, data: DataT) -> None:
        """Put the report on screen (override to fill a table instead)."""
        update_static(self.query_one("#view", Static), self.render_report(data))

    def report_widgets(self) -> ComposeResult:
        yield Static(LOADING, id="view")

    def extra_widgets(self) -> ComposeResult:
        yield from ()

    def extra_buttons(self) -> ComposeResult:
        yield from ()

    def on_button(self, button_id: str) -> None:
        """A button of `extra_buttons` was pressed."""

    def first_focus(self) -> Widget:
        """What has the focus when the screen opens. (Subclasses must not define on_mount:
        Textual calls the handler of every class in the MRO.)"""
        return self.query_one("#report", VerticalScroll)

    # ---- frame ----

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.TITLE_TEXT, id="title", markup=False)
            with VerticalScroll(id="report"):
                yield from self.report_widgets()
            yield from self.extra_widgets()
            yield Static("", id="note", markup=False)
            with Horizontal(id="buttons"):
                yield from self.extra_buttons()
                yield Button("Close (Esc)", id="close")

    def on_mount(self) -> None:
        self.first_focus().focus()
        self.reload()

    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def _load(self) -> None:
        try:
            data = self.fetch()
        except TuiBackupError as exc:
            self.post_message(ReportLoaded(None, _one_line(exc)))
            return
        self.post_message(ReportLoaded(data))

    def on_report_loaded(self, message: ReportLoaded) -> None:
        message.stop()
        if message.error is not None:
            update_static(self.query_one("#report").query(Static).first(), Text(f"✖ {message.error}"))
            return
        self.data = message.data  # type: ignore[assignment]  # what fetch returned
        assert self.data is not None
        self.show_report(self.data)

    # ---- actions ----

    def run_service(self, what: str, call: Callable[[], str]) -> None:
        """Run one service call (a worker thread); its string is said, then the report reloads."""
        if self.busy is not None:
            self.notify(f"Wait: {self.busy} is still running.", severity="warning")
            return
        self.busy = what
        self.query_one("#note", Static).update(f"{what}…")
        self._act(what, call)

    @work(thread=True, exclusive=True, group="report-action", exit_on_error=False)
    def _act(self, what: str, call: Callable[[], str]) -> None:
        try:
            text = call()
        except TuiBackupError as exc:
            self.post_message(ActionDone(f"✖ {what} failed: {_one_line(exc)}", True))
            return
        self.post_message(ActionDone(text, False))

    def on_action_done(self, message: ActionDone) -> None:
        message.stop()
        self.busy = None
        self.changed = self.changed or not message.failed
        self.query_one("#note", Static).update(message.text)
        self.app.notify(message.text, severity="error" if message.failed else "information", markup=False)
        self.reload()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "close":
            self.dismiss(self.changed)
        elif event.button.id is not None:
            self.on_button(event.button.id)

    def action_close(self) -> None:
        self.dismiss(self.changed)


def _one_line(exc: TuiBackupError) -> str:
    return f"{exc.message} ({exc.hint})" if exc.hint else exc.message
