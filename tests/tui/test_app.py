"""The app's frame: header with health, the six panes, the footer's keys."""

from __future__ import annotations

import subprocess
import sys

from textual.widgets import Footer, Label, TabbedContent

from tui_backup.tui.widgets import JobsTable, ProfileHeader, SnapshotsPane
from tui_backup.tui.widgets.destinations import DestinationsPane
from tui_backup.tui.widgets.journal import JournalPane
from tui_backup.tui.widgets.trash import TrashPane

from .conftest import SIZE, RecordingApp, screen_text, settle


def test_importing_the_tui_package_does_not_import_textual() -> None:
    code = "import sys, tui_backup.tui; print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


async def test_frame_shows_profile_health_panes_and_keys(app: RecordingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        header = app.query_one(ProfileHeader)
        assert "demo" in str(header.query_one("#profile", Label).content)
        health = str(header.query_one("#health", Label).content)
        # No snapshot yet: a warning, said in words and with a symbol (not colour only).
        assert health.startswith("▲ warning")
        assert header.query_one("#health").has_class("-warn")
        tabs = app.query_one(TabbedContent)
        assert [p.id for p in tabs.query("TabPane")] == ["dashboard", "snapshots", "policies", "jobs", "trash", "journal"]
        assert tabs.active == "dashboard"
        assert app.query_one(Footer)
        screen = screen_text(pilot)
        for text in ("profile: demo", "~/demo/assetd.db", "~/demo/library", "✔ online", "no snapshot yet", "Quit"):
            assert text in screen, text


async def test_number_keys_switch_panes_and_focus_them(app: RecordingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tabs = app.query_one(TabbedContent)
        await pilot.press("2")
        assert tabs.active == "snapshots"
        assert app.query_one(SnapshotsPane).table.has_focus
        await pilot.press("4")
        assert tabs.active == "jobs"
        assert app.query_one(JobsTable).has_focus
        await pilot.press("3")
        assert tabs.active == "policies"
        assert app.query_one(DestinationsPane).table.has_focus
        await pilot.press("5")
        assert tabs.active == "trash"
        assert app.query_one(TrashPane).table.has_focus
        await pilot.press("6")
        assert tabs.active == "journal"
        assert app.query_one(JournalPane).table.has_focus
        await pilot.press("1")
        assert tabs.active == "dashboard"


async def test_jobs_pane_lists_recent_jobs(app: RecordingApp) -> None:
    app.service.create_snapshot("for the jobs list")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        table = app.query_one(JobsTable)
        assert table.row_count >= 1
        row = [str(c) for c in table.get_row_at(0)]
        assert "snapshot" in row[2]
        assert row[3] == "✔ succeeded"


async def test_f5_refreshes_and_q_quits(app: RecordingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.service.create_snapshot("made elsewhere (e.g. by cron)")
        await pilot.press("f5")
        await settle(pilot)
        assert app.query_one(SnapshotsPane).table.row_count == 1
        assert str(app.query_one(ProfileHeader).query_one("#health", Label).content).startswith("✔ healthy")
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
