"""The policy form's fields: one per key of a `[[policy]]` (see policies/_parse.py), and
the conversions between a policy's TOML table, the form's texts and what the service
takes (add_policy's table, edit_policy's dotted changes).

Why texts: every field is edited as text (empty = the key is not set: its default), so an
untouched field always converts back to the value it showed and is never written: an edit
changes only the keys the user changed. The checks here are those a field can make on its
own (a number, a duration, a time); everything else is the service's word, shown inline
under the field its error names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from tui_backup.config._schema import Key
from tui_backup.policies._parse import HOOKS_KEYS, NOTIFY_KEYS, POLICY_KEYS, RETENTION_KEYS
from tui_backup.policies.durations import DurationError, Interval, Span
from tui_backup.policies.model import FREQUENCIES, WEEKDAYS

SCHEDULE_KINDS: tuple[tuple[str, str], ...] = (
    *((f, f) for f in FREQUENCIES),
    ("cron expression", "cron"),
    ("every (interval)", "every"),
    ("manual runs only", "manual"),
)
# Which schedule keys each kind of schedule uses: the others are hidden and not written
# (the config refuses e.g. `time` with an hourly frequency).
FIELDS_OF_KIND: dict[str, tuple[str, ...]] = {
    "hourly": ("minute",),
    "daily": ("time",),
    "weekly": ("time", "weekday"),
    "monthly": ("time", "day"),
    "yearly": ("time", "day", "month"),
    "cron": ("cron",),
    "every": ("every",),
    "manual": (),
}
KIND_KEYS = ("time", "weekday", "day", "month", "minute", "cron", "every")
INLINE_DESTINATION = "\x00inline"  # the destination Select's value for an inline [policy.destination]
NEVER_KEYS = ("drill_every", "verify_every")  # "never" turns these off
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_LIST_SPLIT = re.compile(r"[,\s]+")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class FormError(ValueError):
    """A field the form itself can tell is wrong (not a number...)."""


@dataclass(frozen=True)
class Field:
    """One input of the form: `key` is the dotted key inside the [[policy]] table."""

    key: str
    section: str
    spec: Key
    kind: str  # the Key's type, or "time", "hook"

    @property
    def id(self) -> str:
        """The widget id: the key's last part where that is unique (keep_last), else dashed."""
        if self.section == "Retention":
            return self.label
        return self.key.replace(".", "-")

    @property
    def label(self) -> str:
        return self.key.rsplit(".", 1)[-1]

    @property
    def placeholder(self) -> str:
        if self.kind == "hook":
            return 'shell line, or ["argv", "list"]'
        if self.kind == "str_list":
            if self.spec.default:
                return f"{', '.join(self.spec.default)} (default)"
            return "space or comma separated"
        default = self.spec.default
        if default not in (None, "", []):
            return f"{default} (default)"
        return _EXAMPLES.get(self.key, "")

    @property
    def help(self) -> str:
        return f"{self.key}: {self.spec.help}"


_EXAMPLES = {
    "name": "letters, digits, - and _", "cron": "0 3 * * 1-5", "every": "6h", "timezone": "Europe/Paris",
    "timeout": "2h (empty = no limit)", "verify_every": "30d (empty = never)", "stale_after": "from the schedule",
    "verify_read_data_subset": "10% or 1/5", "notify.ping_url": "https://hc-ping.com/...",
}


def _fields() -> tuple[Field, ...]:
    out: list[Field] = []
    sections = {"name": "Policy", "destination": "Policy", "include": "Policy", "state": "Policy",
                "timeout": "Checks", "verify_every": "Checks", "verify_read_data_subset": "Checks",
                "drill_every": "Checks", "stale_after": "Checks"}
    for k in POLICY_KEYS:
        if k.type == "table":
            continue
        kind = "time" if k.name == "time" else k.type
        out.append(Field(k.name, sections.get(k.name, "Schedule"), k, kind))
    out += [Field(f"retention.{k.name}", "Retention", k, k.type) for k in RETENTION_KEYS]
    out += [Field(f"hooks.{k.name}", "Hooks", k, "hook") for k in HOOKS_KEYS]
    out += [Field(f"notify.{k.name}", "Notify", k, k.type) for k in NOTIFY_KEYS]
    return tuple(out)


