"""Fixtures for quitting with running jobs: a profile whose backup runs long enough to watch.

A real rsync destination on a local path with a bandwidth limit and a few MB of
incompressible files: the backup runs for many seconds, and a cancel stops it at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import helpers
from tests.tui.conftest import RecordingApp, app, demo_config, demo_service, fixed_clock, utc_tz  # noqa: F401  (fixtures)
from tui_backup.catalog import jobs as job_rows
from tui_backup.service import ProfileService

SLOW_MB = 4
BWLIMIT = "256"  # KiB/s: SLOW_MB MB take ~16 s


@pytest.fixture
def slow_config(profile_config: Path, app_dir: Path, tmp_path: Path) -> Path:
    big = app_dir / "files" / "big.bin"
    big.write_bytes(os.urandom(SLOW_MB * 1024 * 1024))
    drive = tmp_path / "rsync-drive"
    drive.mkdir()  # a plugged-in drive (a missing path is an unplugged one: refused)
    helpers.add_destination(profile_config, "slow", "rsync", path=drive, bwlimit=BWLIMIT)
    return profile_config


@pytest.fixture
def slow_service(slow_config: Path) -> Iterator[ProfileService]:
    with helpers.open_service(slow_config, interface="tui") as service:
        yield service
        # Whatever a test left running is stopped (the jobs outlive the app on purpose).
        for job in service.list_jobs():
            if job.status == job_rows.RUNNING:
                try:
                    service.cancel_job(job.id)
                except Exception:
                    continue
                service.wait_job(job.id, timeout=20)


@pytest.fixture
def slow_app(slow_service: ProfileService) -> RecordingApp:
    return RecordingApp(slow_service, clock=fixed_clock)
