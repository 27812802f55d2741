"""The Policies pane at 80x24: the table, run now, pause/resume, add/edit form, remove,
prune preview, restore points, and the destinations one key away."""

from __future__ import annotations

import asyncio
import tomllib
from datetime import timedelta
from pathlib import Path

from textual.widgets import Input, Select, TabbedContent

from tests.tui.conftest import (
    FIXED_NOW,
    SIZE,
    RecordingApp,
    fixed_clock,
    notes,
    screen_text,
    settle,
)
from tests.tui_destinations.conftest import add_destination
from tui_backup import clock
from tui_backup.service import ProfileService
from tui_backup.service.backup_restore import BackupRestorePlan
from tui_backup.tui.screens import ConfirmScreen
from tui_backup.tui.screens.policy_form import PolicyFormScreen
from tui_backup.tui.screens.policy_screens import (
    DecisionTable,
    PolicyPointsScreen,
    PrunePreviewScreen,
)
from tui_backup.tui.screens.restore_wizard import RestoreWizard
from tui_backup.tui.screens.restore_wizard.plan_step import PlanStep
from tui_backup.tui.widgets.destinations import DestinationsPane
from tui_backup.tui.widgets.policies import PoliciesPane


def pane(app: RecordingApp) -> PoliciesPane:
    return app.query_one(PoliciesPane)


def policy_tables(config: Path) -> dict[str, dict[str, object]]:
    with open(config, "rb") as f:
        return {p["name"]: p for p in tomllib.load(f).get("policy", [])}


def row(app: RecordingApp, index: int) -> list[str]:
    return [str(c) for c in pane(app).table.get_row_at(index)]


async def test_table_lists_the_policies(policy_app: RecordingApp) -> None:
    async with policy_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        assert policy_app.query_one(TabbedContent).active == "policies"
        p = pane(policy_app)
        assert p.showing_policies and p.table.has_focus
        assert p.table.row_count == 2
        nightly, configs = row(policy_app, 0), row(policy_app, 1)
        assert nightly[:3] == ["nightly", "active", "usb"]
        assert nightly[3].startswith("daily")
        assert nightly[4] == "03-02 02:00"  # next run after the pinned noon
        assert nightly[5] == "never"
        assert nightly[6].startswith("● ")
        assert configs[:3] == ["configs", "paused", "usb"]
        text = screen_text(pilot)
        assert "Retention" in text and "keep 7 last" in text.replace("  ", " ")
        await pilot.press("down")
        assert "configs · paused · config to usb" in screen_text(pilot)
        # d: the destinations, with their own keys; d again: back
        await pilot.press("d")
        assert not p.showing_policies
        assert policy_app.query_one(DestinationsPane).table.has_focus
        assert "Destinations" in screen_text(pilot)
        await pilot.press("d")
        assert p.showing_policies and p.table.has_focus


async def test_run_now_is_a_job_that_notifies(policy_app: RecordingApp) -> None:
    async with policy_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3", "b")
        await settle(pilot)
        jobs = policy_app.service.list_jobs(10)
        assert "backup" in [j.kind for j in jobs] and all(j.status == "succeeded" for j in jobs)
        done = [n for n in notes(pilot) if "backup" in n[0]]
        assert len(done) == 1 and done[0][2] == "information", notes(pilot)
        assert row(policy_app, 0)[5].startswith("✔ ")
        assert "✔ run" in screen_text(pilot)
        assert not [n for n in notes(pilot) if n[2] == "error"], notes(pilot)


async def test_pause_and_resume_write_the_config(policy_app: RecordingApp, policy_config: Path) -> None:
    async with policy_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3", "p")
        await settle(pilot)
        assert policy_tables(policy_config)["nightly"]["state"] == "paused"
        assert row(policy_app, 0)[1] == "paused"
        await pilot.press("p")
        await settle(pilot)
        assert policy_tables(policy_config)["nightly"]["state"] == "active"
        assert row(policy_app, 0)[1] == "active"


async def test_add_form_refuses_and_keeps_the_file(policy_app: RecordingApp, policy_config: Path) -> None:
    before = policy_config.read_bytes()
    async with policy_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3", "a")
        form = policy_app.screen
        assert isinstance(form, PolicyFormScreen)
        # a number the form itself can check
        form.query_one("#name", Input).value = "hourly"
        form.query_one("#keep_last", Input).value = "many"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "keep_last: 'many' is not a whole number" in str(form.query_one("#error-keep_last").render())
        assert "fix 1 field: keep_last" in str(form.query_one("#error").render())
        # what only the service can tell: a bad cron expression, then a name already taken
        form.query_one("#keep_last", Input).value = "3"
        form.query_one("#kind", Select).value = "cron"
        await pilot.pause()
        form.query_one("#cron", Input).value = "99 * * * *"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert policy_app.screen is form
        error = str(form.query_one("#error").render())
        assert "✖" in error and "Nothing was saved" in error
        form.query_one("#cron", Input).value = "0 3 * * *"
        form.query_one("#name", Input).value = "nightly"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "already exists" in str(form.query_one("#error").render())
        assert policy_config.read_bytes() == before
        await pilot.press("escape")
        assert not isinstance(policy_app.screen, PolicyFormScreen)
    assert policy_config.read_bytes() == before


