"""Fixtures: the `svc` profile with a real local destination holding one backup of it
(tests/backup_restore's fixtures, reused), and a profile with a destination for policies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backup_restore.conftest import dest, point  # noqa: F401 (fixtures)
from tests.helpers import add_destination, open_service
from tui_backup.service import ProfileService


@pytest.fixture
def usb_config(profile_config: Path, drive: Path) -> Path:
    return add_destination(profile_config, "usb", path=drive)


@pytest.fixture
def psvc(usb_config: Path) -> Iterator[ProfileService]:
    with open_service(usb_config) as service:
        yield service
