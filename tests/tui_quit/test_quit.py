"""Quitting with running jobs (issue 6, K): long jobs run as detached children that outlive
the app; `q` asks whether to cancel them, leave them running, or stay.

Real parts: a real rsync backup (throttled so it runs for seconds) started from the
Destinations view by keys, the real catalog and processes, the real app at 80x24 and 120x40.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import RecordingApp, screen_text, settle
from tui_backup.catalog import jobs as job_rows
from tui_backup.catalog.jobs import JobRecord
from tui_backup.fsutil import pid_alive
from tui_backup.service import ProfileService
from tui_backup.service.background import BackgroundJobs, follow
from tui_backup.tui.screens.quit import QuitScreen

SIZES = [(80, 24), (120, 40)]


def _running_backup(svc: ProfileService) -> JobRecord | None:
    return next((j for j in svc.list_jobs() if j.kind == "backup" and j.status == job_rows.RUNNING), None)


async def _start_backup(pilot: Pilot[None], svc: ProfileService) -> JobRecord:
    """Destinations view (no policies: it shows first), b, Enter (full): a detached backup."""
    await settle(pilot)
    await pilot.press("3", "b", "enter")
    deadline = time.monotonic() + 30
    while (job := _running_backup(svc)) is None:
        assert time.monotonic() < deadline, svc.list_jobs()
        await pilot.pause(0.1)
    return job


async def _wait_exit(pilot: Pilot[None], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while pilot.app.is_running:
        assert time.monotonic() < deadline, "the app did not quit"
        await pilot.pause(0.05)


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
async def test_leave_running_the_job_outlives_the_app(slow_app: RecordingApp, slow_service: ProfileService,
                                                      size: tuple[int, int]) -> None:
    async with slow_app.run_test(size=size) as pilot:
        job = await _start_backup(pilot, slow_service)
        assert job.pid is not None and job.pid != os.getpid()  # a child process, not the app
        assert job.interface == "tui"
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(slow_app.screen, QuitScreen)
        assert f"#{job.id} backup slow (in the background)" in screen_text(pilot)
        await pilot.press("l")
        await _wait_exit(pilot)
    # The app is gone; the job goes on in its own process, and the catalog says so.
    time.sleep(1.0)
    row = slow_service.get_job(job.id)
    assert row.status == job_rows.RUNNING and pid_alive(job.pid)
    # A later session (or `tui-backup jobs cancel`) can still cancel it: it ends cancelled.
    slow_service.cancel_job(job.id)
    assert slow_service.wait_job(job.id, timeout=20).status == job_rows.CANCELLED


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
async def test_cancel_jobs_then_quit(slow_app: RecordingApp, slow_service: ProfileService,
                                     size: tuple[int, int]) -> None:
    async with slow_app.run_test(size=size) as pilot:
        job = await _start_backup(pilot, slow_service)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(slow_app.screen, QuitScreen)
        await pilot.press("c")
        await _wait_exit(pilot)
    row = slow_service.get_job(job.id)
    assert row.status == job_rows.CANCELLED, row
    assert job.pid is not None
    deadline = time.monotonic() + 10
    while pid_alive(job.pid):  # the child exits right after recording the end
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # A cancelled backup leaves no restore point that looks complete.
    points = await asyncio.to_thread(slow_service.list_restore_points, "slow")  # it runs its own loop
    assert all(not p.complete for p in points)


@pytest.mark.slow
async def test_stay_keeps_the_app_and_the_job(slow_app: RecordingApp, slow_service: ProfileService) -> None:
    async with slow_app.run_test(size=SIZES[0]) as pilot:
        job = await _start_backup(pilot, slow_service)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(slow_app.screen, QuitScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert slow_app.is_running and not isinstance(slow_app.screen, QuitScreen)
        assert slow_service.get_job(job.id).status == job_rows.RUNNING
        await pilot.press("q")  # asks again
        await pilot.pause()
        assert isinstance(slow_app.screen, QuitScreen)
        await pilot.press("c")
        await _wait_exit(pilot)
    assert slow_service.get_job(job.id).status == job_rows.CANCELLED


@pytest.mark.parametrize("size", SIZES)
async def test_without_running_jobs_q_quits_at_once(app: RecordingApp, size: tuple[int, int]) -> None:
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await _wait_exit(pilot, timeout=5)


def test_detached_child_records_its_job_and_can_be_cancelled(slow_service: ProfileService) -> None:
    bg = BackgroundJobs(slow_service)
    child = bg.start(["backup", "run", "--type=files", "--", "slow"])
    deadline = time.monotonic() + 30
    while not bg.running_jobs():
        assert time.monotonic() < deadline and not child.exited(), child.output_tail()
        time.sleep(0.1)
    [job] = bg.running_jobs()
    assert job.pid == child.pid and bg.is_detached(job)
    assert os.getsid(child.pid) == child.pid  # its own session: the terminal's signals never reach it
    rows = bg.cancel([job], timeout=20)
    assert [r.status for r in rows] == [job_rows.CANCELLED]
    result = follow(slow_service, child, on_progress=lambda _p: None)
    assert result is not None and [j.id for j in result.jobs] == [job.id]
    assert not result.ok and result.finished().status == job_rows.CANCELLED


def test_a_child_refused_before_its_job_reports_the_error(slow_service: ProfileService) -> None:
    bg = BackgroundJobs(slow_service)
    child = bg.start(["backup", "run", "no-such-destination"])
    result = follow(slow_service, child, on_progress=lambda _p: None)
    assert result is not None and not result.ok and result.jobs == ()
    message, hint = result.error()
    assert "no-such-destination" in message, result.output
    assert child.output.stat().st_mode & 0o777 == 0o600
    assert Path(child.output).parent == slow_service.paths.logs_dir
