"""The first-run screen: `tui-backup init` as a form (or "open the demo").

Shown when the app starts with no profile at all, and from the profile picker ("n").
Dismissed with the new profile's config file, or None (Escape).
"""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from tui_backup.errors import TuiBackupError
from tui_backup.service.profiles import database_url, new_profile_problems, split_paths
from tui_backup.tui.static_update import update_static

# field id -> (label, placeholder)
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("name", "Name", "e.g. myapp (letters, digits, - and _)"),
    ("database", "Database", "/path/to/app.db, sqlite:///… or postgresql://user@host:5432/db"),
    ("files", "Files dirs", "directories of the app's files, comma-separated (optional)"),
    ("config_files", "Config files", "the app's config files, comma-separated (optional)"),
    ("description", "Description", "shown in the app's header (optional)"),
)


class FirstRunScreen(Screen[Path | None]):
    """Create a profile (the same service call as `tui-backup init`), or the demo's."""

    DEFAULT_CSS = """
    FirstRunScreen { align-horizontal: center; }
    FirstRunScreen > #form { width: 100%; max-width: 100; height: 1fr; padding: 0 1; }
    FirstRunScreen #title { text-style: bold; margin-top: 1; }
    FirstRunScreen #intro { color: $text-muted; margin-bottom: 1; }
    FirstRunScreen .row { height: 1; margin-top: 1; }
    FirstRunScreen .row > Label { width: 14; }
    FirstRunScreen .row > Input { width: 1fr; background: $boost; }
    FirstRunScreen .problem { color: $error; padding-left: 14; height: auto; display: none; }
    FirstRunScreen .problem.-shown { display: block; }
    FirstRunScreen #buttons { height: auto; margin-top: 1; }
    FirstRunScreen #buttons > Button { margin-right: 2; }
    FirstRunScreen #state { color: $text-muted; height: auto; margin-top: 1; }
    """

    BINDINGS = [
        Binding("ctrl+s", "create", "Create profile", id="first_run.create"),
        Binding("f2", "demo", "Open the demo", id="first_run.demo"),
        Binding("escape", "cancel", "Cancel", id="first_run.cancel"),
        # Priority: the focus moves while this key is handled, so keys typed ahead (a slow
        # SSH link delivers them in bursts) land in the next field, not this one.
        Binding("enter", "next_field", "Next field", show=False, priority=True, id="first_run.next"),
    ]

    class Done(Message):
        """A worker's outcome: the profile's config file, or the error to show."""

        def __init__(self, config: Path | None, error: TuiBackupError | None = None) -> None:
            super().__init__()
            self.config = config
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self._touched: set[str] = set()
        self._busy = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form"):
            yield Label("tui-backup — create a profile", id="title")
            yield Static(
                "A profile protects one application: its database, files and config files "
                "(as `tui-backup init`; edit its config file later for more).",
                id="intro",
            )
            for field, label, placeholder in FIELDS:
                with Horizontal(classes="row"):
                    yield Label(label)
                    yield Input(placeholder=placeholder, id=field, compact=True)
                yield Static("", id=f"{field}-problem", classes="problem", markup=False)
            yield Static("", id="state", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Create profile (ctrl+s)", id="create", variant="primary")
                yield Button("Open the demo (F2)", id="demo")
                yield Button("Cancel (Esc)", id="cancel")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def _value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value

    def _show_problems(self, fields: set[str]) -> dict[str, str]:
        """Check every field; show the problems of `fields` under them."""
        problems = new_profile_problems(
            self._value("name"), self._value("database"), self._value("files"), self._value("config_files")
        )
        for field, _label, _placeholder in FIELDS:
            note = self.query_one(f"#{field}-problem", Static)
            text = problems.get(field, "") if field in fields else ""
            update_static(note, f"✖ {text}" if text else "")
            note.set_class(bool(text), "-shown")
        return problems

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id is not None:
            self._touched.add(event.input.id)
            self._show_problems(self._touched)

    def action_next_field(self) -> None:
        """Enter: the next field. On the last field (and on a button) Enter is theirs: the
        Input submits after the keys typed before it, so the profile is made of them all."""
        focused = self.focused
        if isinstance(focused, Button) or (isinstance(focused, Input) and focused.id == FIELDS[-1][0]):
            raise SkipAction()
        self.focus_next()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == FIELDS[-1][0]:
            self.action_create()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "create":
            self.action_create()
        elif event.button.id == "demo":
            self.action_demo()
        else:
            self.action_cancel()

    def action_create(self) -> None:
        if self._busy:
            return
        self._touched = {f for f, _label, _placeholder in FIELDS}
        problems = self._show_problems(self._touched)
        if problems:
            first = next(f for f, _label, _placeholder in FIELDS if f in problems)
            self.query_one(f"#{first}", Input).focus()
            return
        self._start("Creating the profile…")
        self._create(
            self._value("name").strip(),
            database_url(self._value("database")),
            split_paths(self._value("files")),
            split_paths(self._value("config_files")),
            self._value("description").strip(),
        )

    def action_demo(self) -> None:
        if not self._busy:
            self._start("Creating the demo (a sample application with data)…")
            self._create_demo()

    def action_cancel(self) -> None:
        if not self._busy:
            self.dismiss(None)

    def _start(self, text: str) -> None:
        self._busy = True
        update_static(self.query_one("#state", Static), text)

    @work(thread=True, exclusive=True, group="first-run", exit_on_error=False)
    def _create(self, name: str, database: str, files: tuple[Path, ...], config_files: tuple[Path, ...],
                description: str) -> None:
        from tui_backup.service.setup import InitRequest, init_profile

        try:
            config = init_profile(InitRequest(name=name, database=database, files=files,
                                              config_files=config_files, description=description))
        except TuiBackupError as exc:
            self.post_message(self.Done(None, exc))
            return
        self.post_message(self.Done(config.file))

    @work(thread=True, exclusive=True, group="first-run", exit_on_error=False)
    def _create_demo(self) -> None:
        # The same as `tui-backup demo`: reused when it exists already.
        from tui_backup.service.demo import create_demo, default_demo_dir

        try:
            config = create_demo(default_demo_dir(), with_policy=True)
        except TuiBackupError as exc:
            self.post_message(self.Done(None, exc))
            return
        self.post_message(self.Done(config))

    def on_first_run_screen_done(self, message: FirstRunScreen.Done) -> None:
        self._busy = False
        if message.config is not None:
            self.dismiss(message.config)
            return
        error = message.error
        text = error.message if error is not None else "failed"
        hint = f" — {error.hint}" if error is not None and error.hint else ""
        update_static(self.query_one("#state", Static), f"✖ {text}{hint}")
