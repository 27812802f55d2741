"""User key remapping: `[tui.keymap]` in the config, binding id = "keys".

Textual's keymap machinery (`App.set_keymap`) does the remapping; this module checks the
table first, so a typo never goes unnoticed: unknown binding ids, malformed keys and keys
that now clash with another binding of the same widget are all named in ONE notification,
and every valid entry still applies (the app always starts).
"""

from __future__ import annotations

import importlib
import pkgutil
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import (
    KEY_ALIASES,
    KEY_NAME_REPLACEMENTS,
    KEY_TO_UNICODE_NAME,
    Keys,
    _character_to_key,
)

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
CONFIG_KEY = "[tui.keymap]"
# The packages whose widgets and screens declare bindings; imported (only when the user
# remaps something) so ids of screens not opened yet are known too.
BINDING_PACKAGES = ("tui_backup.tui.widgets", "tui_backup.tui.screens")


@dataclass(frozen=True)
class KeymapCheck:
    """The entries that apply, and one line per problem (empty when all is well)."""

    keymap: dict[str, str]
    problems: list[str]


@cache
def key_names() -> frozenset[str]:
    """Every key name Textual understands after the modifiers: `f5`, `escape`, `question_mark`..."""
    names = {k.value.rsplit("+", 1)[-1] for k in Keys}
    names |= {_character_to_key(chr(c)) for c in range(0x21, 0x7F)}
    names |= set(KEY_TO_UNICODE_NAME) | set(KEY_NAME_REPLACEMENTS.values()) | set(KEY_ALIASES)
    names |= {"space", "tab", "enter", "escape", "backspace", "delete", "insert"}
    names |= {f"f{n}" for n in range(1, 25)}
    return frozenset(n for n in names if len(n) > 1)


def key_problem(key: str) -> str | None:
    """Why `key` (one key, e.g. "ctrl+shift+x", "f5", "?") is not a key; None when it is."""
    if not key:
        return "an empty key"
    if len(key) == 1:
        # A single character is bound as typed (Textual turns "?" into "question_mark").
        return None if key.isprintable() and not key.isspace() else f"{key!r} is not a printable character"
    *modifiers, name = key.split("+")
    unknown = [m for m in modifiers if m not in MODIFIERS]
    if unknown:
        return f"{key!r}: unknown modifier {unknown[0]!r} (use {', '.join(sorted(MODIFIERS))})"
    if len(name) == 1:
        return None if name.isprintable() and not name.isspace() else f"{key!r} is not a key"
    if name in key_names():
        return None
    if _is_unicode_name(name):
        return None
    return f"{key!r} is not a key name (e.g. a, ctrl+x, f5, escape, question_mark)"


def _is_unicode_name(name: str) -> bool:
    """Textual names other characters after Unicode: "left_curly_bracket", "pound_sign"."""
    try:
        unicodedata.lookup(name.replace("_", " "))
    except KeyError:
        return False
    return True


def split_keys(value: object) -> list[str] | None:
    """A keymap value ("a,ctrl+a" or ["a", "ctrl+a"]) as its keys; None when it has no form."""
    if isinstance(value, str):
        return [k.strip() for k in value.split(",")]
    if isinstance(value, list) and value and all(isinstance(k, str) for k in value):
        return [k.strip() for part in value for k in part.split(",")]
    return None


def _binding_packages() -> None:
    """Import every widget and screen module (their BINDINGS declare the ids)."""
    for package_name in BINDING_PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            try:
                importlib.import_module(info.name)
            except Exception:  # a broken screen must not stop the app: its ids read as unknown
                continue


def _subclasses(cls: type) -> Iterator[type]:
    subs: list[type] = cls.__subclasses__()
    for sub in subs:
        yield sub
        yield from _subclasses(sub)


def _own_bindings(cls: type) -> list[Binding]:
    return [b for b in cls.__dict__.get("BINDINGS", ()) if isinstance(b, Binding)]


