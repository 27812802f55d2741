"""Start-up paints the first pane only; the hidden panes are mounted after it, and a hidden
pane does no periodic work until it is shown again (tui/panes.py, benchmarks/tui.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Tabs

import tui_backup.tui.app as app_module
from tests.tui.conftest import SIZE, RecordingApp, fixed_clock, settle
from tui_backup.service import ProfileService
from tui_backup.tui.panes import PANE_SPECS, PendingPane, shown
from tui_backup.tui.widgets.dashboard import Dashboard
from tui_backup.tui.widgets.jobs import JobsPane, JobsTable
from tui_backup.tui.widgets.journal import JournalPane


class LazyApp(RecordingApp):
    """The app as in a real terminal: hidden panes mounted after the first paint."""

    LAZY_PANES = True


async def wait_until(pilot: Pilot[None], check: Any, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await pilot.pause(0.05)


async def test_hidden_panes_are_stand_ins_then_mounted_in_the_background(demo_service: ProfileService) -> None:
    app = LazyApp(demo_service, clock=fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        # The first paint holds the Dashboard only; every other tab a stand-in.
        composed = {p.spec.pane for p in app.query(PendingPane)}
        assert composed and composed <= set(PANE_SPECS) - {"dashboard"}
        # Its keys work at once: the focus is on the pane, not on the tab bar.
        await wait_until(pilot, lambda: isinstance(app.focused, Dashboard))
        await wait_until(pilot, lambda: not app.query(PendingPane))
        for spec in PANE_SPECS.values():
            assert len(app.query(f"#{spec.widget_id}")) == 1, spec
        await settle(pilot)
        assert isinstance(app.focused, Dashboard)  # background mounting took no focus


async def test_a_pane_shown_before_its_turn_is_mounted_and_focused_at_once(
    demo_service: ProfileService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "BACKGROUND_MOUNT_S", 3600.0)  # no background mounting
    app = LazyApp(demo_service, clock=fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.query(JournalPane)
        await pilot.press("6")
        await wait_until(pilot, lambda: bool(app.query(JournalPane)))
        journal = app.query_one(JournalPane)
        await wait_until(pilot, lambda: app.focused is not None and journal in app.focused.ancestors)
        await pilot.press("4")
        await wait_until(pilot, lambda: isinstance(app.focused, JobsTable))
        # Refresh (F5) reloads what is mounted and skips what is not.
        await pilot.press("f5")
        await settle(pilot)
        assert app.query(PendingPane)  # Snapshots, Policies, Trash still wait
        assert not [n for n in app.notes if n[2] == "error"], app.notes


async def test_the_active_pane_has_the_focus_at_start(demo_service: ProfileService) -> None:
    app = RecordingApp(demo_service, clock=fixed_clock)  # headless default: every pane composed
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.focused, Dashboard)
        assert not isinstance(app.focused, Tabs)


async def test_hidden_panes_do_no_periodic_work_and_catch_up_when_shown(
    demo_service: ProfileService, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = RecordingApp(demo_service, clock=fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dashboard, jobs = app.query_one(Dashboard), app.query_one(JobsPane)
        loads: list[str] = []
        monkeypatch.setattr(dashboard, "_load_activity", lambda: loads.append("activity"))
        monkeypatch.setattr(dashboard, "refresh_data", lambda: loads.append("refresh"))
        polls: list[str] = []
        poll = jobs._while_shown(lambda: polls.append("poll"))

        assert shown(dashboard) and not shown(jobs)
        poll()
        assert polls == []  # the Jobs pane is hidden: its timers do nothing
        await pilot.press("4")
        await wait_until(pilot, lambda: shown(jobs))
        poll()
        assert polls == ["poll"]
        assert not shown(dashboard)
        dashboard._tick()
        assert loads == []  # hidden: the dashboard's tick does nothing
        await pilot.press("1")
        await wait_until(pilot, lambda: shown(dashboard))
        await wait_until(pilot, lambda: bool(loads))
        assert loads[:1] == ["refresh"]  # shown again: it catches up at once
        dashboard._tick()
        assert loads[-1] == "activity"


async def test_the_status_is_refreshed_periodically(demo_service: ProfileService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "STATUS_REFRESH_S", 0.2)
    app = RecordingApp(demo_service, clock=fixed_clock)
    calls: list[int] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        monkeypatch.setattr(app, "_load_status", lambda: calls.append(1))
        await pilot.pause(1.0)
        assert len(calls) >= 2, calls


class CollectorRecorder:
    """Stands in for the `gc` module of tui/app.py: records what the app asks of it."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def freeze(self) -> None:
        self.calls.append("freeze")

    def enable(self) -> None:
        self.calls.append("enable")

    def unfreeze(self) -> None:
        self.calls.append("unfreeze")


async def test_the_collector_comes_back_on_once_the_hidden_panes_are_mounted(
    demo_service: ProfileService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """_run_profile turns the garbage collector off for start-up (tui/__init__.py): the app
    freezes what the first paint built, and only when the last hidden pane is mounted
    freezes again and turns the collector back on."""
    recorder = CollectorRecorder()
    monkeypatch.setattr(app_module, "gc", recorder)

    class RealTerminalApp(LazyApp):
        MANAGE_GC = True

    app = RealTerminalApp(demo_service, clock=fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "freeze" in recorder.calls)
        assert "enable" not in recorder.calls or not app.query(PendingPane)
        await wait_until(pilot, lambda: "enable" in recorder.calls)
        assert not app.query(PendingPane)  # all mounted before the collector came back
        assert recorder.calls == ["freeze", "freeze", "enable"]
    assert recorder.calls[-1] == "unfreeze"


def test_run_profile_keeps_the_collector_off_while_the_app_starts(
    demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app runs with the collector off (it turns it back on itself); whatever the app
    does, it is on again when the app has ended."""
    import gc

    import tui_backup.tui as tui_package

    seen: list[bool] = []
    monkeypatch.setattr(app_module.BackupApp, "run", lambda self: seen.append(gc.isenabled()))
    assert gc.isenabled()
    tui_package._run_profile(demo_config)
    assert seen == [False]
    assert gc.isenabled()
