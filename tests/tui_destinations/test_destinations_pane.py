"""The Destinations pane at 80x24: list, back up, restore (dry run → confirm), refusals."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Input, TabbedContent

from tests.tui.conftest import SIZE, RecordingApp, fixed_clock, notes, screen_text, settle
from tui_backup.service import ProfileService
from tui_backup.tui.screens import ConfirmScreen
from tui_backup.tui.screens.backup_screens import (
    BackupRestorePlanScreen,
    BackupTypeScreen,
    RestoreTargetScreen,
)
from tui_backup.tui.widgets.destinations import DestinationsPane


def pane(app: RecordingApp) -> DestinationsPane:
    return app.query_one(DestinationsPane)


async def test_lists_the_destination(dest_app: RecordingApp, drive: Path) -> None:
    async with dest_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        assert dest_app.query_one(TabbedContent).active == "policies"
        p = pane(dest_app)
        assert p.table.has_focus
        row = [str(c) for c in p.table.get_row_at(0)]
        assert row[:2] == ["usb", "local"]
        assert "Destinations" in screen_text(pilot)
        assert "usb" in screen_text(pilot)
        assert p.point_table.row_count == 0
        await pilot.press("tab")
        assert p.point_table.has_focus
        await pilot.press("5")  # leaving a pane with two tables: the focus does not pull it back
        assert dest_app.query_one(TabbedContent).active == "trash"


async def test_backup_then_restore_in_place(dest_app: RecordingApp, app_dir: Path) -> None:
    async with dest_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3", "b")
        assert isinstance(dest_app.screen, BackupTypeScreen)
        await pilot.press("enter")  # the first type: full
        await settle(pilot)
        p = pane(dest_app)
        assert p.point_table.row_count == 1
        assert [str(c) for c in p.table.get_row_at(0)][3] == "online"
        # the Jobs pane (live feed) said it once; this pane did not repeat it
        done = [n for n in notes(pilot) if "backup" in n[0]]
        assert len(done) == 1 and done[0][2] == "information", notes(pilot)
        assert "✔ backup succeeded" in screen_text(pilot)

        (app_dir / "files" / "a.txt").write_text("changed\n")
        await pilot.press("r")
        assert isinstance(dest_app.screen, RestoreTargetScreen)
        await pilot.press("enter")  # empty: in place
        await settle(pilot)
        assert isinstance(dest_app.screen, BackupRestorePlanScreen)
        text = screen_text(pilot)
        assert "Overwritten: 1" in text and "files/files/a.txt" in text
        assert (app_dir / "files" / "a.txt").read_text() == "changed\n"  # a dry run
        await pilot.press("c")
        assert isinstance(dest_app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert (app_dir / "files" / "a.txt").read_text() == "hello\n"
        assert "✔ restored" in screen_text(pilot)
        assert not [n for n in notes(pilot) if n[2] == "error"], notes(pilot)


async def test_restore_into_another_directory(dest_app: RecordingApp, app_dir: Path, tmp_path: Path) -> None:
    # run_job_sync runs its own event loop: not inside the test's
    assert (await asyncio.to_thread(dest_app.service.run_backup, "usb", "files")).ok
    elsewhere = tmp_path / "elsewhere"
    async with dest_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3", "r")
        dest_app.screen.query_one(Input).value = str(elsewhere)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(dest_app.screen, BackupRestorePlanScreen)
        await pilot.press("c", "y")
        await settle(pilot)
        restored = list(elsewhere.rglob("a.txt"))
        assert restored and restored[0].read_text() == "hello\n"


async def test_escape_cancels_and_nothing_runs(dest_app: RecordingApp) -> None:
    async with dest_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3", "b", "escape")
        await settle(pilot)
        assert not isinstance(dest_app.screen, BackupTypeScreen)
        assert dest_app.service.list_jobs(10) == []


async def test_missing_destination_is_refused_with_the_hint(missing_app: RecordingApp) -> None:
    async with missing_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        p = pane(missing_app)
        assert [str(c) for c in p.table.get_row_at(0)][3] == "missing"
        await pilot.press("b", "enter")
        await settle(pilot)
        errors = [n for n in notes(pilot) if n[2] == "error"]
        assert len(errors) == 1, notes(pilot)
        title, message, _ = errors[0]
        assert "backup failed" in title and "not-mounted" in message
        hint = message.splitlines()[-1]
        assert len(message.splitlines()) >= 2 and hint.strip()
        # the app keeps running: other keys still work
        await pilot.press("k")
        await settle(pilot)
        assert len([n for n in notes(pilot) if n[2] == "error"]) == 2
        await pilot.press("1")
        assert missing_app.query_one(TabbedContent).active == "dashboard"
        assert missing_app.is_running


async def test_check_and_init_run_as_jobs(dest_app: RecordingApp) -> None:
    assert (await asyncio.to_thread(dest_app.service.run_backup, "usb", "config")).ok
    async with dest_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3", "k")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        kinds = [j.kind for j in dest_app.service.list_jobs(10)]
        assert "check" in kinds and "init" in kinds
        told = [n for n in notes(pilot) if "check" in n[0] or "init" in n[0]]
        assert len(told) == 2 and all(n[2] == "information" for n in told), notes(pilot)
        assert "✔ init succeeded" in screen_text(pilot)


async def test_no_destination_says_how_to_add_one(svc: ProfileService) -> None:
    app = RecordingApp(svc, clock=fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        assert "add a [[destination]] block" in screen_text(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert notes(pilot)[-1][2] == "warning"
        assert not isinstance(app.screen, BackupTypeScreen)
