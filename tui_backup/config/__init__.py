"""Profiles and their TOML config (read and written with tomlkit)."""

from tui_backup.config._edit import ConfigDocument, coerce_value
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
