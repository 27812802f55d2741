"""Hostile input for the bad-input tests: every config key the schema knows with values that
are wrong for it, malformed TOML, and file names built to be misread as options.

The keys are enumerated from the schema code (config._schema.SECTIONS, the [[policy]] tables'
*_KEYS, each destination type's KEYS), never hand-listed, so a key added later is covered.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from hypothesis import strategies as st

from tui_backup.config._schema import SECTIONS, Key
from tui_backup.destinations import TYPES
from tui_backup.policies import _parse as policy_parse


@dataclass(frozen=True)
class SchemaKey:
    """One key of the config: `table` says where it lives (see `set_in`)."""

    table: str  # "snapshots" | "policy" | "policy.retention" | "policy.hooks" | "policy.hook" | ...
    key: Key

    @property
    def label(self) -> str:
        return f"{self.table}.{self.key.name}"


# The loader's own keys of every [[destination]] (the type's module checks the rest).
_DESTINATION_OWN = (
    Key("name", "str", None, "destination name", required=True),
    Key("type", "choice", None, "destination type", required=True, choices=TYPES),
)


def schema_keys() -> list[SchemaKey]:
    """Every key the config schema knows, with where it lives."""
    out = [SchemaKey(s.name, k) for s in SECTIONS for k in s.keys]
    out += [SchemaKey("policy", k) for k in policy_parse.POLICY_KEYS]
    out += [SchemaKey("policy.retention", k) for k in policy_parse.RETENTION_KEYS]
    out += [SchemaKey("policy.hooks", k) for k in policy_parse.HOOKS_KEYS]
    out += [SchemaKey("policy.hook", k) for k in policy_parse.HOOK_KEYS]
    out += [SchemaKey("policy.notify", k) for k in policy_parse.NOTIFY_KEYS]
    for type_ in TYPES:
        module = importlib.import_module(f"tui_backup.destinations.{type_}")
        out += [SchemaKey(f"destination.{type_}", k) for k in (*_DESTINATION_OWN, *module.KEYS)]
    return out


# Strings that no key of these kinds accepts (names: letters, digits, - and _; HH:MM; ...).
_BAD_TEXT: dict[str, tuple[str, ...]] = {
    "name": ("", "has space", "-dash;rm", "x" * 65),
    "time": ("25:00", "2pm", "12:60", "", "12:00:00"),
    "cron": ("* * *", "61 * * * *", "every day", ""),
    "timezone": ("Mars/Olympus", "../../etc/passwd", "UTC+99"),
    "verify_read_data_subset": ("200%", "0/5", "half", "-1%"),
    "database": ("", "mysql://u@h/db", "sqlite://relative.db", "postgresql://h:99999/db", "postgresql://h/"),
}
_BAD_INTERVAL = ("", "5x", "-5m", "1.5h", "99999999999999999999d")
_NUL = "a\x00b"


def _type_wrong(kind: str) -> st.SearchStrategy[Any]:
    """Values of a TOML type the key never takes."""
    ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)
    floats = st.floats(allow_nan=True, allow_infinity=True)
    dates = st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2100, 1, 1))
    int_lists = st.lists(ints, min_size=1, max_size=3)
    if kind in ("str", "path", "db_url", "choice", "interval", "span"):
        return st.one_of(ints, floats, st.booleans(), dates, int_lists)
    if kind == "int":
        return st.one_of(floats, st.booleans(), st.text(max_size=8), dates, int_lists)
    if kind == "bool":
        return st.one_of(ints, floats, st.sampled_from(["true", "yes", "1", ""]), dates, int_lists)
    if kind in ("path_list", "str_list"):
        return st.one_of(ints, st.booleans(), st.text(max_size=8), int_lists, st.just([""]), st.just([_NUL]))
    if kind == "table":
        return st.one_of(ints, st.booleans(), st.text(min_size=1, max_size=8), int_lists)
    raise AssertionError(kind)


def wrong_values(sk: SchemaKey) -> st.SearchStrategy[Any]:
    """Values that the config must refuse for `sk`."""
    k = sk.key
    options: list[st.SearchStrategy[Any]] = [_type_wrong(k.type)]
    if k.type == "int":
        if k.minimum is not None:
            options.append(st.integers(min_value=-(2**63), max_value=k.minimum - 1))
        if k.maximum is not None:
            options.append(st.integers(min_value=k.maximum + 1, max_value=2**63 - 1))
    if k.type == "choice":
        allowed = {c.lower() for c in k.choices} | {c[:3].lower() for c in k.choices}
        options.append(st.text(max_size=12).filter(lambda t: t.strip().lower() not in allowed))
    if k.type in ("interval", "span"):
        bad = tuple(v for v in _BAD_INTERVAL if not (k.name in ("drill_every", "verify_every") and v == ""))
        options.append(st.sampled_from(bad))
    if k.type == "str_list" and k.choices:
        options.append(st.just(["sometimes"]))
    if k.type in ("path", "str", "db_url") and k.name in _BAD_TEXT:
        options.append(st.sampled_from(_BAD_TEXT[k.name]))
    if k.type == "path" and sk.table.startswith("destination") and k.default is None:
        options.append(st.just(""))  # a required path may not be empty
    return st.one_of(options)


def base_config(app_dir: Path, drive: Path) -> str:
    """A valid profile config that has every table a key can live in: a [[policy]] with
    retention, hooks (one a table) and notify, and one destination of every type."""
    pw = drive.parent / "restic.pw"
    pw.write_text("pw-for-hostile-tests\n")
    pw.chmod(0o600)
    return f"""\
