"""A profile whose config has comments around and inside a policy's block, a pinned clock
and the real app over it (80x24 unless a test says otherwise)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import append_toml, open_service
from tests.tui.conftest import RecordingApp, fixed_clock, utc_tz  # noqa: F401 (a fixture)
from tests.tui_destinations.conftest import add_destination
from tests.tui_policies.conftest import pinned_clock  # noqa: F401 (a fixture)
from tui_backup.service import ProfileService

COMMENTED = """
# --- backups -------------------------------------------------------
# The nightly copy to the USB drive.
[[policy]]
name = "nightly"   # the name in commands
destination = "usb"
frequency = "daily"
time = "02:00"     # after the app's own maintenance
# runs even when nobody is logged in

# How long restore points stay.
[policy.retention]
keep_last = 7      # a week of nights
keep_within_weekly = "74d"

[policy.hooks]
before = ["/usr/bin/true", "--check"]

[[policy]]
name = "configs"
destination = "usb"
include = "config"
every = "6h"
state = "paused"

# trailing comment, not part of any policy
"""


@pytest.fixture
def editor_config(profile_config: Path, drive: Path) -> Path:
    add_destination(profile_config, "usb", drive)
    return append_toml(profile_config, COMMENTED)


@pytest.fixture
def editor_service(editor_config: Path, pinned_clock: None) -> Iterator[ProfileService]:  # noqa: F811
    with open_service(editor_config, interface="tui") as service:
        yield service


@pytest.fixture
def editor_app(editor_service: ProfileService) -> RecordingApp:
    return RecordingApp(editor_service, clock=fixed_clock)