def binding_owners(app: App[Any]) -> dict[type, list[Binding]]:
    """Every class of the app's widgets and screens (and the app) with the bindings it declares."""
    _binding_packages()
    owners: dict[type, list[Binding]] = {}
    classes = [c for c in _subclasses(DOMNode) if c.__module__.startswith("tui_backup.")]
    classes += [type(node) for node in app.query("*")] + list(type(app).__mro__)
    for cls in classes:
        if cls in owners:
            continue
        # Each class with what it inherits: a key clash is between bindings of one widget.
        merged = [b for klass in reversed(cls.__mro__) for b in _own_bindings(klass)]
        if merged:
            owners[cls] = merged
    return owners


def _keys_of(binding: Binding) -> list[str]:
    return [k.strip() for k in binding.key.split(",")]


def check_keymap(raw: Mapping[str, object], owners: Mapping[type, Iterable[Binding]]) -> KeymapCheck:
    """Split `raw` (the config's table) into the entries that apply and the problems."""
    known = {b.id for bindings in owners.values() for b in bindings if b.id}
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, value in raw.items():
        if binding_id not in known:
            problems.append(f"unknown binding id {binding_id!r} (the help screen, ?, lists them)")
            continue
        keys = split_keys(value)
        if keys is None:
            problems.append(f"{binding_id}: keys must be a string like \"ctrl+x\" or \"a,b\", not {value!r}")
            continue
        bad = [p for p in (key_problem(k) for k in keys) if p]
        if bad:
            problems.append(f"{binding_id}: {'; '.join(bad)}")
            continue
        keymap[binding_id] = ",".join(keys)
    # A clashing entry is left out (its binding keeps its default keys), like any other bad one.
    for problem, ids in _clashes(keymap, owners):
        dropped = [i for i in ids if keymap.pop(i, None) is not None]
        problems.append(f"{problem} ({' and '.join(dropped) or 'neither'} not remapped)")
    return KeymapCheck(keymap, problems)


def _clashes(keymap: Mapping[str, str], owners: Mapping[type, Iterable[Binding]]) -> list[tuple[str, list[str]]]:
    """Keys the user gave that another binding of the same widget (or screen) also has:
    (the problem, the remapped ids involved)."""
    out: list[tuple[str, list[str]]] = []
    seen: set[tuple[str, ...]] = set()
    for bindings in owners.values():
        by_key: dict[str, list[str]] = {}
        for b in bindings:
            if not b.id:
                continue
            keys = split_keys(keymap[b.id]) if b.id in keymap else _keys_of(b)
            for key in keys or ():
                ids = by_key.setdefault(_canonical(key), [])
                if b.id not in ids:
                    ids.append(b.id)
        for key, ids in by_key.items():
            pair = tuple(sorted(ids))
            if len(ids) > 1 and any(i in keymap for i in ids) and pair not in seen:
                seen.add(pair)
                out.append((f"key {key!r} is bound to both {' and '.join(ids)}", [i for i in ids if i in keymap]))
    return out


def _canonical(key: str) -> str:
    return _character_to_key(key) if len(key) == 1 else key


def apply_keymap(app: App[Any], raw: Mapping[str, object], config_file: str = "") -> KeymapCheck:
    """Check `raw`, give the valid entries to Textual, and say every problem in one notification."""
    if not raw:
        return KeymapCheck({}, [])
    check = check_keymap(raw, binding_owners(app))
    if check.keymap:
        app.set_keymap(check.keymap)
    if check.problems:
        where = f" in {config_file}" if config_file else ""
        lines = "\n".join(f"• {p}" for p in check.problems)
        app.notify(f"{lines}\nThe other keys work as configured.", title=f"Key map problems ({CONFIG_KEY}{where})",
                   severity="warning", timeout=20, markup=False)
    return check


__all__ = ["KeymapCheck", "apply_keymap", "binding_owners", "check_keymap", "key_problem", "split_keys"]
