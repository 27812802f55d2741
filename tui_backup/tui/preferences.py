"""What the app remembers between sessions (not the profile's config): the theme last chosen.

Kept in the user's state dir as `tui.json` (one file for every profile: a theme suits a
terminal, not an application). The app never rewrites the user's config for a preference;
a `[tui] theme` set in a profile's config wins over what is remembered here.

A missing, unreadable or malformed file reads as "nothing remembered": a preference is
never worth stopping the app for.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tui_backup.config.locations import state_home
from tui_backup.fsutil import atomic_write_text, make_private_dir

FILE_NAME = "tui.json"


def preferences_file() -> Path:
    return state_home() / FILE_NAME


def load_preferences(path: Path | None = None) -> dict[str, Any]:
    try:
        data = json.loads((path or preferences_file()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def remembered_theme(path: Path | None = None) -> str | None:
    value = load_preferences(path).get("theme")
    return value if isinstance(value, str) and value.strip() else None


def remember_theme(name: str, path: Path | None = None) -> None:
    """Store `name` as the theme to use next time (other preferences in the file are kept)."""
    target = path or preferences_file()
    prefs = load_preferences(target)
    if prefs.get("theme") == name:
        return
    prefs["theme"] = name
    make_private_dir(target.parent)
    atomic_write_text(target, json.dumps(prefs, indent=2, sort_keys=True) + "\n")
