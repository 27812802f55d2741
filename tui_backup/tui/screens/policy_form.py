"""Adding or editing a policy: a form whose every save goes through the service.

The service validates the whole new config before it writes anything (tomlkit, comments
kept); when it refuses, its message is shown inline here and the form stays open, so the
user fixes the field instead of starting over. Only what a plain number check can tell is
checked here — the rest is the service's word, so the form and the CLI never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from tui_backup.destinations.base import BACKUP_TYPES
from tui_backup.errors import TuiBackupError
from tui_backup.policies.model import FREQUENCIES, WEEKDAYS, Policy
from tui_backup.tui.screens._dialog import dialog_css

if TYPE_CHECKING:
    from tui_backup.service.policy_edit import PolicyChange

SCHEDULE_KINDS: tuple[tuple[str, str], ...] = (
    *((f, f) for f in FREQUENCIES),
    ("cron expression", "cron"),
    ("every (interval)", "every"),
    ("manual runs only", "manual"),
)
STATES = ("active", "paused")
COUNT_KEYS = ("keep_last", "keep_daily", "keep_weekly", "keep_monthly")
SCHEDULE_KEYS = ("frequency", "time", "weekday", "day", "cron", "every")
RETENTION_KEYS = (*COUNT_KEYS, "keep_within")
# Which schedule fields each kind of schedule uses (the others are hidden).
FIELDS_OF_KIND: dict[str, tuple[str, ...]] = {
    "hourly": (),
    "daily": ("time",),
    "weekly": ("time", "weekday"),
    "monthly": ("time", "day"),
    "yearly": ("time", "day"),
    "cron": ("cron",),
    "every": ("every",),
    "manual": (),
}
LABELS = {
    "name": "Name", "destination": "Destination", "include": "Include", "state": "State",
    "kind": "Schedule", "time": "Time (HH:MM)", "weekday": "Weekday", "day": "Day of month",
    "cron": "Cron", "every": "Every", "keep_last": "Keep last", "keep_daily": "Keep daily",
    "keep_weekly": "Keep weekly", "keep_monthly": "Keep monthly", "keep_within": "Keep within",
}
PLACEHOLDERS = {
    "name": "letters, digits, - and _", "time": "02:00", "day": "1", "cron": "0 3 * * 1-5",
    "every": "6h", "keep_last": "e.g. 7", "keep_daily": "e.g. 30", "keep_weekly": "e.g. 12",
    "keep_monthly": "e.g. 12", "keep_within": 'e.g. 14d (m = months)',
}


class FormError(ValueError):
    """A field the form itself can tell is wrong (not a number...)."""


@dataclass(frozen=True)
class FormValues:
    """What the form holds, as text (empty = not set)."""

    name: str
    destination: str
    include: str = "full"
    state: str = "active"
    kind: str = "daily"
    time: str = "02:00"
    weekday: str = "sunday"
    day: str = "1"
    cron: str = ""
    every: str = ""
    keep_last: str = ""
    keep_daily: str = ""
    keep_weekly: str = ""
    keep_monthly: str = ""
    keep_within: str = ""


def values_of(policy: Policy) -> FormValues:
    """The form's fields for an existing policy."""
    s, r = policy.schedule, policy.retention
    kind = s.frequency or ("cron" if s.cron else "every" if s.every else "manual")

    def count(n: int | None) -> str:
        return "" if n is None else str(n)

    return FormValues(
        name=policy.name, destination=policy.destination, include=policy.include, state=policy.state,
        kind=kind, time=s.time, weekday=WEEKDAYS[s.weekday], day=str(s.day), cron=s.cron or "",
        every=s.every.text() if s.every else "", keep_last=count(r.keep_last), keep_daily=count(r.keep_daily),
        keep_weekly=count(r.keep_weekly), keep_monthly=count(r.keep_monthly),
        keep_within=r.keep_within.text() if r.keep_within else "",
    )


def _count(key: str, text: str) -> int | None:
    if not text.strip():
        return None
    try:
        n = int(text.strip())
    except ValueError:
        raise FormError(f"{LABELS[key]}: {text.strip()!r} is not a whole number") from None
    if n < 1:
        raise FormError(f"{LABELS[key]}: at least 1 (leave it empty for no such rule)")
    return n


