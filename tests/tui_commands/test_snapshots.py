"""Snapshot tests (pytest-textual-snapshot) of the command palette and the help screen on
the Trash pane's deterministic data (clock pinned, ids numbered, paths under ~, UTC).
Update with --snapshot-update after a deliberate change, and look at the SVGs first."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import SIZE, RecordingApp, settle

from .conftest import palette_titles


async def _trash(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("5", "down")
    await settle(pilot)


@pytest.mark.slow
def test_palette_snapshot(snap_compare, trash_app: RecordingApp) -> None:  # type: ignore[no-untyped-def]
    async def palette(pilot: Pilot[None]) -> None:
        await _trash(pilot)
        await pilot.press("ctrl+p")
        await palette_titles(pilot)
        await pilot.press(*"trash item")
        await palette_titles(pilot)
        await pilot.pause()

    assert snap_compare(trash_app, terminal_size=SIZE, run_before=palette)


def test_help_snapshot(snap_compare, trash_app: RecordingApp) -> None:  # type: ignore[no-untyped-def]
    async def help_screen(pilot: Pilot[None]) -> None:
        await _trash(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(trash_app, terminal_size=SIZE, run_before=help_screen)
