"""Deterministic policy history for pictures: runs recorded at fixed times (the catalog's
clock is tui_backup.clock), so health, ages and the size trend are the same on every run."""

from __future__ import annotations

from datetime import datetime, timedelta

from tui_backup import clock
from tui_backup.catalog import policy_runs as pr
from tui_backup.service import ProfileService

MB = 1024 * 1024


def record(svc: ProfileService, policy: str, kind: str, at: datetime, status: str, *,
           size: int | None = None, error: str | None = None, point: str | None = None) -> None:
    with clock.pinned(at):
        run_id = pr.start_run(svc.catalog, policy, kind, pr.SCHEDULE)
    with clock.pinned(at + timedelta(seconds=42)):
        pr.finish_run(svc.catalog, run_id, status, size_bytes=size, duration_s=42.0, error=error,
                      point_id=point or (at.strftime("%Y%m%dT%H%M%SZ") if status == "succeeded" else None))
        if status == "succeeded" and kind == pr.BACKUP:
            pr.update_state(svc.catalog, policy, last_success_at=clock.to_catalog(at), failures=0,
                            last_slot_done=clock.to_catalog(at))


def seed_history(svc: ProfileService, now: datetime) -> None:
    """nightly: a week of good nightly backups (a growing size) and a drill two days ago;
    configs: its last run failed an hour ago."""
    day0 = now.replace(hour=2, minute=0, second=0, microsecond=0)
    sizes = [40, 41, 41, 43, 44, 44, 46, 47]
    for i, size in enumerate(sizes):
        record(svc, "nightly", pr.BACKUP, day0 - timedelta(days=len(sizes) - 1 - i), "succeeded", size=size * MB)
    record(svc, "nightly", pr.DRILL, now - timedelta(days=2), "succeeded")
    record(svc, "configs", pr.BACKUP, now - timedelta(days=1, hours=3), "succeeded", size=2 * MB)
    record(svc, "configs", pr.BACKUP, now - timedelta(hours=1), "failed",
           error="before hook failed: mount /mnt/usb (exit 32)")