async def test_add_then_edit(policy_app: RecordingApp, policy_config: Path) -> None:
    async with policy_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3", "a")
        form = policy_app.screen
        assert isinstance(form, PolicyFormScreen)
        form.query_one("#name", Input).value = "weekly-db"
        form.query_one("#include", Select).value = "database"
        form.query_one("#kind", Select).value = "weekly"
        await pilot.pause()
        form.query_one("#weekday", Select).value = "saturday"
        form.query_one("#keep_weekly", Input).value = "8"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")  # the diff of the config: save it
        await settle(pilot)
        assert not isinstance(policy_app.screen, PolicyFormScreen)
        table = policy_tables(policy_config)["weekly-db"]
        assert table["frequency"] == "weekly" and table["weekday"] == "saturday"
        assert table["include"] == "database" and table["retention"] == {"keep_weekly": 8}
        assert pane(policy_app).table.row_count == 3
        assert [n for n in notes(pilot) if "policy add" in n[0]], notes(pilot)

        # edit the first policy: only what changed is written, the rest of the block stays
        await pilot.press("e")
        form = policy_app.screen
        assert isinstance(form, PolicyFormScreen)
        assert form.query_one("#name", Input).value == "nightly"
        assert form.query_one("#keep_last", Input).value == "7"
        form.query_one("#time", Input).value = "04:30"
        form.query_one("#keep_last", Input).value = ""
        form.query_one("#keep_daily", Input).value = "14"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        nightly = policy_tables(policy_config)["nightly"]
        assert nightly["time"] == "04:30" and nightly["retention"] == {"keep_daily": 14}
        assert nightly["frequency"] == "daily"


async def test_remove_asks_first(policy_app: RecordingApp, policy_config: Path) -> None:
    async with policy_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3", "x")
        assert isinstance(policy_app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert "nightly" in policy_tables(policy_config)
        await pilot.press("x")
        assert isinstance(policy_app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert list(policy_tables(policy_config)) == ["configs"]
        assert pane(policy_app).table.row_count == 1
        assert row(policy_app, 0)[0] == "configs"


async def _three_config_backups(svc: ProfileService) -> None:
    """Three restore points of `configs`, made the same day (keep_daily keeps the newest)."""
    for hours in (9, 6, 3):
        with clock.pinned(FIXED_NOW - timedelta(hours=hours)):
            finished = await asyncio.to_thread(svc.run_backup, "usb", "config", policy="configs")
        assert finished.ok


async def test_prune_preview_lists_keep_and_remove(policy_app: RecordingApp) -> None:
    svc = policy_app.service
    await _three_config_backups(svc)
    async with policy_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3", "down", "u")
        await settle(pilot)
        preview = policy_app.screen
        assert isinstance(preview, PrunePreviewScreen)
        table = preview.query_one(DecisionTable)
        decisions = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [d[2] for d in decisions] == ["keep", "✖ remove", "✖ remove"]
        assert decisions[0][3]  # the rule that keeps it
        assert "1 kept, 2 to remove" in screen_text(pilot)
        assert len(await asyncio.to_thread(svc.list_restore_points, "usb")) == 3  # a preview
        await pilot.press("c")
        assert isinstance(policy_app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert len(await asyncio.to_thread(svc.list_restore_points, "usb")) == 1
        assert not [n for n in notes(pilot) if n[2] == "error"], notes(pilot)


async def test_restore_points_of_a_policy_restore_with_a_dry_run(policy_app: RecordingApp) -> None:
    svc = policy_app.service
    await _three_config_backups(svc)
    async with policy_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3", "r")
        await settle(pilot)
        points = policy_app.screen
        assert isinstance(points, PolicyPointsScreen)
        assert points.points == []  # nightly made none
        await pilot.press("escape", "down", "r")
        await settle(pilot)
        points = policy_app.screen
        assert isinstance(points, PolicyPointsScreen) and len(points.points) == 3
        await pilot.press("enter")  # the restore wizard, on this point: what to restore?
        await settle(pilot)
        wizard = policy_app.screen
        assert isinstance(wizard, RestoreWizard)
        await pilot.press("enter")  # everything
        await settle(pilot)
        await pilot.press("enter")  # in place
        await settle(pilot)
        assert isinstance(wizard.query_one(PlanStep).plan, BackupRestorePlan)  # the dry run
        await pilot.press("escape", "escape", "escape", "escape")
        await settle(pilot)
        assert not isinstance(policy_app.screen, RestoreWizard)
        assert not [n for n in notes(pilot) if n[2] == "error"], notes(pilot)


async def test_drill_and_verify_run_as_jobs(policy_app: RecordingApp) -> None:
    async with policy_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3", "t")  # nothing to drill yet: a failed drill, said once
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert "✔ drill" in screen_text(pilot), notes(pilot)
        assert "(last good drill)" in screen_text(pilot)
        await pilot.press("k")
        await settle(pilot)
        kinds = [j.kind for j in policy_app.service.list_jobs(20)]
        assert kinds.count("drill") == 2 and "check" in kinds, kinds
        drills = [n for n in notes(pilot) if "drill" in n[0]]
        assert [n[2] for n in drills] == ["error", "information"], notes(pilot)


async def test_without_policies_the_destinations_show_and_a_adds(profile_config: Path, drive: Path,
                                                                  pinned_clock: None) -> None:
    add_destination(profile_config, "usb", drive)
    svc = ProfileService.open(config=profile_config, interface="tui")
    try:
        app = RecordingApp(svc, clock=fixed_clock)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("3")
            p = pane(app)
            assert not p.showing_policies
            assert app.query_one(DestinationsPane).table.has_focus
            await pilot.press("a")
            form = app.screen
            assert isinstance(form, PolicyFormScreen)
            form.query_one("#name", Input).value = "nightly"
            await pilot.press("ctrl+s")
            await settle(pilot)
            await pilot.press("y")
            await settle(pilot)
            assert list(policy_tables(profile_config)) == ["nightly"]
            await pilot.press("d")
            assert p.showing_policies and row(app, 0)[:3] == ["nightly", "active", "usb"]
    finally:
        svc.close()
