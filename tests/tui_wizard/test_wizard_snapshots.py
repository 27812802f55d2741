"""Snapshot tests (pytest-textual-snapshot) of each step of the restore wizard, at 80x24.

Deterministic: the profile lives in the test's own home (paths show as ~/...), the tool's
clock and the app's are pinned to the same time (ids and ages), the time zone is UTC and
the volumes' free space is pinned. Update with --snapshot-update after a deliberate
change, and look at the new SVGs first.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.conftest import make_app_db
from tests.helpers import add_destination
from tests.tui.conftest import FIXED_NOW, SIZE, fixed_clock, settle, utc_tz  # noqa: F401 (a fixture)
from tui_backup import clock
from tui_backup.service import ProfileService
from tui_backup.service import volumes as volumes_module
from tui_backup.service.setup import InitRequest, init_profile
from tui_backup.tui.app import BackupApp

GIB = 1024**3
Steps = Callable[[Pilot[None]], Awaitable[None]]


@pytest.fixture
def seeded(isolated_home: Path, utc_tz: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProfileService]:  # noqa: F811
    monkeypatch.setattr(volumes_module, "_usage", lambda _path: (42 * GIB, 100 * GIB, False))
    # The random parts of snapshot and trash ids: unique, but the same on every run.
    counter = itertools.count(1)
    monkeypatch.setattr(secrets, "token_hex", lambda n=32: f"{next(counter):0{2 * n}x}")
    app = isolated_home / "app"
    (app / "files" / "photos").mkdir(parents=True)
    (app / "files" / "a.txt").write_text("hello\n")
    (app / "files" / "photos" / "cat.jpg").write_bytes(b"\xff\xd8cat" * 100)
    (app / "app.conf").write_text("key = value\n")
    make_app_db(app / "app.db")
    config = init_profile(InitRequest(name="app", database=f"sqlite://{app / 'app.db'}", files=(app / "files",),
                                      config_files=(app / "app.conf",))).file
    drive = isolated_home / "drive"
    drive.mkdir()
    add_destination(config, "usb", path=drive)
    with clock.pinned(FIXED_NOW):
        service = ProfileService.open(config=config, interface="tui")
        service.create_snapshot("before the upgrade")
        assert service.run_backup("usb", "full").ok
        (app / "files" / "a.txt").write_text("changed\n")
        yield service
        service.close()


async def _open(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("R")
    await settle(pilot)


async def _point(pilot: Pilot[None]) -> None:
    await _open(pilot)
    await pilot.press(*"/full", "enter", "enter")  # search "full", to the table, pick it
    await settle(pilot)


async def _tree(pilot: Pilot[None]) -> None:
    await _point(pilot)
    await pilot.press("down", "down", "down", "enter")  # chosen paths
    await settle(pilot)
    await pilot.press("down", "down", "space")  # mark a.txt


async def _target(pilot: Pilot[None]) -> None:
    await _point(pilot)
    await pilot.press("enter")  # everything
    await settle(pilot)


async def _plan(pilot: Pilot[None]) -> None:
    await _target(pilot)
    await pilot.press("enter")  # in place
    await settle(pilot)


async def _result(pilot: Pilot[None]) -> None:
    """Chosen paths into another directory (no safety copies: nothing live is touched)."""
    await _tree(pilot)
    await pilot.press("c")
    await settle(pilot)
    await pilot.press("down", "enter", *"~/out", "enter")
    await settle(pilot)
    await pilot.press("enter")  # Restore
    await settle(pilot)


@pytest.mark.slow
@pytest.mark.parametrize("steps", [pytest.param(_open, id="1-point"), pytest.param(_tree, id="2-scope-tree"),
                                   pytest.param(_target, id="3-target"), pytest.param(_plan, id="4-dry-run"),
                                   pytest.param(_result, id="5-result")])
def test_wizard_step_snapshot(snap_compare, seeded: ProfileService, steps: Steps) -> None:  # type: ignore[no-untyped-def]
    async def run(pilot: Pilot[None]) -> None:
        await steps(pilot)
        pilot.app.clear_notifications()  # job toasts: their own tests; here the step
        await pilot.pause()

    with clock.pinned(FIXED_NOW):
        assert snap_compare(BackupApp(seeded, clock=fixed_clock), terminal_size=SIZE, run_before=run)
