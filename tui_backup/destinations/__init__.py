"""Destinations (layer 4): where backups go. The protocol is in `base`; one module per type.

The registry: `destination_from_config(name, table, ctx)` builds a destination from its
`[[destination]]` table by dispatching on `type` to the type's module (`local`, `rsync`,
`restic`), each imported only when used; `destinations_of(config)` builds them all.
`check_table(table, keys, ctx)` is the shared key check the type modules use.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from tui_backup.destinations.base import Destination, DestinationConfigContext
from tui_backup.errors import ConfigError, NotFoundError

if TYPE_CHECKING:
    from tui_backup.config._schema import Key
    from tui_backup.config.models import Config, DestinationConfig

TYPES: tuple[str, ...] = ("local", "rsync", "restic")


def _module(type_: str, ctx: DestinationConfigContext) -> ModuleType:
    if type_ not in TYPES:
        raise ConfigError(
            ctx.file,
            f"unknown destination type {type_!r}",
            key=f"{ctx.where}.type",
            line=ctx.line,
            hint=f"use one of: {', '.join(TYPES)}",
        )
    try:
        return importlib.import_module(f"tui_backup.destinations.{type_}")
    except ModuleNotFoundError as exc:
        if exc.name != f"tui_backup.destinations.{type_}":
            raise
        raise ConfigError(
            ctx.file,
            f"destinations of type {type_!r} are not available in this version",
            key=f"{ctx.where}.type",
            line=ctx.line,
            hint=f"use one of the available types: {', '.join(available_types())}",
        ) from None


def available_types() -> list[str]:
    here = Path(__file__).parent
    return [t for t in TYPES if (here / f"{t}.py").is_file()]


def context_of(dest: DestinationConfig) -> DestinationConfigContext:
    return DestinationConfigContext(
        file=dest.file, base=dest.base, where=dest.where, line=dest.line, profile=dest.profile
    )


def destination_from_config(name: str, table: dict[str, Any], ctx: DestinationConfigContext) -> Destination:
    """Build a destination from its table (`type` and the type's keys; `name` is ignored)."""
    type_ = table.get("type")
    if not isinstance(type_, str):
        raise ConfigError(ctx.file, "missing required key 'type'", key=f"{ctx.where}.type", line=ctx.line,
                          hint=f"set type = one of: {', '.join(TYPES)}")
    keys = {k: v for k, v in table.items() if k not in ("name", "type")}
    dest: Destination = _module(type_, ctx).from_config(name, keys, ctx)
    return dest


def check_destination_config(dest: DestinationConfig) -> None:
    """Validate a [[destination]] at config load time (raises ConfigError naming file, key, line)."""
    destination_from_config(dest.name, {"type": dest.type, **dest.table}, context_of(dest))


def build(dest: DestinationConfig) -> Destination:
    return destination_from_config(dest.name, {"type": dest.type, **dest.table}, context_of(dest))


def destinations_of(config: Config) -> list[Destination]:
    return [build(d) for d in config.destinations]


def destination_named(config: Config, name: str) -> Destination:
    for d in config.destinations:
        if d.name == name:
            return build(d)
    names = ", ".join(d.name for d in config.destinations)
    raise NotFoundError(
        f"no destination named {name!r}",
        f"destinations of this profile: {names}" if names else "declare one in the profile's config: a [[destination]] table",
    )


# ---- the shared key check for the type modules ----


def key_line(ctx: DestinationConfigContext, key: str) -> int | None:
    """The line of `key = …` inside the table that starts at ctx.line (best effort)."""
    if ctx.line is None:
        return None
    try:
        lines = Path(ctx.file).read_text(encoding="utf-8").splitlines()
    except OSError:
        return ctx.line
    key_re = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*=")
    for j in range(ctx.line, len(lines)):
        if lines[j].lstrip().startswith("["):
            break
        if key_re.match(lines[j]):
            return j + 1
    return ctx.line


def config_error(ctx: DestinationConfigContext, key: str, problem: str, hint: str = "") -> ConfigError:
    return ConfigError(ctx.file, problem, key=f"{ctx.where}.{key}", line=key_line(ctx, key), hint=hint)


def check_table(table: dict[str, Any], keys: Sequence[Key], ctx: DestinationConfigContext) -> dict[str, Any]:
    """Check a destination table against its type's KEYS: unknown keys, missing required
    ones, value types and bounds. Returns every key's value (defaults filled in); `path`
    values come back as absolute `Path`s (relative to the config file's directory)."""
    known = {k.name: k for k in keys}
    for name in table:
        if name not in known:
            raise config_error(ctx, name, f"unknown key {name!r}",
                               f"keys of this destination type: name, type, {', '.join(known)}")
    out: dict[str, Any] = {}
    for k in keys:
        if k.name not in table:
            if k.required:
                raise config_error(ctx, k.name, f"missing required key {k.name!r}", f"add: {k.name} = ...   # {k.help}")
            out[k.name] = k.default
            continue
        out[k.name] = _check_value(table[k.name], k, ctx)
    return out


def _check_value(value: Any, k: Key, ctx: DestinationConfigContext) -> Any:
    def wrong(expected: str) -> ConfigError:
        return config_error(ctx, k.name, f"must be {expected}, not {type(value).__name__} {value!r}", k.help)

    if k.type in ("str", "path", "choice"):
        if not isinstance(value, str):
            raise wrong("a string")
        if "\x00" in value:
            raise config_error(ctx, k.name, "contains a NUL character", k.help)
        if k.type == "choice" and value not in k.choices:
            raise wrong(f"one of {', '.join(repr(c) for c in k.choices)}")
        if k.type == "path":
            if not value:
                raise config_error(ctx, k.name, "must not be empty", k.help)
            p = Path(os.path.expanduser(value))
            return Path(os.path.normpath(p if p.is_absolute() else ctx.base / p))
        return value
    if k.type == "bool":
        if not isinstance(value, bool):
            raise wrong("true or false")
        return value
    if k.type == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong("an integer")
        if (k.minimum is not None and value < k.minimum) or (k.maximum is not None and value > k.maximum):
            raise wrong(f"an integer from {k.minimum} to {k.maximum}")
        return value
    if k.type == "path_list":
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise wrong("a list of non-empty strings")
        return value
    raise AssertionError(k.type)


__all__ = [
    "TYPES",
    "available_types",
    "check_destination_config",
    "check_table",
    "config_error",
    "context_of",
    "destination_from_config",
    "destination_named",
    "destinations_of",
    "key_line",
]
