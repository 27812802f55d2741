"""The command palette (ctrl+p): the current pane's actions titled with the selection, and
the app's; choosing one runs it as its key would."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.widgets import TabbedContent

from tests.tui.conftest import RecordingApp, settle
from tui_backup.tui.screens import ConfirmScreen

from .conftest import SIZES, palette_titles


@pytest.mark.parametrize("size", SIZES)
async def test_palette_lists_the_pane_actions_with_the_selection(trash_app: RecordingApp,
                                                                 size: tuple[int, int]) -> None:
    async with trash_app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        selected = trash_app.query_one("#trash-table").selected_id  # type: ignore[attr-defined]
        assert selected
        await pilot.press("ctrl+p")
        titles = await palette_titles(pilot)
        # The pane's selection actions name the item; the others are plain; the app's follow.
        assert f"Purge trash item {selected}" in titles
        assert f"Restore trash item {selected}" in titles
        assert f"Restore trash item {selected}…" not in titles
        assert f"Restore to… (trash item {selected})" in titles
        assert "Purge expired" in titles
        assert "Show the Journal pane" in titles
        assert "Refresh" in titles
        assert "Restore…" in titles  # the restore wizard
        assert "Profiles…" in titles
        assert titles.index(f"Purge trash item {selected}") < titles.index("Refresh")
        assert not any(t.lower() == "palette" for t in titles)  # not the palette itself


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
async def test_choosing_a_command_runs_it(trash_app: RecordingApp, size: tuple[int, int]) -> None:
    async with trash_app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        selected = trash_app.query_one("#trash-table").selected_id  # type: ignore[attr-defined]
        await pilot.press("ctrl+p")
        await palette_titles(pilot)
        await pilot.press(*"purge trash item")
        await palette_titles(pilot)
        await pilot.press("enter")
        await settle(pilot)
        # The same confirmation the key x asks for, about the selected item.
        assert isinstance(trash_app.screen, ConfirmScreen)
        assert selected in str(trash_app.screen.query_one("#title").render())
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await palette_titles(pilot)
        await pilot.press(*"journal pane", "enter")
        await settle(pilot)
        assert not isinstance(trash_app.screen, CommandPalette)
        assert trash_app.query_one(TabbedContent).active == "journal"


@pytest.mark.slow
async def test_palette_follows_the_pane_and_the_focus(trash_app: RecordingApp) -> None:
    async with trash_app.run_test(size=SIZES[0]) as pilot:
        await settle(pilot)
        await pilot.press("2")  # Snapshots: none yet, so no selection to name
        await settle(pilot)
        await pilot.press("ctrl+p")
        titles = await palette_titles(pilot)
        assert "Create" in titles and "Verify all" in titles
        assert "Restore" in titles  # nothing selected: the plain title
        assert not any(t.startswith("Purge") for t in titles)  # not the Trash pane's
        await pilot.press("escape")
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("ctrl+p")
        titles = await palette_titles(pilot)
        assert "Full log" in titles or any(t.startswith("Full log job") for t in titles)
        assert not any(t.startswith("Create") for t in titles)
