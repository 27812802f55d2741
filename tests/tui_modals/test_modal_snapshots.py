"""Snapshot tests (pytest-textual-snapshot) of every modal screen not covered elsewhere, at
80x24 on deterministic data (tests/tui_modals/conftest.py). Each case reaches its screen by
the keys a user presses, waits until that screen is shown and its workers are done, then
pauses twice (a snapshot taken one frame early catches a half-done layout). Update with
--snapshot-update after a deliberate change, and look at the SVG first.

Covered elsewhere: HelpScreen and the palette (tests/tui_commands), the tool screens —
volumes, stats, schedule, export, snapshot diff and prune (tests/tui_completeness), the
policy form and diff (tests/tui_policy_editor), the profile picker and first-run screen
(tests/tui_profiles), QuitScreen (tests/tui_quit), the restore wizard (tests/tui_wizard).
Left out: JobLogScreen (a job's log carries real wall-clock times and temp paths; Pilot
tests in tests/tui_sizes open it) and ConfigScreen (its scrollbar renders differently after
other app tests in the same process: see tests/tui_completeness/test_tools_snapshot.py).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input

from tests.tui.conftest import SIZE, RecordingApp, settle

# case -> (keys, in order, the screen class's name it must end on)
CASES: dict[str, tuple[tuple[str, ...], str]] = {
    "snapshot_note": (("2", "c"), "SnapshotNoteScreen"),
    "confirm_delete_snapshot": (("2", "d"), "ConfirmScreen"),
    "trash_put_path": (("5", "p"), "PathPromptScreen"),
    "journal_filter": (("6", "f"), "JournalFilterScreen"),
    "journal_export": (("6", "e"), "ExportPromptScreen"),
    # the profile has a policy: "3" shows the policies, "d" the destinations
    "policy_points": (("3", "r"), "PolicyPointsScreen"),
    "prune_preview": (("3", "u"), "PrunePreviewScreen"),
    "backup_type": (("3", "d", "b"), "BackupTypeScreen"),
    "restore_target": (("3", "d", "r"), "RestoreTargetScreen"),
    "backup_restore_plan": (("3", "d", "r", "enter"), "BackupRestorePlanScreen"),
}


async def wait_for_screen(pilot: Pilot[Any], name: str, timeout: float = 30) -> Screen[Any]:
    deadline = time.monotonic() + timeout
    while type(pilot.app.screen).__name__ != name:
        assert time.monotonic() < deadline, f"{name} not shown: {pilot.app.screen!r}"
        await pilot.pause(0.05)
    await settle(pilot)
    # A focused Input's cursor blinks: the picture would depend on the moment it is taken.
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    await pilot.pause()
    await pilot.pause()
    return pilot.app.screen


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_modal_snapshot(snap_compare, modal_app: RecordingApp, case: str) -> None:  # type: ignore[no-untyped-def]
    keys, screen = CASES[case]

    async def open_it(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        await wait_for_screen(pilot, screen)

    assert snap_compare(modal_app, terminal_size=SIZE, run_before=open_it)


@pytest.mark.slow
def test_restore_plan_snapshot(snap_compare, modal_app: RecordingApp) -> None:  # type: ignore[no-untyped-def]
    # The snapshot restore plan (the snapshots pane's dry run before a restore in place).
    from tui_backup.tui.screens.restore_plan import RestorePlanScreen

    async def open_it(pilot: Pilot[None]) -> None:
        await settle(pilot)
        newest = modal_app.service.list_snapshots()[0].id
        await pilot.app.push_screen(RestorePlanScreen(modal_app.service.plan_restore(newest)))
        await wait_for_screen(pilot, "RestorePlanScreen")

    assert snap_compare(modal_app, terminal_size=SIZE, run_before=open_it)
