"""Every profile at a glance, and the checks of a new one: the app's profile picker and
first-run screen call this (the CLI's `profiles` and `init` share the same config layer).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tui_backup.clock import from_catalog
from tui_backup.config import list_profiles, load_config, parse_database_url, profile_path
from tui_backup.config.locations import check_profile_name
from tui_backup.errors import TuiBackupError

HEALTH_ERROR = "error"  # the profile could not even be opened (bad config ...)


@dataclass(frozen=True)
class ProfileEntry:
    """One profile the picker lists: a file of the profiles dir, or the open one."""

    name: str
    config: Path


@dataclass(frozen=True)
class ProfileHealth:
    """A profile's health in one line: `health` is ok | warn | fail (as `status`) or error."""

    config: Path
    health: str
    summary: str  # the first problem, or the description; for `error` the reason
    description: str = ""
    # The newest backup of any kind (a snapshot, a policy's restore point), catalog format
    # (UTC); None: none yet, or the profile could not be opened.
    last_backup_at: str | None = None

    def last_backup_age_s(self, now: datetime) -> float | None:
        if self.last_backup_at is None:
            return None
        try:
            return max((now - from_catalog(self.last_backup_at)).total_seconds(), 0.0)
        except ValueError:
            return None

    def to_json(self, name: str, now: datetime) -> dict[str, Any]:
        """`tui-backup profiles --json`: one profile."""
        return {"name": name, "config": str(self.config), "health": self.health,
                "last_backup_at": self.last_backup_at, "last_backup_age_s": self.last_backup_age_s(now),
                "summary": self.summary, "description": self.description}


def profile_entries(current: Path | None = None) -> list[ProfileEntry]:
    """The profiles of the profiles dir, by name; `current` (a config opened with --config
    elsewhere) is added first when it is not one of them."""
    entries = [ProfileEntry(name, profile_path(name).resolve()) for name in list_profiles()]
    if current is not None and current.resolve() not in {e.config for e in entries}:
        entries.insert(0, ProfileEntry(current.stem, current.resolve()))
    return entries


def profile_health(config: Path) -> ProfileHealth:
    """Open the profile briefly and report its `status` health (never raises for a bad
    profile: a picker lists every profile, the broken ones with their reason)."""
    from tui_backup.service.profile import ProfileService

    try:
        svc = ProfileService.open(config=config, interface="tui", check_paths=False)
    except TuiBackupError as exc:
        return ProfileHealth(config, HEALTH_ERROR, exc.message)
    except OSError as exc:  # an unreadable state dir ...: one broken profile, not the whole list
        return ProfileHealth(config, HEALTH_ERROR, f"cannot open: {exc}")
    try:
        report = svc.status()
    except (TuiBackupError, OSError) as exc:
        message = exc.message if isinstance(exc, TuiBackupError) else f"cannot check: {exc}"
        return ProfileHealth(config, HEALTH_ERROR, message, svc.config.profile.description)
    finally:
        svc.close()
    description = svc.config.profile.description
    reasons = list(report.problems) + [r for p in report.policies for r in p.reasons if p.health != "ok"]
    # Catalog timestamps sort as text (clock.to_catalog).
    times = [t for t in (report.newest_snapshot_at, *(p.newest_point_at for p in report.policies)) if t]
    return ProfileHealth(config, report.health, reasons[0] if reasons else description, description,
                         max(times, default=None))


def check_opens(config: Path) -> None:
    """Raise the config's error now if the profile cannot be opened (before leaving the
    profile the app has open for it)."""
    load_config(config, check_paths=False)


# ---- a new profile (the first-run screen; `init_profile` checks everything again) ----


def database_url(text: str) -> str:
    """What a user typed as the database: a URL, or the path of an SQLite file."""
    text = text.strip()
    if text.startswith(("/", "~")):
        return f"sqlite://{Path(os.path.expanduser(text)).absolute()}"
    return text


def split_paths(text: str) -> tuple[Path, ...]:
    """Comma-separated paths (blank parts skipped), with `~` expanded."""
    return tuple(Path(os.path.expanduser(p.strip())) for p in text.split(",") if p.strip())


def new_profile_problems(name: str, database: str, files: str, config_files: str) -> dict[str, str]:
    """What is wrong with each field of a new profile (field -> one line); {} when fine.

    The same rules as `init_profile` (which checks them again when writing), said per field
    so a form can show them beside the field.
    """
    problems: dict[str, str] = {}
    if not name.strip():
        problems["name"] = "a name is needed (letters, digits, - and _)"
    else:
        try:
            check_profile_name(name.strip())
            if profile_path(name.strip()).exists():
                problems["name"] = f"a profile named {name.strip()!r} exists already"
        except TuiBackupError as exc:
            problems["name"] = exc.message
    url = database_url(database)
    if not url:
        problems["database"] = "the application's database is needed (a path or a URL)"
    else:
        try:
            db = parse_database_url(url, Path.cwd())
            if db.kind == "sqlite" and db.path is not None and not db.path.is_file():
                problems["database"] = f"no database file at {db.path}"
        except ValueError as exc:
            problems["database"] = str(exc)
    for p in split_paths(files):
        if not p.is_dir():
            problems["files"] = f"{p} is not a directory"
            break
    for p in split_paths(config_files):
        if not p.is_file():
            problems["config_files"] = f"{p} is not a file"
            break
    return problems
