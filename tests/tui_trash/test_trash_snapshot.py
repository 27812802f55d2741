"""Snapshot test (pytest-textual-snapshot) of the Trash pane on deterministic data: the
clock pinned (tool and app), item ids numbered, paths under ~, free space pinned, UTC.
Update with --snapshot-update after a deliberate change, and look at the SVG first."""

from __future__ import annotations

from textual.pilot import Pilot

from tests.tui.conftest import SIZE, fixed_clock, settle
from tui_backup.service import ProfileService
from tui_backup.tui.app import BackupApp


def test_trash_pane_snapshot(snap_compare, trash_app) -> None:  # type: ignore[no-untyped-def]
    service: ProfileService = trash_app.service

    async def trash(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("5", "down")
        await settle(pilot)

    assert snap_compare(BackupApp(service, clock=fixed_clock), terminal_size=SIZE, run_before=trash)
