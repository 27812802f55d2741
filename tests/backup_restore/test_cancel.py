"""Cancelling a restore before the swap leaves everything as it was."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tui_backup.destinations.local import LocalDestination
from tui_backup.errors import CancelledError
from tui_backup.jobs.events import Event, Started
from tui_backup.jobs.runner import JobContext
from tui_backup.service import ProfileService
from tui_backup.service.backup_restore import restore_backup

from .conftest import db_dump, tree_hashes


class SlowLocal(LocalDestination):
    """The real local destination, on a slow link: the fetch takes a while after copying."""

    async def fetch(self, ctx: JobContext, point_id: str, staging: Path, paths: tuple[str, ...] | None = None) -> Path:
        root = await super().fetch(ctx, point_id, staging, paths)
        await asyncio.sleep(30)
        return root


def test_cancel_during_fetch_changes_nothing(svc: ProfileService, dest: LocalDestination, app_dir: Path, point: str) -> None:
    (app_dir / "files" / "a.txt").write_text("changed\n")
    tree, dump = tree_hashes(app_dir / "files", app_dir / "app.conf"), db_dump(app_dir / "app.db")
    snapshots = len(svc.list_snapshots())
    slow = SlowLocal(dest.name, dest.path, dest.profile)

    def on_event(event: Event) -> None:
        if isinstance(event, Started):
            svc.cancel_job(event.job_id)

    with pytest.raises(CancelledError):
        restore_backup(svc, slow, point, subscribers=[on_event])
    assert tree_hashes(app_dir / "files", app_dir / "app.conf") == tree
    assert db_dump(app_dir / "app.db") == dump
    assert len(svc.list_snapshots()) == snapshots
    assert not [p for p in app_dir.iterdir() if p.name.startswith(".tui-backup-")]
    assert svc.list_jobs()[0].status == "cancelled"