# the user's comment
[profile]
name = "app"
description = "hostile input"

[source]
database = "sqlite://{app_dir / 'app.db'}"
files = ["{app_dir / 'files'}"]

[snapshots]
keep = 5

[volumes]
min_free_mb = 0

[trash]
retention_days = 30

[jobs]
max_concurrent = 2

[tui]
theme = "dark"

[tui.keymap]

[notify]
urls = []

[monitoring]
metrics_file = ""

[[destination]]
name = "usb"
type = "local"
path = "{drive / 'local'}"

[[destination]]
name = "mirror"
type = "rsync"
path = "{drive / 'rsync'}"

[[destination]]
name = "vault"
type = "restic"
repository = "{drive / 'restic'}"
password_file = "{pw}"

[[policy]]
name = "nightly"
destination = "usb"
frequency = "daily"
time = "03:00"

[policy.retention]
keep_daily = 7

[policy.hooks]
before = "true"

[policy.hooks.after]
run = ["true"]

[policy.notify]
on = ["failure"]
"""


def set_in(text: str, sk: SchemaKey, value: Any) -> str:
    """`text` (a `base_config`) with `sk` set to `value` (None: the key removed)."""
    doc = copy.deepcopy(_parsed(text))
    table: Any
    if sk.table == "policy":
        table = doc["policy"][0]
    elif sk.table == "policy.hook":
        table = doc["policy"][0]["hooks"]["after"]
    elif sk.table.startswith("policy."):
        table = doc["policy"][0][sk.table.split(".", 1)[1]]
    elif sk.table.startswith("destination."):
        type_ = sk.table.split(".", 1)[1]
        table = next(t for t in doc["destination"] if t["type"] == type_)
    else:
        table = doc[sk.table]
    if value is None:
        if sk.key.name in table:
            del table[sk.key.name]
    else:
        table[sk.key.name] = value
    return doc.as_string()


@functools.lru_cache(maxsize=4)
def _parsed(text: str) -> tomlkit.TOMLDocument:
    return tomlkit.parse(text)


# ---- malformed TOML ----

HOSTILE_SNIPPETS: tuple[bytes, ...] = (
    b"[" * 5000 + b"\n",  # deep nesting
    b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n",
    b"x = {" * 2000 + b"\n",
    b"[profile]\nname = \"dup\"\n",  # the table defined twice
    b"[[profile]]\nname = \"x\"\n",
    b"profile = 3\n",
    b"\xff\xfe\x00bad",  # not UTF-8
    b"\xef\xbb\xbf",  # a BOM
    b"\x00\x00\x00",
    b"k = \"\\u0000\"\n",
    b"k = 99999999999999999999999999\n",
    b"k = 1979-05-27T07:32:00Z\n",
    b"k = nan\n",
    b"k = '''\n",
    b"k = \"unterminated\n",
    b"[a.b.c.d]\n" * 50,
    b"= 1\n",
    b"[\"\\ud800\"]\n",
    b"key = \"\\x41\"\n",
    b"\r\r\rx",
    b"\t[source]\ndatabase = 3\n",
    ("k = \"" + "\u202e" * 10 + "\"\n").encode(),
    b"[[destination]]\nname = \"usb\"\ntype = \"local\"\npath = \"/x\"\n",  # a duplicate name
    b"[[policy]]\nname = \"nightly\"\ndestination = \"nowhere\"\n",
)


def mutations(base: bytes) -> st.SearchStrategy[bytes]:
    """Bytes derived from a valid config: cut short, spliced with hostile snippets or random
    bytes, lines dropped or repeated."""
    n = len(base)
    at = st.integers(min_value=0, max_value=n)
    truncated = at.map(lambda i: base[:i])
    spliced = st.tuples(at, st.sampled_from(HOSTILE_SNIPPETS)).map(lambda t: base[: t[0]] + t[1] + base[t[0]:])
    appended = st.sampled_from(HOSTILE_SNIPPETS).map(lambda s: base + b"\n" + s)
    noise = st.tuples(at, st.binary(min_size=1, max_size=12)).map(lambda t: base[: t[0]] + t[1] + base[t[0]:])
    lines = base.split(b"\n")
    dropped = st.integers(min_value=0, max_value=len(lines) - 1).map(
        lambda i: b"\n".join(lines[:i] + lines[i + 1:]))
    repeated = st.integers(min_value=0, max_value=len(lines) - 1).map(
        lambda i: b"\n".join(lines[: i + 1] + lines[i:]))
    return st.one_of(truncated, spliced, appended, noise, dropped, repeated)


_SAMPLES: dict[str, tuple[Any, ...]] = {
    "text": (3, 1.5, True, dt.datetime(2020, 1, 1), [1, 2]),
    "int": ("3", 1.5, True, dt.datetime(2020, 1, 1), [1]),
    "bool": (1, "true", 0.0, [True]),
    "list": ("a", 3, True, [1], [""], [_NUL]),
    "table": (3, "x", True, [1]),
}


def sample_wrong(sk: SchemaKey, turn: int = 0, per_type: int = 99) -> list[Any]:
    """A fixed handful of wrong values for `sk`: `per_type` values of a TOML type it never
    takes (starting at `turn`, so a sweep over the keys covers every type), then its
    boundaries and the strings its kind refuses."""
    k = sk.key
    group = {"int": "int", "bool": "bool", "path_list": "list", "str_list": "list", "table": "table"}.get(k.type, "text")
    kinds = _SAMPLES[group]
    out: list[Any] = [kinds[(turn + j) % len(kinds)] for j in range(min(per_type, len(kinds)))]
    if k.type == "int":
        out += [k.minimum - 1] if k.minimum is not None else []
        out += [k.maximum + 1] if k.maximum is not None else []
    if k.type == "choice":
        out += ["nope", ""]
    if k.type in ("interval", "span"):
        out += [v for v in _BAD_INTERVAL if not (k.name in ("drill_every", "verify_every") and v == "")]
    if k.type == "str_list" and k.choices:
        out.append(["sometimes"])
    if k.type in ("path", "str", "db_url") and k.name in _BAD_TEXT:
        out += list(_BAD_TEXT[k.name])
    if k.type == "path" and sk.table.startswith("destination") and k.default is None:
        out.append("")
    return out