FIELDS: tuple[Field, ...] = _fields()
FIELD_BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}
FIELD_BY_ID: dict[str, Field] = {f.id: f for f in FIELDS}
SECTIONS: tuple[str, ...] = ("Policy", "Schedule", "Retention", "Checks", "Hooks", "Notify")
Texts = dict[str, str]  # field key (and "kind") -> the text the form shows


# ---- a policy's table -> the form's texts ----


def _get(table: dict[str, Any], dotted: str) -> Any:
    value: Any = table
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def inline_toml(value: Any) -> str:
    """A value as inline TOML (how a hook given as a list or a table is shown)."""
    if isinstance(value, dict):
        items = (f"{k if _BARE_KEY.match(k) else tomlkit.string(k).as_string()} = {inline_toml(v)}"
                 for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(inline_toml(v) for v in value) + "]"
    return str(tomlkit.item(value).as_string())


def _toml_value(text: str) -> Any:
    """`text` as one TOML string, array or inline table, or None when it is not one (a
    shell line such as `true` or `[ -d /mnt ] && ...` stays a shell line)."""
    if text[:1] not in ("\"", "'", "[", "{"):
        return None
    try:
        doc = tomlkit.parse(f"v = {text}\n")
    except (TOMLKitError, ValueError):
        return None
    return doc.unwrap().get("v")


def _text_of(field: Field, value: Any) -> str:
    if value is None:
        return ""
    if field.kind == "hook":
        if isinstance(value, str) and _toml_value(value.strip()) is None:
            return value  # a shell line, shown as written
        return inline_toml(value)
    if field.kind == "str_list" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, (dict, list)):
        return inline_toml(value)
    return str(value)


def texts_of(table: dict[str, Any]) -> Texts:
    """The form's texts for a policy's TOML table (unset keys: empty)."""
    texts = {f.key: _text_of(f, _get(table, f.key)) for f in FIELDS}
    if isinstance(table.get("destination"), dict):
        texts["destination"] = INLINE_DESTINATION  # kept as it is: edit it in the config
    frequency = table.get("frequency")
    texts["kind"] = (
        str(frequency) if frequency else "cron" if "cron" in table else "every" if "every" in table else "manual"
    )
    return texts


def new_texts(destination: str) -> Texts:
    """A new policy's texts: a daily run at 02:00, written out so the file says so."""
    texts = dict.fromkeys(FIELD_BY_KEY, "")
    texts.update({"destination": destination, "include": "full", "state": "active", "kind": "daily",
                  "time": "02:00"})
    return texts


# ---- texts -> values ----


def parse_field(field: Field, text: str) -> Any:
    """The TOML value of one field's text (None: not set), or FormError."""
    text = text.strip()
    if not text:
        return None
    spec, label = field.spec, field.label
    if field.kind == "int":
        try:
            n = int(text)
        except ValueError:
            raise FormError(f"{label}: {text!r} is not a whole number") from None
        if spec.minimum is not None and n < spec.minimum:
            raise FormError(f"{label}: at least {spec.minimum} (leave it empty for the default)")
        if spec.maximum is not None and n > spec.maximum:
            raise FormError(f"{label}: at most {spec.maximum}")
        return n
    if field.kind == "time":
        if not _TIME.match(text):
            raise FormError(f'{label}: {text!r} is not a time of day (HH:MM, e.g. "02:00")')
        return text
    if field.kind == "interval":
        if field.key in NEVER_KEYS and text == "never":
            return text
        try:
            Interval.parse(text)
        except DurationError as exc:
            raise FormError(f"{label}: {exc}") from None
        return text
    if field.kind == "span":
        try:
            span = Span.parse(text)
        except DurationError as exc:
            raise FormError(f"{label}: {exc}") from None
        if span == Span():
            raise FormError(f"{label}: {text!r} is an empty span")
        return text
    if field.kind == "str_list":
        items = [x for x in _LIST_SPLIT.split(text) if x]
        bad = [x for x in items if spec.choices and x not in spec.choices]
        if bad:
            raise FormError(f"{label}: unknown {bad[0]!r} (use any of: {', '.join(spec.choices)})")
        return items
    if field.kind == "hook":
        return _hook(label, text)
    return text  # str, choice


