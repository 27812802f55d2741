"""Adding or editing a policy: a form with a field for every key of a `[[policy]]`,
a diff of the config file before anything is saved, and the save through the service.

Flow: ctrl+s checks the fields (each field's message shows inline under it), asks the
service for the file's text before and after (`preview`: the same code that saves, and
the same validation — a refusal is shown under the field it names), shows the unified
diff and saves only when the user confirms it. The save re-reads the file: if it changed
since the diff was shown, nothing is written and the new diff is shown instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import DescendantFocus
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from tui_backup.destinations.base import BACKUP_TYPES
from tui_backup.errors import ConfigError, TuiBackupError
from tui_backup.policies.model import Policy
from tui_backup.tui.screens._dialog import dialog_css
from tui_backup.tui.screens.policy_fields import (
    FIELD_BY_ID,
    FIELD_BY_KEY,
    FIELDS,
    FIELDS_OF_KIND,
    INLINE_DESTINATION,
    KIND_KEYS,
    SCHEDULE_KINDS,
    SECTIONS,
    Field,
    FormError,
    Texts,
    errors_of,
    field_of_error_key,
    new_policy_table,
    new_texts,
    parse_field,
    policy_changes,
    texts_of,
    weekday_options,
)
from tui_backup.tui.screens.policy_screens import PolicyDiffScreen
from tui_backup.tui.static_update import update_static

if TYPE_CHECKING:
    from tui_backup.service.policy_edit import PolicyChange

SaveFn = Callable[[dict[str, object]], "PolicyChange"]
PreviewFn = Callable[[dict[str, object]], tuple[str, str]]
_SELECTS = ("destination", "include", "state", "weekday")
_NOT_SHOWN = ("frequency",)  # the "kind" select says it


class FormSaved(Message):
    def __init__(self, change: PolicyChange) -> None:
        super().__init__()
        self.change = change


class FormRejected(Message):
    def __init__(self, message: str, hint: str = "", key: str | None = None) -> None:
        super().__init__()
        self.message = message
        self.hint = hint
        self.key = key  # the config key the service's error names, if any


class FormPreviewed(Message):
    def __init__(self, payload: dict[str, object], before: str, after: str) -> None:
        super().__init__()
        self.payload = payload
        self.before = before
        self.after = after


def _raw_table(policy: Policy) -> dict[str, Any]:
    """The policy's own TOML table as the config file has it (unset keys stay unset)."""
    from tui_backup.service.policy_edit import policy_table

    table = policy_table(Path(policy.file), policy.name) if policy.file else None
    return table if table is not None else {"name": policy.name, "destination": policy.destination,
                                            "include": policy.include, "state": policy.state}


