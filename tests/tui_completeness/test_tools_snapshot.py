"""Snapshot tests (pytest-textual-snapshot) of the screens that filled the app's gaps with
the CLI, at 80x24 on deterministic data (clock and snapshot ids pinned, UTC, paths under ~,
free space pinned). Update with --snapshot-update after a deliberate change, and look at
the SVG first."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import SIZE, RecordingApp, settle

CASES = {
    "volumes": ("1", "v"),
    "stats": ("1", "s"),
    "schedule": ("1", "S"),
    "export": ("1", "e"),
    # "config" (1, C) is left out: after other app tests in the same process its table's
    # scrollbar renders one cell differently (a stray "▎"), so its picture is not stable;
    # tests/tui_completeness/test_tools.py drives the config screen with Pilot instead.
    "snapshot_diff": ("2", "D"),
    "snapshot_prune": ("2", "p"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_tool_screen_snapshot(snap_compare, tools_app: RecordingApp, case: str) -> None:  # type: ignore[no-untyped-def]
    async def open_it(pilot: Pilot[None]) -> None:
        await settle(pilot)
        pane, key = CASES[case]
        await pilot.press(pane)
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)

    assert snap_compare(tools_app, terminal_size=SIZE, run_before=open_it)
