"""A profile with a local destination `usb`, and a helper to append TOML to its config."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from tests.helpers import add_destination, append_toml, open_service
from tui_backup.service import ProfileService


@pytest.fixture
def usb_config(profile_config: Path, drive: Path) -> Path:
    """The `app` profile with one local destination `usb` (plain copies)."""
    return add_destination(profile_config, "usb", path=drive)


@pytest.fixture
def append(usb_config: Path) -> Callable[[str], Path]:
    """Append TOML to `usb_config`; returns its path."""
    return partial(append_toml, usb_config)


@pytest.fixture
def psvc(usb_config: Path) -> Iterator[ProfileService]:
    with open_service(usb_config) as service:
        yield service
