"""The Trash pane, driven by keys like a user at 80x24 and 120x40: list, filter, restore,
restore to…, a restore conflict, purge, purge expired. Real parts: the real trash (renames
on disk), the real catalog and journal, the real app."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from tests.tui.conftest import RecordingApp, fixed_clock, notes, screen_text, settle
from tui_backup.tui.screens import ConfirmScreen
from tui_backup.tui.screens.prompts import PathPromptScreen
from tui_backup.tui.widgets.trash import TrashPane

from .conftest import SIZES


async def _open(pilot) -> TrashPane:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("5")
    await settle(pilot)
    pane = pilot.app.query_one(TrashPane)
    assert pane.table.has_focus
    return pane


def _kinds(pane: TrashPane) -> list[str]:
    return [r.item.kind for r in pane.rows]


async def _select(pilot, pane: TrashPane, kind: str) -> str:  # type: ignore[no-untyped-def]
    """Move the cursor to the first item of `kind`; its id."""
    index = _kinds(pane).index(kind)
    pane.table.move_cursor(row=index)
    await pilot.pause()
    assert pane.table.selected_id == pane.rows[index].item.id
    return pane.rows[index].item.id


@pytest.mark.parametrize("size", SIZES)
async def test_lists_items_with_a_summary(trash_app: RecordingApp, size: tuple[int, int]) -> None:
    async with trash_app.run_test(size=size) as pilot:
        pane = await _open(pilot)
        assert _kinds(pane) == ["user", "user", "policy", "user"]  # newest first
        text = screen_text(pilot)
        assert "~/app/files/a.txt" in text
        assert "expired" in text  # the 40-day-old note
        assert "29 days" in text or "30 days" in text
        status = pane.query_one("#trash-activity-label").render()
        assert "4 items" in str(status) and "1 expired (e purges) · next expiry: policy in 27 days" in str(status)
        assert "replaced by hand" in text  # the selected (newest) item's details


@pytest.mark.parametrize("size", SIZES)
async def test_filter_by_text_and_kind(trash_app: RecordingApp, size: tuple[int, int]) -> None:
    async with trash_app.run_test(size=size) as pilot:
        pane = await _open(pilot)
        await pilot.press("slash")
        assert pane.query_one("#trash-filter-text", Input).has_focus
        await pilot.press(*"photos")
        await pilot.pause()
        assert [r.item.original.endswith("photos") for r in pane.rows] == [True]
        assert "1 of 4 items" in screen_text(pilot)
        await pilot.press("enter")  # back to the table
        assert pane.table.has_focus
        await pilot.press("slash", "z", "z", "escape")  # Escape goes back too, the filter kept
        assert pane.table.has_focus and pane.rows == []
        pane.query_one("#trash-filter-text", Input).value = ""
        await pilot.pause()
        await pilot.press("k")  # kinds cycle: all → policy → user → all
        assert pane.kind == "policy" and _kinds(pane) == ["policy"]
        await pilot.press("k")
        assert pane.kind == "user" and _kinds(pane) == ["user", "user", "user"]
        await pilot.press("k")
        assert pane.kind is None and len(pane.rows) == 4


@pytest.mark.parametrize("size", SIZES)
async def test_restore_puts_it_back_and_journals(trash_app: RecordingApp, app_home: Path,
                                                 size: tuple[int, int]) -> None:
    svc = trash_app.service
    async with trash_app.run_test(size=size) as pilot:
        pane = await _open(pilot)
        item_id = await _select(pilot, pane, "user")  # a.txt, the newest
        await pilot.press("r")
        await settle(pilot)
        assert (app_home / "files" / "a.txt").read_text() == "hello\n"
        assert item_id not in {r.item.id for r in pane.rows}
        assert any(title == "✔ Restored from the trash" for title, _, _ in notes(pilot))
        entry = svc.journal_list(action="trash.restore", limit=1)[0]
        assert entry.details["item"] == item_id and entry.actor["interface"] == "tui"


@pytest.mark.parametrize("size", SIZES)
async def test_restore_conflict_asks_then_trashes_what_it_replaces(
        trash_app: RecordingApp, app_home: Path, size: tuple[int, int]) -> None:
    (app_home / "files" / "a.txt").write_text("newer\n")
    async with trash_app.run_test(size=size) as pilot:
        pane = await _open(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(trash_app.screen, ConfirmScreen)
        await pilot.press("n")  # no: nothing changes
        await settle(pilot)
        assert (app_home / "files" / "a.txt").read_text() == "newer\n"
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert (app_home / "files" / "a.txt").read_text() == "hello\n"
        assert _kinds(pane)[0] == "overwritten"  # what was there waits in the trash


@pytest.mark.parametrize("size", SIZES)
async def test_restore_to_a_directory(trash_app: RecordingApp, app_home: Path, tmp_path: Path,
                                      size: tuple[int, int]) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    async with trash_app.run_test(size=size) as pilot:
        pane = await _open(pilot)
        await _select(pilot, pane, "policy")
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(trash_app.screen, PathPromptScreen)
        await pilot.press(*str(target))
        await pilot.press("enter")
        await settle(pilot)
        assert (target / "weekly.toml").read_text().startswith("[[policy]]")
        assert "policy" not in _kinds(pane)


@pytest.mark.parametrize("size", SIZES)
async def test_purge_asks_first(trash_app: RecordingApp, size: tuple[int, int]) -> None:
    svc = trash_app.service
    async with trash_app.run_test(size=size) as pilot:
        pane = await _open(pilot)
        item = pane.rows[1].item  # the photos folder
        stored = Path(item.stored)
        pane.table.move_cursor(row=1)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(trash_app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert stored.exists() and len(pane.rows) == 4
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert not stored.exists()
        assert item.id not in {r.item.id for r in pane.rows}
        assert svc.trash_item(item.id).state == "purged"


@pytest.mark.parametrize("size", SIZES)
async def test_purge_expired(trash_app: RecordingApp, size: tuple[int, int]) -> None:
    async with trash_app.run_test(size=size) as pilot:
        pane = await _open(pilot)
        expired = pane.rows[-1].item
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(trash_app.screen, ConfirmScreen)
        assert "1 item" in screen_text(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert expired.id not in {r.item.id for r in pane.rows}
        assert len(pane.rows) == 3
        assert any("1 item purged" in msg for _, msg, _ in notes(pilot))


async def test_empty_trash_says_what_it_is_for(service, pinned) -> None:  # type: ignore[no-untyped-def]
    app = RecordingApp(service, clock=fixed_clock)
    async with app.run_test(size=SIZES[0]) as pilot:
        pane = await _open(pilot)
        assert pane.rows == []
        assert "Nothing is in the trash" in screen_text(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert any(msg == "No trash item selected." for _, msg, _ in notes(pilot))
