"""Where profiles and their state live, and how a command picks its profile."""

from __future__ import annotations

import os
import re
from pathlib import Path

from tui_backup.errors import ProfileNotFoundError, UsageError

APP_NAME = "tui-backup"
CONFIG_ENV = "TUI_BACKUP_CONFIG"
PROFILE_ENV = "TUI_BACKUP_PROFILE"
PROFILE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def config_home() -> Path:
    import platformdirs  # imported where used: not needed when --config and state_dir are given

    return Path(platformdirs.user_config_dir(APP_NAME))


def profiles_dir() -> Path:
    return config_home() / "profiles"


def user_themes_dir() -> Path:
    return config_home() / "themes"


def state_home() -> Path:
    import platformdirs

    return Path(platformdirs.user_state_dir(APP_NAME))


def default_state_dir(profile_name: str) -> Path:
    return state_home() / profile_name


def profile_path(name: str) -> Path:
    check_profile_name(name)
    return profiles_dir() / f"{name}.toml"


def check_profile_name(name: str) -> str:
    if not PROFILE_NAME_RE.match(name):
        raise UsageError(
            f"invalid profile name {name!r}",
            "use letters, digits, '-' and '_' (at most 64 characters, not starting with - or _)",
        )
    return name


def list_profiles() -> list[str]:
    d = profiles_dir()
    if not d.is_dir():
        return []
    return sorted(p.stem for p in d.glob("*.toml") if PROFILE_NAME_RE.match(p.stem))


def resolve_config_path(profile: str | None = None, config: Path | str | None = None) -> Path:
    """The config file a command works on.

    Precedence: --config, then --profile, then $TUI_BACKUP_CONFIG, then $TUI_BACKUP_PROFILE,
    then the only profile there is.
    """
    if profile and config:
        raise UsageError("--profile and --config both given", "pass only one of them")
    if config:
        return _existing(Path(config).expanduser(), "--config")
    if profile:
        return _existing(profile_path(profile), f"profile {profile!r}")
    env_config = os.environ.get(CONFIG_ENV)
    if env_config:
        return _existing(Path(env_config).expanduser(), f"${CONFIG_ENV}")
    env_profile = os.environ.get(PROFILE_ENV)
    if env_profile:
        return _existing(profile_path(env_profile), f"${PROFILE_ENV}")
    names = list_profiles()
    if len(names) == 1:
        return profile_path(names[0])
    if not names:
        raise ProfileNotFoundError(
            f"no profile yet (looked in {profiles_dir()})",
            "create one with: tui-backup init --name NAME --db sqlite:///path/app.db  (or try: tui-backup demo)",
        )
    raise ProfileNotFoundError(
        f"{len(names)} profiles exist ({', '.join(names)}); which one?",
        "pass --profile NAME (or set TUI_BACKUP_PROFILE)",
    )


def _existing(path: Path, what: str) -> Path:
    if not path.is_file():
        raise ProfileNotFoundError(
            f"{what}: no config file at {path}",
            "list profiles with `tui-backup profiles`, or create one with `tui-backup init`",
        )
    return path.resolve()
