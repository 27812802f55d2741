"""Fixtures for the size tests: the demo profile with a local destination (a directory of
the test's own) and the real app over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import add_destination, open_service
from tests.tui.conftest import RecordingApp, demo_config, fixed_clock, utc_tz  # noqa: F401 (fixtures)

SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def sized_app(demo_config: Path, tmp_path: Path) -> Iterator[RecordingApp]:  # noqa: F811
    drive = tmp_path / "drive"
    drive.mkdir()
    add_destination(demo_config, "usb", path=drive)
    with open_service(demo_config, interface="tui") as service:
        yield RecordingApp(service, clock=fixed_clock)
