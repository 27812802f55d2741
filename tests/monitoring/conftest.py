"""Fixtures: the `app` profile with a local destination, and policy runs recorded at chosen times."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import add_destination, append_toml
from tui_backup import clock
from tui_backup.catalog import policy_runs as pr
from tui_backup.catalog.policy_runs import PolicyRun
from tui_backup.service import ProfileService

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def policy_toml(name: str = "nightly", destination: str = "usb", **keys: str) -> str:
    lines = [f'[[policy]]\nname = "{name}"\ndestination = "{destination}"']
    extra = {"frequency": '"daily"', **keys}
    lines += [f"{k} = {v}" for k, v in extra.items() if v != ""]
    return "\n".join(lines) + "\n"


@pytest.fixture
def with_drive(profile_config: Path, drive: Path) -> Path:
    return add_destination(profile_config, "usb", path=drive)


def open_with(config: Path, *policies: str) -> ProfileService:
    for p in policies:
        append_toml(config, p)
    return ProfileService.open(config=config)


@pytest.fixture
def pinned_now() -> Iterator[datetime]:
    with clock.pinned(NOW):
        yield NOW


def record(
    svc: ProfileService,
    policy: str,
    at: datetime,
    status: str = "succeeded",
    *,
    kind: str = pr.BACKUP,
    point_id: str | None = None,
    size: int | None = 1000,
    took: float = 60.0,
    error: str | None = None,
    details: dict[str, Any] | None = None,
) -> PolicyRun:
    """A finished run of `policy` that started at `at` and took `took` seconds (the clock is
    moved through it and put back where it was)."""
    before = clock.now()
    try:
        clock.set_now(at)
        run_id = pr.start_run(svc.catalog, policy, kind, pr.SCHEDULE)
        clock.set_now(at + timedelta(seconds=took))
        ok = status in ("succeeded", "succeeded-with-warnings")
        if kind == pr.BACKUP and ok and point_id is None:
            point_id = at.strftime("%Y%m%dT%H%M%SZ") + "-full"
        run = pr.finish_run(
            svc.catalog, run_id, status, point_id=point_id, size_bytes=size if ok else None, duration_s=took,
            error=error, error_kind="failed" if error else None, details=details,
        )
        if kind == pr.BACKUP:
            if ok:
                pr.update_state(svc.catalog, policy, last_success_at=run.finished_at, failures=0)
            else:
                failures = pr.get_state(svc.catalog, policy).failures
                pr.update_state(svc.catalog, policy, failures=failures + 1)
        return run
    finally:
        clock.set_now(before)
