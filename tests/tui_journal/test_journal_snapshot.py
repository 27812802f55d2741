"""Snapshot test (pytest-textual-snapshot) of the Journal pane on deterministic data:
entries written at pinned times by a fixed actor (so their hashes repeat), UTC, free space
pinned. Update with --snapshot-update after a deliberate change, and look at the SVG first."""

from __future__ import annotations

from textual.pilot import Pilot

from tests.tui.conftest import SIZE, fixed_clock, settle
from tui_backup.service import ProfileService
from tui_backup.tui.app import BackupApp


def test_journal_pane_snapshot(snap_compare, journal_app) -> None:  # type: ignore[no-untyped-def]
    service: ProfileService = journal_app.service

    async def journal(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("6", "down", "down", "down")  # a file.modified entry: its details and the history key
        await settle(pilot)

    assert snap_compare(BackupApp(service, clock=fixed_clock), terminal_size=SIZE, run_before=journal)
