"""Every pane at 80x24 and 120x40: its main widget is shown whole (inside the screen, above
the footer, a few rows tall) and one of its actions' keys works."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Input

from tests.tui.conftest import RecordingApp, notes, settle
from tests.tui_sizes.conftest import SIZES


def assert_whole(pilot: Pilot[None], widget: Widget) -> None:
    screen = pilot.app.screen.region
    footer = pilot.app.screen.query_one(Footer).region
    region = widget.region
    assert widget.display and widget.visible, widget
    assert screen.contains_region(region), (widget, region, screen)
    assert region.bottom <= footer.y, (widget, region, footer)
    # A table: its header and at least one row when it has rows; the pane's full width.
    rows = 1 + min(widget.row_count, 1) if isinstance(widget, DataTable) else 3
    assert region.height >= rows and region.width >= screen.width - 4, (widget, region)


async def show(pilot: Pilot[None], *keys: str) -> Widget:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)
    await pilot.pause()
    focused = pilot.app.focused
    assert focused is not None
    return focused


async def wait_for(pilot: Pilot[None], what: str, check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


async def modal_opens_and_closes(pilot: Pilot[None], key: str, kind: type[ModalScreen[Any]] | None = None) -> None:
    await pilot.press(key)
    await settle(pilot)
    assert isinstance(pilot.app.screen, kind or ModalScreen), (key, pilot.app.screen)
    await pilot.press("escape")
    await settle(pilot)
    assert not isinstance(pilot.app.screen, ModalScreen)


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_pane_at_size(sized_app: RecordingApp, size: tuple[int, int]) -> None:
    from tui_backup.tui.screens.policy_form import PolicyFormScreen
    from tui_backup.tui.screens.prompts import JournalFilterScreen
    from tui_backup.tui.screens.volumes import VolumesScreen
    from tui_backup.tui.widgets.jobs_log import JobLogScreen

    async with sized_app.run_test(size=size) as pilot:
        await settle(pilot)
        # Dashboard: v lists the volumes.
        assert_whole(pilot, await show(pilot, "1"))
        await modal_opens_and_closes(pilot, "v", VolumesScreen)

        # Snapshots: c asks for a note, Enter creates the snapshot: a row appears.
        table = await show(pilot, "2")
        assert isinstance(table, DataTable) and table.row_count == 0
        assert_whole(pilot, table)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("enter")
        await wait_for(pilot, "the new snapshot's row", lambda: table.row_count == 1)

        # Destinations (the demo has no policy: they show first): k checks the selected one.
        assert_whole(pilot, await show(pilot, "3"))
        before = len(notes(pilot))
        await pilot.press("k")
        await wait_for(pilot, "the check's result", lambda: len(notes(pilot)) > before)

        # Policies: a opens the new policy form.
        assert_whole(pilot, await show(pilot, "d"))
        await modal_opens_and_closes(pilot, "a", PolicyFormScreen)

        # Jobs: the snapshot's job is listed; l shows its full log.
        jobs = await show(pilot, "4")
        assert isinstance(jobs, DataTable) and jobs.row_count >= 1
        assert_whole(pilot, jobs)
        await modal_opens_and_closes(pilot, "l", JobLogScreen)

        # Trash: / moves to the filter box.
        assert_whole(pilot, await show(pilot, "5"))
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(pilot.app.focused, Input)
        await pilot.press("escape")

        # Journal: f opens the filter.
        assert_whole(pilot, await show(pilot, "6"))
        await modal_opens_and_closes(pilot, "f", JournalFilterScreen)
