"""Snapshot tests (pytest-textual-snapshot) of the Policies pane and the Dashboard.

Deterministic: the profile lives in the test's own home (paths show as ~/...), the tool's
clock and the app's are pinned to the same time, history is recorded at fixed times, the
time zone is UTC and the volumes' free space is pinned. Update with --snapshot-update
after a deliberate change, and look at the new SVGs first.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.conftest import make_app_db
from tests.tui.conftest import FIXED_NOW, SIZE, fixed_clock, settle
from tests.tui_destinations.conftest import add_destination
from tests.tui_policies.conftest import add_policies
from tests.tui_policies.seed import seed_history
from tui_backup.service import ProfileService
from tui_backup.service import volumes as volumes_module
from tui_backup.service.setup import InitRequest, init_profile
from tui_backup.tui.app import BackupApp

GIB = 1024**3


@pytest.fixture
def seeded_service(isolated_home: Path, pinned_clock: None, utc_tz: None,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[ProfileService]:
    monkeypatch.setattr(volumes_module, "_usage", lambda _path: (42 * GIB, 100 * GIB, False))
    app = isolated_home / "app"
    (app / "files").mkdir(parents=True)
    (app / "files" / "a.txt").write_text("hello\n")
    (app / "app.conf").write_text("key = value\n")
    make_app_db(app / "app.db")
    config = init_profile(InitRequest(name="app", database=f"sqlite://{app / 'app.db'}", files=(app / "files",),
                                      config_files=(app / "app.conf",))).file
    drive = isolated_home / "drive"
    drive.mkdir()
    add_destination(config, "usb", drive)
    add_policies(config)
    service = ProfileService.open(config=config, interface="tui")
    seed_history(service, FIXED_NOW)
    yield service
    service.close()


def test_dashboard_snapshot(snap_compare, seeded_service: ProfileService) -> None:  # type: ignore[no-untyped-def]
    async def loaded(pilot: Pilot[None]) -> None:
        await settle(pilot)

    assert snap_compare(BackupApp(seeded_service, clock=fixed_clock), terminal_size=SIZE, run_before=loaded)


def test_policies_pane_snapshot(snap_compare, seeded_service: ProfileService) -> None:  # type: ignore[no-untyped-def]
    async def policies(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("3", "down")
        await settle(pilot)

    assert snap_compare(BackupApp(seeded_service, clock=fixed_clock), terminal_size=SIZE, run_before=policies)
