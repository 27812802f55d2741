"""Snapshot tests of the policy form and the diff screen (80x24, deterministic profile)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.conftest import make_app_db
from tests.helpers import append_toml
from tests.tui.conftest import fixed_clock, settle
from tests.tui_destinations.conftest import add_destination
from tests.tui_policy_editor.conftest import COMMENTED
from tui_backup.service import ProfileService
from tui_backup.service import volumes as volumes_module
from tui_backup.service.setup import InitRequest, init_profile
from tui_backup.tui.app import BackupApp

GIB = 1024**3


@pytest.fixture
def snap_service(isolated_home: Path, pinned_clock: None, utc_tz: None,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[ProfileService]:
    """The commented profile in the test's own home (paths show as ~/...), free space pinned."""
    monkeypatch.setattr(volumes_module, "_usage", lambda _path: (42 * GIB, 100 * GIB, False))
    app = isolated_home / "app"
    (app / "files").mkdir(parents=True)
    (app / "app.conf").write_text("key = value\n")
    make_app_db(app / "app.db")
    config = init_profile(InitRequest(name="app", database=f"sqlite://{app / 'app.db'}", files=(app / "files",),
                                      config_files=(app / "app.conf",))).file
    drive = isolated_home / "drive"
    drive.mkdir()
    add_destination(config, "usb", drive)
    append_toml(config, COMMENTED)
    service = ProfileService.open(config=config, interface="tui")
    yield service
    service.close()


async def shown(pilot: Pilot[None], selector: str, timeout: float = 10.0) -> None:
    """Wait until the widget is mounted and displayed, then for the layout that follows: a
    snapshot taken one frame early catches the scrollbar before the new line counts."""
    deadline = time.monotonic() + timeout
    while not any(w.display for w in pilot.app.screen.query(selector)):
        assert time.monotonic() < deadline, f"{selector} never showed"
        await pilot.pause(0.02)
    await pilot.pause()
    await pilot.pause()


def test_policy_form_snapshot(snap_compare, snap_service: ProfileService) -> None:  # type: ignore[no-untyped-def]
    async def form(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("3", "e")
        await settle(pilot)
        pilot.app.screen.query_one("#keep_last", Input).value = "none"
        await shown(pilot, "#error-keep_last")

    assert snap_compare(BackupApp(snap_service, clock=fixed_clock), terminal_size=(80, 24), run_before=form)


def test_policy_diff_snapshot(snap_compare, snap_service: ProfileService) -> None:  # type: ignore[no-untyped-def]
    async def diff(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("3", "e")
        await settle(pilot)
        pilot.app.screen.query_one("#keep_last", Input).value = "9"
        pilot.app.screen.query_one("#timeout", Input).value = "2h"
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(BackupApp(snap_service, clock=fixed_clock), terminal_size=(80, 24), run_before=diff)
