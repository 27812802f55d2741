"""The validated config of one profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from tui_backup.policies.model import NotifySpec, Policy


@dataclass(frozen=True)
class DatabaseSource:
    """The profile's database: a SQLite file or a PostgreSQL URL."""

    kind: Literal["sqlite", "postgresql"]
    url: str
    path: Path | None = None  # sqlite only

    @property
    def display(self) -> str:
        """The URL with any password removed: safe for logs and screens."""
        if self.kind == "sqlite":
            return f"sqlite://{self.path}"
        return redact_url(self.url)


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = unquote(parts.username or "")
    return url.replace(parts.netloc, f"{user}:***@{netloc[-1]}", 1)


@dataclass(frozen=True)
class ProfileSection:
    name: str
    description: str = ""
    state_dir: Path | None = None


@dataclass(frozen=True)
class SourceSection:
    database: DatabaseSource
    password_file: Path | None = None
    files: tuple[Path, ...] = ()
    config_files: tuple[Path, ...] = ()


@dataclass(frozen=True)
class SnapshotsSection:
    dir: Path | None = None
    keep: int = 10
    compression_level: int = 1
    verify: Literal["quick", "full"] = "quick"
    timeout_seconds: int = 3600
    prune_after_create: bool = True
    row_changes: Literal["auto", "on", "off"] = "auto"  # hash every row of SQLite snapshots (db.changed)


@dataclass(frozen=True)
class VolumesSection:
    min_free_mb: int = 100


@dataclass(frozen=True)
class TrashSection:
    retention_days: int = 30
    max_size_mb: int = 0  # 0: no size cap
    min_days: int = 1  # the size cap never purges an item younger than this


@dataclass(frozen=True)
class JobsSection:
    max_concurrent: int = 2


@dataclass(frozen=True)
class TuiSection:
    theme: str = ""  # "": chosen by the app (tui/themes.py choose_theme)
    # [tui.keymap]: binding id -> keys, checked by the app (tui/keymap.py), which still starts.
    keymap: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MonitoringSection:
    metrics_file: Path | None = None  # Prometheus text format, rewritten after each run


@dataclass(frozen=True)
class DestinationConfig:
    """One `[[destination]]` table: its name, type and its type's own keys (already checked
    by the type's module at load time; `tui_backup.destinations.destination_from_config`
    builds the destination from it)."""

    name: str
    type: str  # "local" | "rsync" | "restic"
    table: dict[str, Any]  # the type's keys (without `name` and `type`)
    file: str  # the config file
    base: Path  # its directory (relative paths are relative to it)
    where: str  # "destination.NAME", for messages
    line: int | None = None  # the table's `[[destination]]` line
    profile: str = ""  # the profile the table belongs to


@dataclass(frozen=True)
class Config:
    """One profile's config, validated. Paths are absolute."""

    file: Path
    profile: ProfileSection
    source: SourceSection
    snapshots: SnapshotsSection = field(default_factory=SnapshotsSection)
    volumes: VolumesSection = field(default_factory=VolumesSection)
    trash: TrashSection = field(default_factory=TrashSection)
    jobs: JobsSection = field(default_factory=JobsSection)
    tui: TuiSection = field(default_factory=TuiSection)
    policies: tuple[Policy, ...] = ()
    destinations: tuple[DestinationConfig, ...] = ()  # [[destination]]s, then the policies' inline ones
    notify: NotifySpec = field(default_factory=NotifySpec)  # [notify]: for every policy
    monitoring: MonitoringSection = field(default_factory=MonitoringSection)
    warnings: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.profile.name
