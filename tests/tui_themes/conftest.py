"""Fixtures for the theme and layout tests: the demo profile with a chosen theme, an app on
it, and a check that a widget is entirely on screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.app import App
from textual.errors import NoWidget
from textual.widget import Widget

from tests.tui.conftest import (  # noqa: F401 (fixtures)
    FIXED_NOW,
    RecordingApp,
    demo_config,
    demo_service,
    fixed_clock,
    settle,
    utc_tz,
)
from tui_backup.config import ConfigDocument
from tui_backup.service import ProfileService
from tui_backup.service import volumes as volumes_module

GIB = 1024**3
SIZES = [(80, 24), (100, 30), (200, 50)]


@pytest.fixture
def pinned_free_space(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one fact of the machine on screen (the volumes' free space), pinned for snapshots."""
    monkeypatch.setattr(volumes_module, "_usage", lambda _path: (42 * GIB, 100 * GIB, False))


def set_config_theme(config: Path, theme: str) -> None:
    doc = ConfigDocument(config)
    doc.set("tui.theme", theme)
    doc.save()


@pytest.fixture
def open_profile(demo_config: Path) -> Iterator[object]:  # noqa: F811 (the fixture)
    """`open_profile(theme=None)`: a service on the demo profile, `[tui] theme` set if given."""
    services: list[ProfileService] = []

    def opener(theme: str | None = None) -> ProfileService:
        if theme is not None:
            set_config_theme(demo_config, theme)
        service = ProfileService.open(config=demo_config, interface="tui")
        services.append(service)
        return service

    yield opener
    for service in services:
        service.close()


def fully_visible(app: App[None], widget: Widget) -> bool:
    """`widget` is displayed, has a size, and no part of it is clipped or off-screen."""
    if not widget.display or not widget.is_mounted:
        return False
    try:
        geometry = app.screen.find_widget(widget)
    except NoWidget:
        return False
    region = geometry.region
    return bool(region.area) and geometry.clip.contains_region(region) and app.screen.region.contains_region(region)
