"""Fixtures for the Destinations pane: the `app` profile with a real local destination."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import helpers
from tests.tui.conftest import RecordingApp, fixed_clock
from tui_backup.service import ProfileService


def add_destination(config: Path, name: str, path: Path) -> None:
    """A local destination at `path` (tests.helpers.add_destination, as these tests call it)."""
    helpers.add_destination(config, name, path=path)


@pytest.fixture
def dest_service(profile_config: Path, drive: Path) -> Iterator[ProfileService]:
    add_destination(profile_config, "usb", drive)
    with helpers.open_service(profile_config, interface="tui") as service:
        yield service


@pytest.fixture
def dest_app(dest_service: ProfileService) -> RecordingApp:
    return RecordingApp(dest_service, clock=fixed_clock)


@pytest.fixture
def missing_app(profile_config: Path, tmp_path: Path) -> Iterator[RecordingApp]:
    """A destination whose path does not exist (an unplugged drive): the guard refuses it."""
    add_destination(profile_config, "gone", tmp_path / "not-mounted")
    with helpers.open_service(profile_config, interface="tui") as service:
        yield RecordingApp(service, clock=fixed_clock)
