"""From a file entry of the Journal pane: the file's history (versions and holders) and
bringing an old version back — in place (what is there goes to the trash) or into a
directory — at 80x24 and 120x40. Real scans (snapshots journal the file changes), the
real trash holding the old version, the real history service."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from tests.tui.conftest import FIXED_NOW, RecordingApp, fixed_clock, notes, screen_text, settle
from tui_backup import clock
from tui_backup.service import ProfileService
from tui_backup.tui.screens import ConfirmScreen
from tui_backup.tui.screens.file_history import FileHistoryScreen
from tui_backup.tui.screens.prompts import PathPromptScreen
from tui_backup.tui.widgets.journal import JournalPane

SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def history_app(service: ProfileService, app_home: Path) -> RecordingApp:
    """a.txt: "hello" at the first scan, then trashed by hand, then rewritten as "v2"."""
    a = app_home / "files" / "a.txt"
    clock.set_now(FIXED_NOW - timedelta(hours=2))
    service.create_snapshot("first")
    clock.set_now(FIXED_NOW - timedelta(hours=1))
    service.trash_put(a, reason="replaced by hand")
    a.write_text("v2\n")
    clock.set_now(FIXED_NOW - timedelta(minutes=30))
    service.create_snapshot("second")
    clock.set_now(FIXED_NOW)
    return RecordingApp(service, clock=fixed_clock)


async def _history_of_a(pilot, app_home: Path) -> FileHistoryScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("6")
    await settle(pilot)
    pane = pilot.app.query_one(JournalPane)
    target = str(app_home / "files" / "a.txt")
    index = next(i for i, r in enumerate(pane.rows) if r.entry.action == "file.modified" and r.entry.target == target)
    pane.table.move_cursor(row=index)
    await pilot.pause()
    await pilot.press("h")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, FileHistoryScreen), notes(pilot)
    return screen


async def _choose_trash_holder(pilot, screen: FileHistoryScreen) -> None:  # type: ignore[no-untyped-def]
    table = screen.query_one("#versions", DataTable)
    key = next(k for k, h in screen.holders.items() if h.kind == "trash")
    table.move_cursor(row=table.get_row_index(key))
    await pilot.pause()
    assert "tui-backup trash restore" in screen_text(pilot) or "$ " in screen_text(pilot)
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, PathPromptScreen)


@pytest.mark.parametrize("size", SIZES)
async def test_bring_back_an_old_version_into_a_directory(history_app: RecordingApp, app_home: Path,
                                                          tmp_path: Path, size: tuple[int, int]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    async with history_app.run_test(size=size) as pilot:
        screen = await _history_of_a(pilot, app_home)
        assert len(screen.history.versions) >= 2
        assert "History of ~/app/files/a.txt" in screen_text(pilot)
        await _choose_trash_holder(pilot, screen)
        await pilot.press(*str(out))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(history_app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert (out / "a.txt").read_text() == "hello\n"
        assert (app_home / "files" / "a.txt").read_text() == "v2\n"  # the live file is untouched
        assert any(title == "✔ Version brought back" for title, _, _ in notes(pilot))


@pytest.mark.parametrize("size", SIZES)
async def test_bring_back_in_place_trashes_the_current_file(history_app: RecordingApp, app_home: Path,
                                                            size: tuple[int, int]) -> None:
    svc = history_app.service
    async with history_app.run_test(size=size) as pilot:
        screen = await _history_of_a(pilot, app_home)
        await _choose_trash_holder(pilot, screen)
        await pilot.press("enter")  # empty: in place
        await pilot.pause()
        assert isinstance(history_app.screen, ConfirmScreen)
        assert "goes to the trash" in str(history_app.screen.query_one("#body", Static).content)
        await pilot.press("y")
        await settle(pilot)
        assert (app_home / "files" / "a.txt").read_text() == "hello\n"
        replaced = [it for it in svc.trash_items() if it.original == str(app_home / "files" / "a.txt")]
        assert replaced and Path(replaced[0].stored).read_text() == "v2\n"  # the newer one is kept


async def test_escape_closes_the_history(history_app: RecordingApp, app_home: Path) -> None:
    async with history_app.run_test(size=SIZES[0]) as pilot:
        await _history_of_a(pilot, app_home)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(history_app.query_one(JournalPane).table, DataTable)
        assert not isinstance(history_app.screen, FileHistoryScreen)
        assert (app_home / "files" / "a.txt").read_text() == "v2\n"
