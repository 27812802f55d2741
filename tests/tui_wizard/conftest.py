"""Fixtures for the restore wizard: the `app` profile with a real local destination."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import helpers
from tests.tui.conftest import RecordingApp, fixed_clock
from tui_backup.service import ProfileService


@pytest.fixture
def wizard_service(profile_config: Path, drive: Path) -> Iterator[ProfileService]:
    helpers.add_destination(profile_config, "usb", path=drive)
    with helpers.open_service(profile_config, interface="tui") as service:
        yield service


@pytest.fixture
def wizard_app(wizard_service: ProfileService) -> RecordingApp:
    return RecordingApp(wizard_service, clock=fixed_clock)
