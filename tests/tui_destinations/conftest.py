"""Fixtures for the Destinations pane: the `app` profile with a real local destination."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.conftest import RecordingApp, fixed_clock
from tui_backup.service import ProfileService


def add_destination(config: Path, name: str, path: Path) -> None:
    with open(config, "a", encoding="utf-8") as f:
        f.write(f'\n[[destination]]\nname = "{name}"\ntype = "local"\npath = "{path}"\n')


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    d = tmp_path / "drive"
    d.mkdir()
    return d


@pytest.fixture
def dest_service(profile_config: Path, drive: Path) -> Iterator[ProfileService]:
    add_destination(profile_config, "usb", drive)
    service = ProfileService.open(config=profile_config, interface="tui")
    yield service
    service.close()


@pytest.fixture
def dest_app(dest_service: ProfileService) -> RecordingApp:
    return RecordingApp(dest_service, clock=fixed_clock)


@pytest.fixture
def missing_app(profile_config: Path, tmp_path: Path) -> Iterator[RecordingApp]:
    """A destination whose path does not exist (an unplugged drive): the guard refuses it."""
    add_destination(profile_config, "gone", tmp_path / "not-mounted")
    service = ProfileService.open(config=profile_config, interface="tui")
    yield RecordingApp(service, clock=fixed_clock)
    service.close()
