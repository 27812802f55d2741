"""Snapshot tests (pytest-textual-snapshot) of the profile picker and the first-run screen
at 80x24. Deterministic: the profiles live in the test's own home (paths show as ~/...),
the clock, the time zone and the volumes' free space are pinned. Update with
--snapshot-update after a deliberate change, and look at the new SVGs first.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import SIZE, RecordingApp, settle
from tui_backup.tui.launcher import LauncherApp


@pytest.mark.usefixtures("utc_tz", "pinned_free_space")
def test_picker_snapshot(snap_compare, picker_app: RecordingApp) -> None:  # type: ignore[no-untyped-def]
    async def open_picker(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)

    assert snap_compare(picker_app, terminal_size=SIZE, run_before=open_picker)


@pytest.mark.usefixtures("utc_tz", "isolated_home")
def test_first_run_snapshot(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def bad_name(pilot: Pilot[Path | None]) -> None:
        await pilot.pause()
        await pilot.press(*"my app", "enter", *"/no/such.db")
        await pilot.pause()

    assert snap_compare(LauncherApp(), terminal_size=SIZE, run_before=bad_name)
