"""Edits to a profile's config that keep the user's comments, key order and formatting.

Every edit goes through tomlkit, is validated as a whole before it is saved, and is written
atomically with the file's own permissions: an invalid edit changes nothing.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import Array, Item, Table

from tui_backup.config._load import read_document, validate_document
from tui_backup.config._schema import section
from tui_backup.config.models import Config
from tui_backup.errors import UsageError
from tui_backup.fsutil import atomic_writer


class ConfigDocument:
    """A profile's config opened for editing."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).resolve()
        self.doc = read_document(self.path)

    def get(self, dotted: str) -> Any:
        sect_name, key = _split_key(dotted)
        table = self.doc.get(sect_name)
        sect = section(sect_name)
        assert sect is not None
        k = sect.key(key)
        assert k is not None
        if table is None or key not in table:
            return k.default
        return table[key].unwrap() if hasattr(table[key], "unwrap") else table[key]

    def set(self, dotted: str, value: Any) -> None:
        """Set `section.key`, keeping the comment on that line and everything around it."""
        sect_name, key = _split_key(dotted)
        table = self.doc.get(sect_name)
        if table is None:
            table = tomlkit.table()
            self.doc.add(sect_name, table)
        assert isinstance(table, Table)
        if key in table:
            old = table.item(key)
            if isinstance(old, Array) and isinstance(value, list) and _edit_array_in_place(old, value):
                return
            new = tomlkit.item(value)
            if isinstance(old, Item):
                # Keep the line's indentation, the spacing before its comment, and the comment.
                for attr in ("indent", "comment_ws", "comment", "trail"):
                    setattr(new.trivia, attr, getattr(old.trivia, attr))
            table[key] = new
        else:
            table.add(key, value)

    def validate(self, *, check_paths: bool = False) -> Config:
        return validate_document(self.doc, self.path, self.doc.as_string(), check_paths=check_paths)

    def save(self, *, check_paths: bool = False) -> Config:
        """Validate the edited document, then write it atomically over the file."""
        config = self.validate(check_paths=check_paths)
        mode = stat.S_IMODE(os.stat(self.path).st_mode)
        with atomic_writer(self.path) as (_tmp, fd):
            os.fchmod(fd, mode)
            os.write(fd, self.doc.as_string().encode("utf-8"))
        return config


def _edit_array_in_place(arr: Array, new: list[Any]) -> bool:
    """Turn `arr` into `new` by removing and appending elements, so the comments on the
    elements that stay survive. False when `new` cannot be reached that way (reordered,
    duplicates): the caller then replaces the whole array."""
    old = list(arr)
    if len(set(new)) != len(new) or len(set(old)) != len(old):
        return False
    if [v for v in old if v in new] + [v for v in new if v not in old] != new:
        return False
    for i in reversed(range(len(old))):
        if old[i] not in new:
            del arr[i]
    for v in new:
        if v not in old:
            arr.append(v)
    return True


def _split_key(dotted: str) -> tuple[str, str]:
    if "." not in dotted:
        raise UsageError(f"config key {dotted!r} has no section", "write it as SECTION.KEY, e.g. snapshots.keep")
    sect_name, key = dotted.split(".", 1)
    sect = section(sect_name)
    if sect is None or sect.key(key) is None:
        raise UsageError(f"unknown config key {dotted!r}", "see `tui-backup config show` for every key")
    return sect_name, key


def coerce_value(dotted: str, raw: str) -> Any:
    """Turn a command-line string into the key's type (validation happens on save)."""
    sect_name, key = _split_key(dotted)
    sect = section(sect_name)
    assert sect is not None
    k = sect.key(key)
    assert k is not None
    if k.type == "int":
        try:
            return int(raw)
        except ValueError:
            raise UsageError(f"{dotted} must be an integer, not {raw!r}", k.help) from None
    if k.type == "bool":
        low = raw.lower()
        if low in ("true", "yes", "1", "on"):
            return True
        if low in ("false", "no", "0", "off"):
            return False
        raise UsageError(f"{dotted} must be true or false, not {raw!r}", k.help)
    if k.type in ("path_list", "str_list"):
        return [p.strip() for p in raw.split(",") if p.strip()]
    return raw