class PolicyFormScreen(ModalScreen["PolicyChange | None"]):
    """Dismissed with the saved PolicyChange, or None (Escape, Cancel, nothing changed)."""

    DEFAULT_CSS = dialog_css("PolicyFormScreen", border="$accent", width=76) + """
    PolicyFormScreen > #dialog {
        height: 100%;
    }
    PolicyFormScreen #fields {
        height: 1fr;
        layout: grid;
        grid-size: 2;
        grid-columns: 24 1fr;
        grid-rows: auto;
    }
    PolicyFormScreen .section {
        color: $accent;
        text-style: bold;
        column-span: 2;
        width: 100%;
    }
    PolicyFormScreen #fields Input, PolicyFormScreen #fields Select {
        width: 1fr;
    }
    PolicyFormScreen .field-error {
        color: $error;
        column-span: 2;
        padding-left: 24;
        height: auto;
    }
    PolicyFormScreen #help {
        color: $text-muted;
        height: auto;
        max-height: 2;
    }
    PolicyFormScreen #error {
        color: $error;
        text-style: bold;
        height: auto;
        max-height: 4;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="policy_form.cancel"),
        Binding("ctrl+s", "save", "Review & save", id="policy_form.save"),
    ]

    def __init__(self, destinations: list[str], save: SaveFn, *, policy: Policy | None = None,
                 preview: PreviewFn | None = None) -> None:
        """`save` gets add_policy's table (a new policy) or edit_policy's changes (`policy`
        set); `preview` gets the same and returns the config's text before and after (the
        diff is shown and confirmed before `save`; without it, saving is immediate)."""
        super().__init__()
        self.destinations = destinations
        self._save = save
        self._preview = preview
        self.policy = policy
        first = destinations[0] if destinations else ""
        self.before: Texts = texts_of(_raw_table(policy)) if policy is not None else new_texts(first)

    # ---- layout ----

    def _row(self, f: Field, widget: Input | Select[str]) -> ComposeResult:
        # A grid of label | input (no container per row: the form opens faster).
        yield Label(f.label, id=f"field-{f.id}")
        yield widget

    def _select(self, f: Field, options: list[tuple[str, str]], value: str) -> Select[str]:
        known = {v for _, v in options}
        if value and value not in known:
            options = [*options, (value, value)]
        default = f.spec.default
        prompt = f"{default} (default)" if default else "choose one"
        return Select(options, value=value if value else Select.NULL, allow_blank=not value, prompt=prompt,
                      id=f.id, compact=True)

    def _widget(self, f: Field) -> Input | Select[str]:
        value = self.before.get(f.key, "")
        if f.key == "destination":
            options = [(d, d) for d in self.destinations]
            if value == INLINE_DESTINATION:
                options.append(("inline [policy.destination] (kept)", INLINE_DESTINATION))
            return self._select(f, options, value)
        if f.key == "include":
            return self._select(f, [(t, t) for t in BACKUP_TYPES], value)
        if f.key == "weekday":
            return self._select(f, weekday_options(value), value)
        if f.spec.type == "choice":
            return self._select(f, [(c, c) for c in f.spec.choices], value)
        return Input(value, placeholder=f.placeholder, id=f.id, compact=True)

    def compose(self) -> ComposeResult:
        title = f"Edit policy {self.policy.name}" if self.policy is not None else "New policy"
        with Vertical(id="dialog"):
            yield Label(title, id="title", markup=False)
            with VerticalScroll(id="fields"):
                for section in SECTIONS:
                    yield Label(f"\n{section}" if section != SECTIONS[0] else section, classes="section")
                    if section == "Schedule":
                        yield Label("schedule", id="field-kind")
                        yield Select(list(SCHEDULE_KINDS), value=self.before.get("kind", "manual"),
                                     allow_blank=False, id="kind", compact=True)
                    for f in FIELDS:
                        if f.section == section and f.key not in _NOT_SHOWN:
                            yield from self._row(f, self._widget(f))
            yield Static("", id="help", markup=False)
            yield Static("", id="error", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Cancel (Esc)", id="cancel")
                label = "Review & save (ctrl+s)" if self._preview is not None else "Save (ctrl+s)"
                yield Button(label, id="save", variant="primary")

    def on_mount(self) -> None:
        self._show_schedule_fields(self.before.get("kind", "manual"))
        if self.before.get("destination") == INLINE_DESTINATION:
            self.query_one("#destination", Select).disabled = True  # edited in the config file only
        self.query_one("#name", Input).focus()

    @on(Select.Changed, "#kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str):
            self._show_schedule_fields(event.value)

    def _show_schedule_fields(self, kind: str) -> None:
        uses = FIELDS_OF_KIND.get(kind, ())
        for key in KIND_KEYS:
            f = FIELD_BY_KEY[key]
            self.query_one(f"#field-{f.id}").display = key in uses
            self.query_one(f"#{f.id}").display = key in uses
            if key not in uses:
                self._field_error(f, "")

    # ---- inline messages ----

    def _field_error(self, f: Field, text: str) -> None:
        """The message under field `f` ("" hides it); mounted the first time it is needed,
        as forty empty ones would slow the form's opening down."""
        found = self.query(f"#error-{f.id}")
        if not found:
            if text:
                error = Static(f"✖ {text}", classes="field-error", id=f"error-{f.id}", markup=False)
                self.query_one("#fields").mount(error, after=self.query_one(f"#{f.id}"))
            return
        error = found.only_one(Static)
        update_static(error, f"✖ {text}" if text else "")
        error.display = bool(text)

    @on(Input.Changed)
    def _check_field(self, event: Input.Changed) -> None:
        event.stop()
        f = FIELD_BY_ID.get(event.input.id or "")
        if f is None:
            return
        try:
            parse_field(f, event.value)
        except FormError as exc:
            self._field_error(f, str(exc))
        else:
            self._field_error(f, "")

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        f = FIELD_BY_ID.get(event.widget.id or "")
        help_text = f.help if f is not None else ""
        if event.widget.id == "kind":
            help_text = "schedule: a frequency, a cron expression, an interval, or manual runs only."
        update_static(self.query_one("#help", Static), help_text)

    def show_error(self, text: str) -> None:
        update_static(self.query_one("#error", Static), text)

    # ---- values ----

    def values(self) -> Texts:
        """The form's texts, keyed like `texts_of`'s."""
        texts: Texts = {}
        for f in FIELDS:
            if f.key in _NOT_SHOWN:
                continue
            if f.key in _SELECTS or f.spec.type == "choice":
                value = self.query_one(f"#{f.id}", Select).value
                texts[f.key] = value if isinstance(value, str) else ""
            else:
                texts[f.key] = self.query_one(f"#{f.id}", Input).value
        kind = self.query_one("#kind", Select).value
        texts["kind"] = kind if isinstance(kind, str) else "manual"
        return texts

    # ---- saving: check, preview (diff), confirm, save ----

    def payload(self) -> dict[str, object]:
        """add_policy's table or edit_policy's changes; FormError with every field's message shown."""
        texts = self.values()
        problems = errors_of(texts)
        for f in FIELDS:
            if f.key not in _NOT_SHOWN:
                self._field_error(f, problems.get(f.key, ""))
        if problems:
            names = ", ".join(FIELD_BY_KEY[k].label for k in problems)
            raise FormError(f"fix {len(problems)} field{'s' if len(problems) > 1 else ''}: {names}")
        return new_policy_table(texts) if self.policy is None else policy_changes(self.before, texts)

    def action_save(self) -> None:
        try:
            payload = self.payload()
        except FormError as exc:
            self.show_error(f"✖ {exc}")
            return
        if self.policy is not None and not payload:
            self.dismiss(None)  # nothing changed: nothing to write
            return
        self.query_one("#save", Button).disabled = True
        if self._preview is None:
            self.show_error("Saving…")
            self._save_worker(payload, None)
        else:
            self.show_error("Checking…")
            self._preview_worker(payload)

    @work(thread=True, exclusive=True, group="policy-form", exit_on_error=False)
    def _preview_worker(self, payload: dict[str, object]) -> None:
        assert self._preview is not None
        try:
            before, after = self._preview(payload)
        except Exception as exc:
            self.post_message(_rejection(exc))
            return
        self.post_message(FormPreviewed(payload, before, after))

    def on_form_previewed(self, message: FormPreviewed) -> None:
        message.stop()
        self.show_error("")
        path = self._config_name()

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.show_error("Saving…")
                self._save_worker(message.payload, (message.before, message.after))
            else:
                self.query_one("#save", Button).disabled = False

        self.app.push_screen(PolicyDiffScreen(message.before, message.after, file=path), confirmed)

    def _config_name(self) -> str:
        """The config file's name, for the diff's title."""
        if self.policy is not None and self.policy.file:
            return Path(self.policy.file).name
        service = getattr(self.app, "service", None)  # BackupApp's profile service
        config = getattr(service, "config", None)
        return Path(config.file).name if config is not None else "the config"

    @work(thread=True, exclusive=True, group="policy-form", exit_on_error=False)
    def _save_worker(self, payload: dict[str, object], reviewed: tuple[str, str] | None) -> None:
        try:
            if reviewed is not None and self._preview is not None:
                now = self._preview(payload)
                if now != reviewed:  # the file changed under us: show what saving would do now
                    self.post_message(FormPreviewed(payload, *now))
                    return
            change = self._save(payload)
        except Exception as exc:
            self.post_message(_rejection(exc))
            return
        self.post_message(FormSaved(change))

    def on_form_saved(self, message: FormSaved) -> None:
        message.stop()
        self.dismiss(message.change)

    def on_form_rejected(self, message: FormRejected) -> None:
        message.stop()
        hint = f"\n{message.hint}" if message.hint else ""
        self.show_error(f"✖ {message.message}{hint}\nNothing was saved.")
        f = field_of_error_key(message.key)
        if f is not None and message.key:
            self._field_error(f, message.message.split(f"{message.key}: ", 1)[-1])
        self.query_one("#save", Button).disabled = False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _rejection(exc: Exception) -> FormRejected:
    if isinstance(exc, ConfigError):
        return FormRejected(exc.message, exc.hint, exc.key)
    if isinstance(exc, TuiBackupError):
        return FormRejected(exc.message, exc.hint)
    return FormRejected(f"{type(exc).__name__}: {exc}", "this is a bug: please report it")