def _hook(label: str, text: str) -> Any:
    """A shell line, or TOML: a string, an argv list, a table or a list of tables."""
    value = _toml_value(text)
    if value is None:
        return text
    if isinstance(value, dict):
        value = [value]  # one table = a list of one (kept inline in the config)
    if isinstance(value, str) or (isinstance(value, list) and value and (
            all(isinstance(x, str) for x in value) or all(isinstance(x, dict) for x in value))):
        return value
    raise FormError(f'{label}: a shell line, an argv list like ["/usr/bin/cmd", "--flag"], or {{run = ...}} tables')


def errors_of(texts: Texts) -> dict[str, str]:
    """Field key -> what is wrong with it, for every field in use that the form can check."""
    out: dict[str, str] = {}
    uses = FIELDS_OF_KIND.get(texts.get("kind", "manual"), ())
    for f in FIELDS:
        if f.key in KIND_KEYS and f.key not in uses:
            continue
        try:
            parse_field(f, texts.get(f.key, ""))
        except FormError as exc:
            out[f.key] = str(exc)
    if not texts.get("name", "").strip():
        out["name"] = "name: a policy needs a name"
    return out


_UNREADABLE = object()  # a value before the edit that did not parse: any new value differs


def effective(texts: Texts, *, strict: bool = True) -> dict[str, Any]:
    """Dotted key -> value (None = not set) of every key the form covers: the schedule keys
    the kind does not use are None; an inline destination is left out (not touched)."""
    kind = texts.get("kind", "manual")
    uses = FIELDS_OF_KIND.get(kind, ())
    out: dict[str, Any] = {}
    for f in FIELDS:
        if f.key == "destination" and texts.get("destination") == INLINE_DESTINATION:
            continue
        if f.key == "frequency":
            out[f.key] = kind if kind in FREQUENCIES else None
        elif f.key in KIND_KEYS and f.key not in uses:
            out[f.key] = None
        else:
            try:
                out[f.key] = parse_field(f, texts.get(f.key, ""))
            except FormError:
                if strict:
                    raise
                out[f.key] = _UNREADABLE
    return out


def _tomlish(value: Any) -> Any:
    """Lists of tables as inline TOML (tomlkit would otherwise write [[...]] sections)."""
    if isinstance(value, dict):
        t = tomlkit.inline_table()
        t.update({k: _tomlish(v) for k, v in value.items()})
        return t
    if isinstance(value, list) and any(isinstance(x, dict) for x in value):
        a = tomlkit.array()
        a.extend(_tomlish(x) for x in value)
        return a
    return value


def _check(texts: Texts) -> None:
    problems = errors_of(texts)
    if problems:
        raise FormError("; ".join(problems.values()))


def new_policy_table(texts: Texts) -> dict[str, object]:
    """add_policy's table: the keys set, sub-tables (retention, hooks, notify) nested."""
    _check(texts)
    table: dict[str, object] = {}
    for key, value in effective(texts).items():
        if value is None:
            continue
        head, _, leaf = key.partition(".")
        if leaf:
            sub = table.setdefault(head, {})
            assert isinstance(sub, dict)
            sub[leaf] = _tomlish(value)
        else:
            table[key] = _tomlish(value)
    return table


def policy_changes(before: Texts, texts: Texts) -> dict[str, object]:
    """edit_policy's changes: only the keys whose value changed (None = remove the key)."""
    _check(texts)
    old, new = effective(before, strict=False), effective(texts)
    return {k: _tomlish(v) for k, v in new.items() if old.get(k) is _UNREADABLE or old.get(k) != v}


def field_of_error_key(key: str | None) -> Field | None:
    """The field a service error names (`policy.nightly.retention.keep_daily`), if any."""
    if not key or not key.startswith("policy."):
        return None
    parts = key.split(".")
    for start in range(2, len(parts)):  # past "policy.<name>" (a name has no dots)
        for end in range(len(parts), start, -1):  # hooks.before.run -> hooks.before
            found = FIELD_BY_KEY.get(".".join(parts[start:end]))
            if found is not None:
                return found
    return None


def weekday_options(current: str) -> list[tuple[str, str]]:
    return [(d, d) for d in _with(WEEKDAYS, current)]


def _with(options: Iterable[str], current: str) -> list[str]:
    out = list(options)
    return out if not current or current in out else [*out, current]
