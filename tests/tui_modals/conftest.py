"""Deterministic data for the modal screens' snapshot tests: the completeness tests'
profile (tests/tui_completeness: ~/app, two snapshots, the clock pinned to the app's, free
space pinned), plus a local destination `usb` with one restore point made by a policy
`nightly` at the pinned time (made before the snapshots)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import add_destination, append_toml
from tests.tui.conftest import RecordingApp, fixed_clock, utc_tz  # noqa: F401 (a fixture)
from tests.tui_completeness.conftest import app_home, pinned, seed_snapshots  # noqa: F401 (fixtures)
from tui_backup.service import ProfileService
from tui_backup.service.setup import InitRequest, init_profile

POLICY = """
[[policy]]
name = "nightly"
destination = "usb"
frequency = "daily"
time = "02:00"

[policy.retention]
keep_last = 1
"""


@pytest.fixture
def modal_service(app_home: Path, isolated_home: Path) -> Iterator[ProfileService]:  # noqa: F811
    config = init_profile(InitRequest(name="app", database=f"sqlite://{app_home / 'app.db'}",
                                      files=(app_home / "files",), config_files=(app_home / "app.conf",))).file
    drive = isolated_home / "drive"
    drive.mkdir()
    add_destination(config, "usb", path=drive)
    append_toml(config, POLICY)
    service = ProfileService.open(config=config, interface="tui")
    yield service
    service.close()


@pytest.fixture
def modal_app(modal_service: ProfileService, app_home: Path) -> RecordingApp:  # noqa: F811
    # The backup first: the journal's newest entry (selected, its details shown) is then a
    # snapshot's, whose figures are the same on every run (a backup's bytes sent are not).
    modal_service.run_backup("usb", "full", wait=True, policy="nightly")
    seed_snapshots(modal_service, app_home)
    return RecordingApp(modal_service, clock=fixed_clock)
