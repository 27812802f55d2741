"""Helpers shared by the tests: add TOML (destinations, policies) to a profile's config and
open a ProfileService over it. Plain functions (not fixtures) so any conftest can use them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tui_backup.service import ProfileService


def append_toml(config: Path, text: str) -> Path:
    """Append `text` to the config file after a blank line (the file's own lines stay as written)."""
    with open(config, "a", encoding="utf-8") as f:
        f.write("\n" + text)
    return config


def toml_value(value: object) -> str:
    """A TOML literal for the simple values tests write: strings and paths quoted, booleans
    lowercase, numbers as they are, lists of those."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, Path)):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return str(value)


def destination_toml(name: str, type_: str = "local", **keys: object) -> str:
    """A `[[destination]]` table: `name`, `type`, then `keys` in the order given."""
    lines = ["[[destination]]", f'name = "{name}"', f'type = "{type_}"']
    lines += [f"{k} = {toml_value(v)}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"


def add_destination(config: Path, name: str, type_: str = "local", **keys: object) -> Path:
    """Append a `[[destination]]` to the config, e.g. `add_destination(cfg, "usb", path=drive)`."""
    return append_toml(config, destination_toml(name, type_, **keys))


@contextmanager
def open_service(config: Path, *, interface: str = "cli", check_paths: bool = True) -> Iterator[ProfileService]:
    """A ProfileService over `config`, closed when the block (or the fixture) ends."""
    service = ProfileService.open(config=config, interface=interface, check_paths=check_paths)
    try:
        yield service
    finally:
        service.close()
