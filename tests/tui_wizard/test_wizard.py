"""The restore wizard, through every step, at 80x24 and 120x40: a snapshot, a local
destination (everything, in place) and a files-only restore of chosen paths elsewhere."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import ContentSwitcher

from tests import helpers
from tests.tui.conftest import FIXED_NOW, RecordingApp, fixed_clock, notes, screen_text, settle
from tui_backup import clock
from tui_backup.service import ProfileService
from tui_backup.tui.screens.restore_wizard import RestoreWizard
from tui_backup.tui.screens.restore_wizard.point_step import PointStep
from tui_backup.tui.screens.restore_wizard.scope_step import PathTree

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def step(app: RecordingApp) -> str:
    assert isinstance(app.screen, RestoreWizard), app.screen
    return str(app.screen.query_one(ContentSwitcher).current)


async def type_text(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*[{" ": "space", "/": "slash", ".": "full_stop", "-": "minus", "_": "underscore"}.get(ch, ch)
                        for ch in text])


def rows(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


async def open_wizard(pilot: Pilot[None]) -> PointStep:
    await settle(pilot)
    await pilot.press("R")
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, RecordingApp)
    assert step(app) == "step-point"
    return app.screen.query_one(PointStep)


@pytest.mark.parametrize("size", SIZES)
async def test_snapshot_restore_in_place_through_every_step(
    wizard_app: RecordingApp, wizard_service: ProfileService, app_dir: Path, size: tuple[int, int]
) -> None:
    snap = wizard_service.create_snapshot("good state")
    db = app_dir / "app.db"
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM assets WHERE id > 100")
    async with wizard_app.run_test(size=size) as pilot:
        points = await open_wizard(pilot)
        assert points.table.row_count == 1
        assert snap.id in screen_text(pilot)
        await pilot.press("enter")  # the snapshot: its only scope is the database → the target
        await settle(pilot)
        assert step(wizard_app) == "step-target"
        await pilot.press("enter")  # in place
        await settle(pilot)
        assert step(wizard_app) == "step-plan"
        text = screen_text(pilot)
        assert "assets" in text and "dry run" in text.lower()
        assert rows(db, "assets") == 100  # the dry run changed nothing
        await type_text(pilot, "wrong")
        await pilot.press("enter")
        await settle(pilot)
        assert step(wizard_app) == "step-plan" and rows(db, "assets") == 100
        assert any("Type the profile's name" in n[1] for n in notes(pilot))
        await pilot.press(*["backspace"] * 5)
        await type_text(pilot, "app")
        await pilot.press("enter")
        await settle(pilot)
        assert step(wizard_app) == "step-run"
        assert rows(db, "assets") == 500
        safety = [s for s in wizard_service.list_snapshots() if s.kind == "safety"]
        assert len(safety) == 1
        text = screen_text(pilot)
        assert "Restored" in text and safety[0].id in text
        assert not [n for n in notes(pilot) if n[2] == "error"], notes(pilot)
        await pilot.press("enter")  # closes
        await settle(pilot)
        assert not isinstance(wizard_app.screen, RestoreWizard)


@pytest.mark.parametrize("size", SIZES)
async def test_local_destination_everything_in_place(
    wizard_app: RecordingApp, wizard_service: ProfileService, app_dir: Path, size: tuple[int, int]
) -> None:
    assert (await asyncio.to_thread(wizard_service.run_backup, "usb", "full")).ok
    (app_dir / "files" / "a.txt").write_text("changed\n")
    async with wizard_app.run_test(size=size) as pilot:
        points = await open_wizard(pilot)
        assert points.table.row_count == 2  # the backup's point and the snapshot it took
        await type_text(pilot, "/usb full")
        await settle(pilot)
        assert points.table.row_count == 1
        await pilot.press("enter", "enter")  # search → table → pick it
        await settle(pilot)
        assert step(wizard_app) == "step-scope"
        await pilot.press("enter")  # everything
        await settle(pilot)
        assert step(wizard_app) == "step-target"
        await pilot.press("enter")  # in place
        await settle(pilot)
        assert step(wizard_app) == "step-plan"
        text = screen_text(pilot)
        assert "Overwritten: 1" in text and "files/files/a.txt" in text
        assert (app_dir / "files" / "a.txt").read_text() == "changed\n"
        await type_text(pilot, "app")
        await pilot.press("enter")
        await settle(pilot)
        assert step(wizard_app) == "step-run"
        assert (app_dir / "files" / "a.txt").read_text() == "hello\n"
        result = wizard_app.screen.query_one("#run-text")
        assert "Restored" in screen_text(pilot)
        assert result is not None
        text = screen_text(pilot)
        assert "trash" in text and "tui-backup trash restore" in text  # where the replaced file is
        assert not [n for n in notes(pilot) if n[2] == "error"], notes(pilot)


@pytest.mark.parametrize("size", SIZES)
async def test_files_only_chosen_paths_into_a_directory(
    wizard_app: RecordingApp, wizard_service: ProfileService, app_dir: Path, tmp_path: Path, size: tuple[int, int]
) -> None:
    (app_dir / "files" / "sub").mkdir()
    (app_dir / "files" / "sub" / "b.txt").write_text("bee\n")
    assert (await asyncio.to_thread(wizard_service.run_backup, "usb", "files")).ok
    out = tmp_path / "out"
    async with wizard_app.run_test(size=size) as pilot:
        await open_wizard(pilot)
        await pilot.press("enter")  # the only point
        await settle(pilot)
        assert step(wizard_app) == "step-scope"
        await pilot.press("down", "down", "enter")  # everything, all files, chosen paths
        await settle(pilot)
        tree = wizard_app.screen.query_one(PathTree)
        assert tree.has_focus
        await pilot.pause(0.2)
        text = screen_text(pilot)
        assert "a.txt" in text and "sub/" in text
        # the tree, open two levels deep: files/ → files/ (the label) → a.txt, sub/
        await pilot.press("down", "down", "space")  # mark a.txt
        assert tree.chosen == ("files/files/a.txt",)
        await pilot.press("c")
        await settle(pilot)
        assert step(wizard_app) == "step-target"
        await pilot.press("down", "enter")  # another directory
        await type_text(pilot, str(out))
        await pilot.press("enter")
        await settle(pilot)
        assert step(wizard_app) == "step-plan"
        assert "Added" in screen_text(pilot)
        assert not out.exists()
        await pilot.press("enter")  # the focused Restore button
        await settle(pilot)
        assert step(wizard_app) == "step-run"
        assert (out / "files" / "files" / "a.txt").read_text() == "hello\n"
        assert not (out / "files" / "files" / "sub").exists()
        assert not [n for n in notes(pilot) if n[2] == "error"], notes(pilot)


async def test_search_and_time_filter(wizard_app: RecordingApp, wizard_service: ProfileService) -> None:
    with clock.pinned(FIXED_NOW - timedelta(days=3)):
        old = wizard_service.create_snapshot("before the migration")
    with clock.pinned(FIXED_NOW - timedelta(hours=1)):
        new = wizard_service.create_snapshot("nightly")
    async with wizard_app.run_test(size=(80, 24)) as pilot:
        points = await open_wizard(pilot)
        assert points.table.row_count == 2
        assert "2 of 2 restore points" in screen_text(pilot)
        await pilot.press("t")  # last 24 h
        assert points.table.row_count == 1 and points.selected() is not None
        assert points.selected().id == new.id  # type: ignore[union-attr]
        assert "last 24 h" in screen_text(pilot)
        await pilot.press("t")  # last 7 days
        assert points.table.row_count == 2
        await type_text(pilot, "/migration")
        assert points.table.row_count == 1
        await pilot.press("enter")  # search → the table
        assert points.table.has_focus and points.selected().id == old.id  # type: ignore[union-attr]
        await pilot.press("escape")  # the first step: Escape closes
        await settle(pilot)
        assert not isinstance(wizard_app.screen, RestoreWizard)


async def test_an_unreachable_destination_is_named_and_the_rest_listed(
    profile_config: Path, tmp_path: Path
) -> None:
    helpers.add_destination(profile_config, "gone", path=tmp_path / "not-mounted")
    with helpers.open_service(profile_config, interface="tui") as service:
        service.create_snapshot()
        app = RecordingApp(service, clock=fixed_clock)
        async with app.run_test(size=(80, 24)) as pilot:
            points = await open_wizard(pilot)
            assert points.table.row_count == 1
            assert "not listed: gone" in screen_text(pilot)


async def test_all_files_of_a_full_point_in_place_keeps_the_database(
    wizard_app: RecordingApp, wizard_service: ProfileService, app_dir: Path
) -> None:
    assert (await asyncio.to_thread(wizard_service.run_backup, "usb", "full")).ok
    (app_dir / "files" / "a.txt").unlink()
    with sqlite3.connect(app_dir / "app.db") as conn:
        conn.execute("DELETE FROM tags")
    async with wizard_app.run_test(size=(80, 24)) as pilot:
        await open_wizard(pilot)
        await type_text(pilot, "/full")
        await pilot.press("enter", "enter")
        await settle(pilot)
        await pilot.press("down", "down", "enter")  # everything, the database, all files
        await settle(pilot)
        assert step(wizard_app) == "step-target"
        assert "all files" in screen_text(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "Added: 1" in screen_text(pilot)
        await type_text(pilot, "app")
        await pilot.press("enter")
        await settle(pilot)
        assert (app_dir / "files" / "a.txt").read_text() == "hello\n"
        assert rows(app_dir / "app.db", "tags") == 0  # the database was not in the scope
