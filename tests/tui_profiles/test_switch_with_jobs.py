"""A profile switch (P) while jobs this app started still run asks as quitting does: cancel
them, leave them running, or stay (screens/quit.py's dialog). Real parts: a throttled rsync
backup started by keys (tests/tui_quit), the real picker and catalog, at 80x24 and 120x40."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import RecordingApp, screen_text
from tests.tui_quit.conftest import slow_app, slow_config, slow_service  # noqa: F401 (fixtures)
from tests.tui_quit.test_quit import _start_backup, _wait_exit
from tui_backup.catalog import jobs as job_rows
from tui_backup.config import profile_path
from tui_backup.fsutil import pid_alive
from tui_backup.service import ProfileService
from tui_backup.service.demo import create_demo
from tui_backup.tui.screens.profiles import ProfilePicker
from tui_backup.tui.screens.quit import QuitScreen

SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def other_profile(isolated_home: Path) -> Path:
    """A second profile in the profiles dir, to switch to."""
    return create_demo(isolated_home / "demo", config_path=profile_path("demo"), snapshots=0)


async def _pick_other(pilot: Pilot[None], other: Path) -> None:
    """P, then the other profile's row, Enter (no `settle`: the backup's worker runs on)."""
    await pilot.press("P")
    deadline = time.monotonic() + 10
    while not isinstance(pilot.app.screen, ProfilePicker):
        assert time.monotonic() < deadline
        await pilot.pause(0.05)
    await pilot.pause()
    picker = pilot.app.screen
    assert isinstance(picker, ProfilePicker)
    row = next(i for i, e in enumerate(picker.entries) if e.config == other.resolve())
    picker.query_one("#profiles").move_cursor(row=row)  # type: ignore[attr-defined]
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    await pilot.pause()


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_switch_asks_then_stay_or_leave_running(slow_app: RecordingApp,  # noqa: F811
                                                      slow_service: ProfileService,  # noqa: F811
                                                      other_profile: Path, size: tuple[int, int]) -> None:
    async with slow_app.run_test(size=size) as pilot:
        job = await _start_backup(pilot, slow_service)
        await _pick_other(pilot, other_profile)
        assert isinstance(slow_app.screen, QuitScreen)
        text = screen_text(pilot)
        assert "switching to profile demo" in text and f"#{job.id} backup slow" in text
        # Stay: still on this profile, the job runs on.
        await pilot.press("escape")
        await pilot.pause()
        assert slow_app.is_running and slow_app.switch_to is None
        assert not isinstance(slow_app.screen, (QuitScreen, ProfilePicker))
        # Again, and leave it running: the app ends set to open the other profile.
        await _pick_other(pilot, other_profile)
        assert isinstance(slow_app.screen, QuitScreen)
        await pilot.press("l")
        await _wait_exit(pilot)
    assert slow_app.switch_to == other_profile.resolve()
    time.sleep(0.5)
    row = slow_service.get_job(job.id)
    assert row.status == job_rows.RUNNING and job.pid is not None and pid_alive(job.pid)


@pytest.mark.slow
async def test_switch_cancel_jobs_then_switches(slow_app: RecordingApp, slow_service: ProfileService,  # noqa: F811
                                               other_profile: Path) -> None:
    async with slow_app.run_test(size=SIZES[0]) as pilot:
        job = await _start_backup(pilot, slow_service)
        await _pick_other(pilot, other_profile)
        assert isinstance(slow_app.screen, QuitScreen)
        await pilot.press("c")
        await _wait_exit(pilot)
    assert slow_app.switch_to == other_profile.resolve()
    assert slow_service.get_job(job.id).status == job_rows.CANCELLED
