"""Snapshot test of the app's frame (pytest-textual-snapshot).

The picture must be the same on every run and machine, so everything that would vary is
fixed: the demo's data is generated from a seed, paths show under `~` (HOME is the test's
own), the app's clock and the time zone are fixed, and the free space of the volumes —
the one fact of the machine on screen — is pinned. Update with `--snapshot-update` after a
deliberate change, and look at the new SVG before committing it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tui_backup.service import ProfileService
from tui_backup.service import volumes as volumes_module
from tui_backup.tui.app import BackupApp

from .conftest import SIZE, fixed_clock, settle

GIB = 1024**3


@pytest.fixture
def pinned_free_space(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(volumes_module, "_usage", lambda _path: (42 * GIB, 100 * GIB, False))


@pytest.mark.usefixtures("utc_tz", "pinned_free_space")
def test_app_frame_dashboard(snap_compare, demo_config: Path) -> None:  # type: ignore[no-untyped-def]
    service = ProfileService.open(config=demo_config, interface="tui")
    try:
        app = BackupApp(service, clock=fixed_clock)

        async def loaded(pilot: Pilot[None]) -> None:
            await settle(pilot)

        assert snap_compare(app, terminal_size=SIZE, run_before=loaded)
    finally:
        service.close()
