"""A profile with a local destination `usb`, and a helper to append TOML to its config."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tui_backup.service import ProfileService


@pytest.fixture
def dest_dir(tmp_path: Path) -> Path:
    d = tmp_path / "drive"
    d.mkdir()
    return d


@pytest.fixture
def usb_config(profile_config: Path, dest_dir: Path) -> Path:
    """The `app` profile with one local destination `usb` (plain copies)."""
    with open(profile_config, "a", encoding="utf-8") as f:
        f.write(f'\n[[destination]]\nname = "usb"\ntype = "local"\npath = "{dest_dir}"\n')
    return profile_config


@pytest.fixture
def append(usb_config: Path) -> Callable[[str], Path]:
    def write(text: str) -> Path:
        with open(usb_config, "a", encoding="utf-8") as f:
            f.write("\n" + text)
        return usb_config

    return write


@pytest.fixture
def psvc(usb_config: Path) -> Iterator[ProfileService]:
    service = ProfileService.open(config=usb_config)
    yield service
    service.close()
