"""The help screen (?): every key in effect — the pane's and the app's — with its id."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.widgets import DataTable

from tests.tui.conftest import RecordingApp, settle
from tui_backup.tui.screens.help import HelpScreen

from .conftest import SIZES


def help_rows(app: RecordingApp) -> list[tuple[str, str, str]]:
    table: DataTable[Text] = app.screen.query_one("#help-table", DataTable)
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]  # type: ignore[misc]


@pytest.mark.parametrize("size", SIZES)
async def test_help_lists_every_key_of_the_pane_and_the_app(trash_app: RecordingApp, size: tuple[int, int]) -> None:
    async with trash_app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        screen = trash_app.screen
        assert isinstance(screen, HelpScreen)
        rows = help_rows(trash_app)
        ids = [r[2] for r in rows]
        headings = [r[0] for r in rows if not r[2]]
        assert headings == ["Trash pane", "App"]
        # Every binding of the pane, shown or not in the footer, and of the app.
        for binding_id in ("trash.restore", "trash.restore_to", "trash.purge", "trash.purge_expired", "trash.filter",
                           "trash.kind", "app.quit", "app.refresh", "app.restore_wizard", "app.help",
                           "app.command_palette", "app.pane.dashboard", "app.pane.journal"):
            assert binding_id in ids, binding_id
        assert ids.index("trash.purge") < ids.index("app.quit")
        by_id = {r[2]: r for r in rows}
        assert by_id["trash.purge"][0] == "x, del"
        assert by_id["app.refresh"][0] == "F5, ^r"
        assert by_id["app.help"][0] == "?"
        # Scrollable: the last row can be reached at 80x24 too, and stays inside the screen.
        table = screen.query_one("#help-table", DataTable)
        assert table.region.bottom <= size[1] and table.region.right <= size[0]
        table.move_cursor(row=table.row_count - 1)
        await pilot.pause()
        assert table.scroll_offset.y == table.max_scroll_y
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(trash_app.screen, HelpScreen)


async def test_help_closes_with_q_and_question_mark(trash_app: RecordingApp) -> None:
    async with trash_app.run_test(size=SIZES[0]) as pilot:
        await settle(pilot)
        for close in ("q", "question_mark"):
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(trash_app.screen, HelpScreen)
            rows = help_rows(trash_app)
            assert [r[0] for r in rows if not r[2]][-1] == "App"
            assert "app.quit" in [r[2] for r in rows]
            await pilot.press(close)
            await pilot.pause()
            assert not isinstance(trash_app.screen, HelpScreen)
        assert trash_app.is_running  # q closed the help, not the app
