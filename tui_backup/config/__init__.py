"""Profiles and their TOML config (read and written with tomlkit)."""

from typing import TYPE_CHECKING, Any

from tui_backup.config._load import load_config, parse_database_url
from tui_backup.config._schema import SECTIONS, Key, Section
from tui_backup.config._template import render_config
from tui_backup.config.locations import (
    default_state_dir,
    list_profiles,
    profile_path,
    profiles_dir,
    resolve_config_path,
    user_themes_dir,
)
from tui_backup.config.models import Config, DatabaseSource

if TYPE_CHECKING:
    from tui_backup.config._edit import ConfigDocument, coerce_value


def __getattr__(name: str) -> Any:
    # The editing side (tomlkit's document model) loads only when something edits: every
    # one-shot command reads the config, few write it.
    if name in ("ConfigDocument", "coerce_value"):
        from tui_backup.config import _edit

        return getattr(_edit, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "SECTIONS",
    "Config",
    "ConfigDocument",
    "DatabaseSource",
    "Key",
    "Section",
    "coerce_value",
    "default_state_dir",
    "list_profiles",
    "load_config",
    "parse_database_url",
    "profile_path",
    "profiles_dir",
    "render_config",
    "resolve_config_path",
    "user_themes_dir",
]