def schedule_table(v: FormValues) -> dict[str, object]:
    """The schedule keys the form sets (every other schedule key is unset: None)."""
    out: dict[str, object] = dict.fromkeys(SCHEDULE_KEYS)
    uses = FIELDS_OF_KIND.get(v.kind, ())
    if v.kind in FREQUENCIES:
        out["frequency"] = v.kind
    if "time" in uses:
        out["time"] = v.time.strip()
    if "weekday" in uses:
        out["weekday"] = v.weekday
    if "day" in uses:
        out["day"] = _count("day", v.day) or 1
    if "cron" in uses:
        out["cron"] = v.cron.strip()
    if "every" in uses:
        out["every"] = v.every.strip()
    return out


def retention_table(v: FormValues) -> dict[str, object]:
    """The retention keys the form covers (None = unset)."""
    out: dict[str, object] = {k: _count(k, getattr(v, k)) for k in COUNT_KEYS}
    out["keep_within"] = v.keep_within.strip() or None
    return out


def new_policy_table(v: FormValues) -> dict[str, object]:
    """A `[[policy]]` table for add_policy (unset keys left out)."""
    if not v.name.strip():
        raise FormError("Name: a policy needs a name")
    table: dict[str, object] = {"name": v.name.strip(), "destination": v.destination, "include": v.include,
                                "state": v.state}
    table.update({k: val for k, val in schedule_table(v).items() if val is not None})
    retention = {k: val for k, val in retention_table(v).items() if val is not None}
    if retention:
        table["retention"] = retention
    return table


def policy_changes(before: FormValues, v: FormValues) -> dict[str, object]:
    """The changes for edit_policy: only the keys whose value changed (None = remove the key);
    retention keys as `retention.KEY`, so the rules the form does not show are kept."""
    if not v.name.strip():
        raise FormError("Name: a policy needs a name")
    old = {"name": before.name, "destination": before.destination, "include": before.include,
           "state": before.state, **schedule_table(before)}
    new = {"name": v.name.strip(), "destination": v.destination, "include": v.include, "state": v.state,
           **schedule_table(v)}
    changes = {k: val for k, val in new.items() if old.get(k) != val}
    old_keep, new_keep = retention_table(before), retention_table(v)
    changes.update({f"retention.{k}": val for k, val in new_keep.items() if old_keep.get(k) != val})
    return changes


# ---- messages (posted from the save worker) ----


class FormSaved(Message):
    def __init__(self, change: PolicyChange) -> None:
        super().__init__()
        self.change = change


class FormRejected(Message):
    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__()
        self.message = message
        self.hint = hint


