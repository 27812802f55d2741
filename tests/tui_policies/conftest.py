"""Fixtures for the Policies pane and the Dashboard: the `app` profile with a real local
destination and two policies, and the tool's clock pinned to the app's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import append_toml, open_service
from tests.tui.conftest import FIXED_NOW, RecordingApp, fixed_clock, utc_tz  # noqa: F401 (a fixture)
from tests.tui_destinations.conftest import add_destination
from tui_backup import clock
from tui_backup.service import ProfileService

POLICIES = """
[[policy]]
name = "nightly"
destination = "usb"
include = "full"
frequency = "daily"
time = "02:00"

[policy.retention]
keep_last = 7

[[policy]]
name = "configs"
destination = "usb"
include = "config"
every = "6h"
state = "paused"

[policy.retention]
keep_daily = 30
keep_weekly = 12
"""


def add_policies(config: Path) -> None:
    append_toml(config, POLICIES)


@pytest.fixture
def pinned_clock() -> Iterator[None]:
    """The tool's clock (next runs, ages, run times) is the app's: FIXED_NOW."""
    with clock.pinned(FIXED_NOW):
        yield


@pytest.fixture
def policy_config(profile_config: Path, drive: Path) -> Path:
    add_destination(profile_config, "usb", drive)
    add_policies(profile_config)
    return profile_config


@pytest.fixture
def policy_service(policy_config: Path, pinned_clock: None) -> Iterator[ProfileService]:
    with open_service(policy_config, interface="tui") as service:
        yield service


@pytest.fixture
def policy_app(policy_service: ProfileService) -> RecordingApp:
    return RecordingApp(policy_service, clock=fixed_clock)
