"""Snapshot tests (pytest-textual-snapshot) of every pane in two themes (light, ansi16), and
of the app under NO_COLOR (the mono theme).

Deterministic: the demo profile is created and used with the tool's clock pinned (ids and
journal times), the app's clock fixed, UTC, paths under ~, the volumes' free space pinned.
Update with --snapshot-update after a deliberate change, and look at the SVGs first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import FIXED_NOW, fixed_clock, settle
from tui_backup import clock
from tui_backup.service import ProfileService
from tui_backup.service.demo import create_demo
from tui_backup.tui.app import BackupApp

from .conftest import set_config_theme

SIZE = (80, 24)
PANES = {"dashboard": "1", "snapshots": "2", "policies": "3", "jobs": "4", "trash": "5", "journal": "6"}


@pytest.fixture
def snap_config(isolated_home: Path, utc_tz: None, pinned_free_space: None) -> Iterator[Path]:
    with clock.pinned(FIXED_NOW):
        yield create_demo(isolated_home / "demo", config_path=isolated_home / "demo.toml", snapshots=0)


def _app(config: Path, theme: str | None) -> tuple[BackupApp, ProfileService]:
    if theme is not None:
        set_config_theme(config, theme)
    service = ProfileService.open(config=config, interface="tui")
    return BackupApp(service, clock=fixed_clock), service


def _show(key: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("theme", ["light", "ansi16"])
@pytest.mark.parametrize("pane", list(PANES))
def test_pane_in_theme(snap_compare, snap_config: Path, pane: str, theme: str) -> None:  # type: ignore[no-untyped-def]
    app, service = _app(snap_config, theme)
    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=_show(PANES[pane]))
    finally:
        service.close()


@pytest.mark.parametrize("pane", ["dashboard", "jobs"])
def test_no_color(snap_compare, snap_config: Path, pane: str, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NO_COLOR", "1")
    app, service = _app(snap_config, None)
    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=_show(PANES[pane]))
        assert app.theme == "mono"
    finally:
        service.close()


def test_wide_journal_layout(snap_compare, snap_config: Path) -> None:  # type: ignore[no-untyped-def]
    """200x50: the journal entry's details beside the table."""
    app, service = _app(snap_config, None)
    try:
        assert snap_compare(app, terminal_size=(200, 50), run_before=_show(PANES["journal"]))
    finally:
        service.close()
