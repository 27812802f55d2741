"""Fixtures: the `app` profile with a local destination and a policy that backs up to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_backup.service import ProfileService


def append(config: Path, text: str) -> None:
    with open(config, "a", encoding="utf-8") as f:
        f.write("\n" + text)


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    d = tmp_path / "drive"
    d.mkdir()
    return d


@pytest.fixture
def drill_config(profile_config: Path, app_dir: Path, drive: Path) -> Path:
    (app_dir / "files" / "sub").mkdir()
    (app_dir / "files" / "sub" / "b.bin").write_bytes(bytes(range(256)) * 100)
    (app_dir / "files" / "link").symlink_to("a.txt")
    append(
        profile_config,
        f'[[destination]]\nname = "usb"\ntype = "local"\npath = "{drive}"\n\n'
        '[[policy]]\nname = "nightly"\ndestination = "usb"\nfrequency = "daily"\n',
    )
    return profile_config


@pytest.fixture
def dsvc(drill_config: Path) -> Iterator[ProfileService]:
    service = ProfileService.open(config=drill_config)
    yield service
    service.close()
