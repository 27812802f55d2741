"""Creating a profile: `tui-backup init` and the app's first-run screen call this."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_backup.config import load_config, parse_database_url, profile_path, render_config
from tui_backup.config.locations import check_profile_name
from tui_backup.config.models import Config
from tui_backup.errors import UsageError
from tui_backup.fsutil import atomic_write_text, make_private_dir


@dataclass(frozen=True)
class InitRequest:
    name: str
    database: str
    files: tuple[Path, ...] = ()
    config_files: tuple[Path, ...] = ()
    snapshots_dir: Path | None = None
    state_dir: Path | None = None
    description: str = ""
    config_path: Path | None = None  # default: the platform's profiles dir


def _absolute(p: Path) -> Path:
    return Path(os.path.normpath(Path(os.path.expanduser(p)).absolute()))


def init_profile(req: InitRequest) -> Config:
    """Write a fully commented config for a new profile and create its state directory.

    Refuses to overwrite an existing profile; validates everything before writing.
    """
    check_profile_name(req.name)
    path = _absolute(req.config_path) if req.config_path else profile_path(req.name)
    if path.exists():
        raise UsageError(
            f"profile {req.name!r} already exists at {path}",
            "pick another --name, or edit that file (tui-backup never overwrites a profile)",
        )
    try:
        db = parse_database_url(req.database, Path.cwd())
    except ValueError as exc:
        raise UsageError(f"--db: {exc}", "use sqlite:///absolute/path/app.db or postgresql://user@host:5432/db") from None
    database = f"sqlite://{db.path}" if db.kind == "sqlite" else req.database
    if db.kind == "sqlite" and db.path is not None and not db.path.is_file():
        raise UsageError(f"--db: database file {db.path} does not exist", "check the path to the application's database")
    for p in req.files:
        if not _absolute(p).is_dir():
            raise UsageError(f"--files: {p} is not a directory", "pass a directory of the application's files")
    for p in req.config_files:
        if not _absolute(p).is_file():
            raise UsageError(f"--config-file: {p} is not a file", "pass a config file of the application")
    if req.snapshots_dir is not None and not _absolute(req.snapshots_dir).is_dir():
        raise UsageError(
            f"--snapshots-dir: {req.snapshots_dir} does not exist",
            f"create it first (mkdir -p -- {req.snapshots_dir}) or mount its drive",
        )
    values: dict[str, dict[str, Any]] = {
        "profile": {
            "name": req.name,
            "description": req.description,
            "state_dir": str(_absolute(req.state_dir)) if req.state_dir else "",
        },
        "source": {
            "database": database,
            "files": [str(_absolute(p)) for p in req.files],
            "config_files": [str(_absolute(p)) for p in req.config_files],
        },
        "snapshots": {"dir": str(_absolute(req.snapshots_dir)) if req.snapshots_dir else ""},
    }
    make_private_dir(path.parent)
    atomic_write_text(path, render_config(values))
    config = load_config(path)
    from tui_backup.service.profile import profile_paths

    make_private_dir(profile_paths(config).state_dir)
    return config
