"""The actions that filled the app's gaps with the CLI, driven by keys at 80x24 and 120x40:
volumes (+ adopt), stats, schedule install/uninstall, export (live and a snapshot), config
set/validate, snapshot diff and prune, trash put. Real parts: the real catalog, snapshots,
crontab file, exports on disk, the real app."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Select, Static

from tests import helpers
from tests.tui.conftest import RecordingApp, fixed_clock, notes, screen_text, settle
from tui_backup.service import ProfileService
from tui_backup.service import schedule_install as si
from tui_backup.service.config_edit import set_value
from tui_backup.tui.screens import ConfirmScreen
from tui_backup.tui.screens.config import ConfigScreen
from tui_backup.tui.screens.export import ExportScreen
from tui_backup.tui.screens.prompts import PathPromptScreen
from tui_backup.tui.screens.schedule import ScheduleScreen
from tui_backup.tui.screens.snapshot_tools import SnapshotDiffScreen, SnapshotPruneScreen
from tui_backup.tui.screens.stats import StatsScreen
from tui_backup.tui.screens.volumes import VolumesScreen
from tui_backup.tui.widgets import SnapshotsPane
from tui_backup.tui.widgets.destinations import DestinationsPane

from .conftest import SIZES


async def _dashboard(pilot, key: str, screen_type: type) -> object:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("1", key)
    await settle(pilot)
    assert isinstance(pilot.app.screen, screen_type), pilot.app.screen
    return pilot.app.screen


async def _snapshots(pilot) -> SnapshotsPane:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    pane = pilot.app.query_one(SnapshotsPane)
    assert len(pane.snapshots) == 2
    return pane


def _note(screen: object) -> str:
    return str(screen.query_one("#note", Static).render())  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", SIZES)
async def test_footer_shows_the_new_keys(tools_app: RecordingApp, size: tuple[int, int]) -> None:
    async with tools_app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        footer = screen_text(pilot).splitlines()[-1]
        # Config (C) is in the palette and the help screen: at 80 columns the footer keeps
        # q, ? and the pane's main keys (tests/tui_sizes/test_footer.py).
        for word in ("Volumes", "Stats", "Schedule", "Export"):
            assert word in footer, footer


@pytest.mark.parametrize("size", SIZES)
async def test_volumes_and_adopt(tools_app: RecordingApp, size: tuple[int, int]) -> None:
    async with tools_app.run_test(size=size) as pilot:
        screen = await _dashboard(pilot, "v", VolumesScreen)
        table = screen.query_one("#volumes", DataTable)  # type: ignore[attr-defined]
        assert table.row_count >= 2 and table.has_focus
        text = screen_text(pilot)
        assert "snapshots" in text and "online" in text and "42.0 GB" in text
        name = "snapshots"  # a directory of the tool's own
        table.move_cursor(row=table.get_row_index(name))
        await pilot.pause()
        await pilot.press("a")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert f"volume {name} adopted" in _note(screen)
        await pilot.press("escape")
        assert not isinstance(pilot.app.screen, VolumesScreen)


@pytest.mark.parametrize("size", SIZES)
async def test_stats(tools_app: RecordingApp, size: tuple[int, int]) -> None:
    async with tools_app.run_test(size=size) as pilot:
        await _dashboard(pilot, "s", StatsScreen)
        text = screen_text(pilot)
        assert "No destinations yet" in text
        assert "recent jobs" in text and "snapshot" in text  # the two snapshot jobs
        await pilot.press("q")
        assert not isinstance(pilot.app.screen, StatsScreen)


@pytest.mark.parametrize("size", SIZES)
async def test_schedule_install_and_uninstall(tools_app: RecordingApp, size: tuple[int, int]) -> None:
    crontab = Path(os.environ[si.CRONTAB_FILE_ENV])
    async with tools_app.run_test(size=size) as pilot:
        screen = await _dashboard(pilot, "S", ScheduleScreen)
        assert "is not installed" in screen_text(pilot)
        screen.query_one("#method", Select).value = "cron"  # type: ignore[attr-defined]
        screen.query_one("#every", Input).value = "15m"  # type: ignore[attr-defined]
        await pilot.press("i")
        await settle(pilot)
        assert "installed: cron" in _note(screen) and "every 15m" in _note(screen)
        block = si.extract_block(crontab.read_text(), "app")
        assert block is not None and "run-due" in block and "*/15" in block
        assert "✔ cron (user)" in screen_text(pilot)  # the report, reloaded
        await pilot.press("u")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert "removed: cron" in _note(screen)
        assert si.extract_block(crontab.read_text(), "app") is None


@pytest.mark.parametrize("size", SIZES)
async def test_export_the_live_database(tools_app: RecordingApp, size: tuple[int, int], tmp_path: Path) -> None:
    out = tmp_path / "out"
    async with tools_app.run_test(size=size) as pilot:
        screen = await _dashboard(pilot, "e", ExportScreen)
        field = screen.query_one("#out", Input)  # type: ignore[attr-defined]
        assert field.has_focus and field.value == "~/app-export-20240301-120000"
        assert screen.query_one("#source", Select).value == "live"  # type: ignore[attr-defined]
        screen.query_one("#format", Select).value = "json"  # type: ignore[attr-defined]
        field.value = str(out)
        await pilot.press("enter")
        await settle(pilot)
        assert "exported 3 table(s)" in _note(screen) and "the live database" in _note(screen)
    doc = json.loads(next(out.glob("*.json")).read_text())
    assert doc  # one JSON document with the tables


@pytest.mark.parametrize("size", SIZES)
async def test_export_a_snapshot(tools_app: RecordingApp, size: tuple[int, int], tmp_path: Path) -> None:
    out = tmp_path / "out"
    async with tools_app.run_test(size=size) as pilot:
        pane = await _snapshots(pilot)
        chosen = pane.table.selected_id
        await pilot.press("e")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ExportScreen)
        assert screen.query_one("#source", Select).value == chosen
        screen.query_one("#out", Input).value = str(out)
        await pilot.press("enter")
        await settle(pilot)
        assert f"snapshot {chosen}" in _note(screen)
    assert sorted(p.name for p in out.glob("*.csv")) == ["asset_tags.csv", "assets.csv", "tags.csv"]


@pytest.mark.parametrize("size", SIZES)
async def test_config_set_and_validate(tools_app: RecordingApp, size: tuple[int, int]) -> None:
    service: ProfileService = tools_app.service
    async with tools_app.run_test(size=size) as pilot:
        screen = await _dashboard(pilot, "C", ConfigScreen)
        assert isinstance(screen, ConfigScreen)
        assert screen.table.has_focus
        screen.table.move_cursor(row=screen.table.get_row_index("trash.retention_days"))
        await pilot.pause()
        await pilot.press("e")
        assert isinstance(pilot.app.screen, PathPromptScreen)
        field = pilot.app.screen.query_one("#path", Input)
        field.value = "45"
        await pilot.press("enter")
        await settle(pilot)
        assert "trash.retention_days = 45" in _note(screen)
        assert service.config.trash.retention_days == 45
        assert "retention_days = 45" in Path(service.config.file).read_text()
        await pilot.press("v")
        await settle(pilot)
        assert "valid (profile app)" in _note(screen)
        screen.table.move_cursor(row=screen.table.get_row_index("trash.retention_days"))
        await pilot.press("e")
        pilot.app.screen.query_one("#path", Input).value = "-3"
        await pilot.press("enter")
        await settle(pilot)
        assert "✖ setting trash.retention_days failed" in _note(screen)
        assert service.config.trash.retention_days == 45  # refused: nothing written


@pytest.mark.parametrize("size", SIZES)
async def test_snapshot_diff(tools_app: RecordingApp, size: tuple[int, int]) -> None:
    async with tools_app.run_test(size=size) as pilot:
        pane = await _snapshots(pilot)
        assert pane.table.selected_id == pane.snapshots[0].id  # the newest
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(pilot.app.screen, SnapshotDiffScreen)
        text = screen_text(pilot)
        assert "assets" in text and "tags" in text
        assert f"to {pane.snapshots[0].id}" in text
        await pilot.press("escape")
        assert not isinstance(pilot.app.screen, SnapshotDiffScreen)


@pytest.mark.parametrize("size", SIZES)
async def test_snapshot_prune(tools_app: RecordingApp, size: tuple[int, int]) -> None:
    service: ProfileService = tools_app.service
    set_value(service, "snapshots.keep", 1)
    async with tools_app.run_test(size=size) as pilot:
        pane = await _snapshots(pilot)
        oldest = pane.snapshots[-1].id
        await pilot.press("p")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, SnapshotPruneScreen)
        assert "1 to remove" in screen_text(pilot) and oldest in screen_text(pilot)
        await pilot.press("y")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert "pruned 1 snapshot(s)" in _note(screen)
        assert "Nothing to prune" in screen_text(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert [s.id for s in pane.snapshots] == [s.id for s in service.list_snapshots()]
        assert oldest not in {s.id for s in pane.snapshots}


@pytest.mark.parametrize("size", SIZES)
async def test_trash_put(tools_app: RecordingApp, size: tuple[int, int], app_home: Path) -> None:
    victim = app_home / "files" / "a.txt"
    async with tools_app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("p")
        assert isinstance(pilot.app.screen, PathPromptScreen)
        pilot.app.screen.query_one("#path", Input).value = "~/app/files/a.txt"
        await pilot.press("enter")
        await settle(pilot)
        assert not victim.exists()
        assert any(title == "✔ Put into the trash" for title, _m, _s in notes(pilot))
        assert "~/app/files/a.txt" in screen_text(pilot)


@pytest.mark.parametrize("size", SIZES)
async def test_backup_remove_a_restore_point(profile_config: Path, drive: Path, size: tuple[int, int]) -> None:
    helpers.add_destination(profile_config, "usb", path=drive)
    with helpers.open_service(profile_config, interface="tui") as service:
        assert (await asyncio.to_thread(service.run_backup, "usb", "config")).ok
        assert (await asyncio.to_thread(service.run_backup, "usb", "files")).ok  # the newest is never removed
        points = await asyncio.to_thread(service.list_restore_points, "usb")
        older = min(points, key=lambda p: p.created_at)
        app = RecordingApp(service, clock=fixed_clock)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await pilot.press("3")
            await settle(pilot)
            pane = app.query_one(DestinationsPane)
            if not pane.table.has_focus:
                await pilot.press("d")
                await settle(pilot)
            pane.point_table.move_cursor(row=pane.point_table.get_row_index(older.id))
            await pilot.pause()
            assert pane.point_table.selected_id == older.id
            await pilot.press("x")
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            await settle(pilot)
            left = await asyncio.to_thread(service.list_restore_points, "usb")
            assert older.id not in {p.id for p in left} and len(left) == 1, notes(pilot)
            assert pane.point_table.row_count == 1
            assert "remove" in [j.kind for j in service.list_jobs(5)] or any(
                "remove" in title for title, _m, _s in notes(pilot))