class PolicyFormScreen(ModalScreen["PolicyChange | None"]):
    """Dismissed with the saved PolicyChange, or None (Escape, Cancel)."""

    DEFAULT_CSS = dialog_css("PolicyFormScreen", border="$accent", width=72) + """
    PolicyFormScreen #fields {
        height: auto;
        max-height: 16;
    }
    PolicyFormScreen .field {
        height: 1;
        margin-bottom: 0;
    }
    PolicyFormScreen .field > Label {
        width: 14;
    }
    PolicyFormScreen .field > Input, PolicyFormScreen .field > Select {
        width: 1fr;
    }
    PolicyFormScreen #error {
        color: $error;
        text-style: bold;
        height: auto;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="policy_form.cancel"),
        Binding("ctrl+s", "save", "Save", id="policy_form.save"),
    ]

    def __init__(self, destinations: list[str], save: Callable[[dict[str, object]], PolicyChange], *,
                 policy: Policy | None = None) -> None:
        """`save` gets add_policy's table (a new policy) or edit_policy's changes (`policy` set)."""
        super().__init__()
        self.destinations = destinations
        self._save = save
        self.policy = policy
        first = destinations[0] if destinations else ""
        self.before = values_of(policy) if policy is not None else FormValues(name="", destination=first)

    # ---- layout ----

    def _input(self, key: str, value: str) -> ComposeResult:
        with Horizontal(classes="field", id=f"field-{key}"):
            yield Label(LABELS[key])
            yield Input(value, placeholder=PLACEHOLDERS.get(key, ""), id=key, compact=True)

    def _select(self, key: str, options: list[tuple[str, str]], value: str) -> ComposeResult:
        with Horizontal(classes="field", id=f"field-{key}"):
            yield Label(LABELS[key])
            known = {v for _, v in options}
            if value and value not in known:
                options = [*options, (value, value)]
            yield Select(options, value=value if value else Select.NULL, allow_blank=not value, id=key,
                         compact=True)

    def compose(self) -> ComposeResult:
        v = self.before
        title = f"Edit policy {self.policy.name}" if self.policy is not None else "New policy"
        with Vertical(id="dialog"):
            yield Label(title, id="title", markup=False)
            with VerticalScroll(id="fields"):
                yield from self._input("name", v.name)
                yield from self._select("destination", [(d, d) for d in self.destinations], v.destination)
                yield from self._select("include", [(t, t) for t in BACKUP_TYPES], v.include)
                yield from self._select("state", [(s, s) for s in STATES], v.state)
                yield from self._select("kind", list(SCHEDULE_KINDS), v.kind)
                yield from self._input("time", v.time)
                yield from self._select("weekday", [(d, d) for d in WEEKDAYS], v.weekday)
                for key in ("day", "cron", "every", *RETENTION_KEYS):
                    yield from self._input(key, str(getattr(v, key)))
            yield Static("", id="error", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Cancel (Esc)", id="cancel")
                yield Button("Save (ctrl+s)", id="save", variant="primary")

    def on_mount(self) -> None:
        self._show_schedule_fields(self.before.kind)
        self.query_one("#name", Input).focus()

    @on(Select.Changed, "#kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str):
            self._show_schedule_fields(event.value)

    def _show_schedule_fields(self, kind: str) -> None:
        uses = FIELDS_OF_KIND.get(kind, ())
        for key in ("time", "weekday", "day", "cron", "every"):
            self.query_one(f"#field-{key}").display = key in uses

    # ---- values ----

    def values(self) -> FormValues:
        def text(key: str) -> str:
            return self.query_one(f"#{key}", Input).value

        def choice(key: str) -> str:
            value = self.query_one(f"#{key}", Select).value
            return value if isinstance(value, str) else ""

        return FormValues(
            name=text("name"), destination=choice("destination"), include=choice("include"),
            state=choice("state"), kind=choice("kind"), time=text("time"), weekday=choice("weekday"),
            day=text("day"), cron=text("cron"), every=text("every"),
            **{k: text(k) for k in RETENTION_KEYS},
        )

    def show_error(self, text: str) -> None:
        self.query_one("#error", Static).update(text)

    # ---- saving ----

    def action_save(self) -> None:
        try:
            v = self.values()
            payload = new_policy_table(v) if self.policy is None else policy_changes(self.before, v)
        except FormError as exc:
            self.show_error(f"✖ {exc}")
            return
        if self.policy is not None and not payload:
            self.dismiss(None)  # nothing changed: nothing to write
            return
        self.show_error("Saving…")
        self.query_one("#save", Button).disabled = True
        self._save_worker(payload)

    @work(thread=True, exclusive=True, group="policy-form", exit_on_error=False)
    def _save_worker(self, payload: dict[str, object]) -> None:
        try:
            change = self._save(payload)
        except TuiBackupError as exc:
            self.post_message(FormRejected(exc.message, exc.hint))
            return
        except Exception as exc:
            self.post_message(FormRejected(f"{type(exc).__name__}: {exc}", "this is a bug: please report it"))
            return
        self.post_message(FormSaved(change))

    def on_form_saved(self, message: FormSaved) -> None:
        message.stop()
        self.dismiss(message.change)

    def on_form_rejected(self, message: FormRejected) -> None:
        message.stop()
        hint = f"\n{message.hint}" if message.hint else ""
        self.show_error(f"✖ {message.message}{hint}\nNothing was saved.")
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
