"""Staging directories of restores (and drills): private, registered, never left behind.

A staging dir is named ``.tui-backup-staging-<pid>-<hex>`` (the fsutil temporary
convention) and registered as a symlink in ``<state>/staging/`` *before* it is created, so
a restore SIGKILLed at any moment leaves something the next restore or backup finds and
removes (`remove_stale_staging`) — even when it sits next to a `--to` directory far from
the state dir. Kept apart from backup_restore.py so a backup can clean up without loading
the restore machinery.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from tui_backup.fsutil import make_private_dir, pid_alive
from tui_backup.jobs import orphans
from tui_backup.service.tree_swap import STAGING_PREFIX

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService

STAGING_REGISTRY = "staging"  # in the state dir: one symlink per staging dir in use


def new_staging(svc: ProfileService, parent: Path) -> Path:
    """A private staging dir in `parent`, registered first (a kill right after the mkdir
    still leaves it findable)."""
    registry = make_private_dir(svc.paths.state_dir / STAGING_REGISTRY)
    path = parent / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    (registry / path.name).symlink_to(path)
    path.mkdir(mode=0o700)
    return path


def drop_staging(svc: ProfileService, path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        (svc.paths.state_dir / STAGING_REGISTRY / path.name).unlink()


def staging_pid(name: str) -> int | None:
    head = name[len(STAGING_PREFIX) :].split("-", 1)[0] if name.startswith(STAGING_PREFIX) else ""
    return int(head) if head.isdigit() else None


def remove_stale_staging(svc: ProfileService) -> list[Path]:
    """Remove the staging dirs of restores whose process is gone (e.g. SIGKILLed mid-fetch).

    The rsync or restic a killed restore started may still be writing into its staging dir
    (children run in their own session): they are stopped first, or the removal races with
    them. A dir that could not be removed keeps its registry entry for the next try."""
    registry = svc.paths.state_dir / STAGING_REGISTRY
    removed: list[Path] = []
    if not registry.is_dir():
        return removed
    for entry in registry.iterdir():
        pid = staging_pid(entry.name)
        if pid is None or pid == os.getpid() or pid_alive(pid) or not entry.is_symlink():
            continue
        target = Path(os.readlink(entry))
        # only what the registry says we made: that exact name, a real directory
        if target.name == entry.name and target.is_dir() and not target.is_symlink():
            orphans.stop(orphans.children_of_dead(pid))
            shutil.rmtree(target, ignore_errors=True)
            if target.exists():
                continue
            removed.append(target)
        entry.unlink(missing_ok=True)
    return removed
