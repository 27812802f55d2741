"""Fixtures: the `app` profile with a local destination and a policy that backs up to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import add_destination, append_toml, open_service
from tui_backup.service import ProfileService


@pytest.fixture
def drill_config(profile_config: Path, app_dir: Path, drive: Path) -> Path:
    (app_dir / "files" / "sub").mkdir()
    (app_dir / "files" / "sub" / "b.bin").write_bytes(bytes(range(256)) * 100)
    (app_dir / "files" / "link").symlink_to("a.txt")
    add_destination(profile_config, "usb", path=drive)
    return append_toml(profile_config, '\n[[policy]]\nname = "nightly"\ndestination = "usb"\nfrequency = "daily"\n')


@pytest.fixture
def dsvc(drill_config: Path) -> Iterator[ProfileService]:
    with open_service(drill_config) as service:
        yield service
