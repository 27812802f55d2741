"""Nothing is cut off at 80x24, and the layout adapts at 100x30 and 200x50 (Pilot).

"Fully visible" = displayed, of non-zero size, and neither clipped by its container nor
off-screen (see conftest.fully_visible)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.widgets import Footer, Tab

from tests.tui.conftest import RecordingApp, fixed_clock, settle
from tui_backup.service import ProfileService

from .conftest import SIZES, fully_visible

Opener = Callable[..., ProfileService]

# Per pane: its key, and the widgets that must be entirely on screen when it is shown.
PANE_WIDGETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "dashboard": ("1", ("#dashboard-view", "#summary")),
    "snapshots": ("2", ("#snapshot-table", "#activity")),
    # The demo has no policy: the Policies pane shows its destinations.
    "policies": ("3", ("#destination-table", "#point-table", "#destinations-view #activity")),
    "jobs": ("4", ("#jobs-table", "#job-title", "#job-progress", "#job-log")),
    "trash": ("5", ("#trash-filter", "#trash-table", "#trash-details", "#trash-activity")),
    "journal": ("6", ("#journal-title", "#journal-table", "#journal-details", "#journal-activity")),
}
# Panes whose details sit beside the table at 200 columns: (table, details).
BESIDE = {"trash": ("#trash-table", "#trash-details"), "journal": ("#journal-table", "#journal-details"),
          "jobs": ("#jobs-table", "#job-log")}


def _hidden(app: RecordingApp, selectors: tuple[str, ...]) -> list[str]:
    return [s for s in selectors if not fully_visible(app, app.screen.query_one(s))]


@pytest.mark.slow  # six panes, each settled: ~5 s on a busy machine
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_every_pane_fits(open_profile: Opener, size: tuple[int, int]) -> None:
    app = RecordingApp(open_profile(), clock=fixed_clock)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        # The frame: header, every tab's label, the footer.
        frame = ["ProfileHeader", "#health", "Footer"]
        assert _hidden(app, tuple(frame)) == []
        tabs = [t for t in app.query(Tab) if not fully_visible(app, t)]
        assert tabs == [], [str(t.label) for t in tabs]
        for pane, (key, selectors) in PANE_WIDGETS.items():
            await pilot.press(key)
            await settle(pilot)
            assert _hidden(app, selectors) == [], (pane, size)
            assert fully_visible(app, app.query_one(Footer)), pane
            table, details = BESIDE.get(pane, (None, None))
            if table and details:
                t, d = app.query_one(table).region, app.query_one(details).region
                if size[0] >= 160:  # wide: beside
                    assert d.x >= t.right and t.y <= d.y < t.bottom, (pane, t, d)
                else:  # below
                    assert d.y >= t.bottom, (pane, t, d)


async def test_taller_terminals_give_details_more_rows(open_profile: Opener) -> None:
    heights = {}
    for size in ((80, 24), (100, 30)):
        app = RecordingApp(open_profile(), clock=fixed_clock)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await pilot.press("5")
            await settle(pilot)
            heights[size] = app.query_one("#trash-details").region.height
            assert app.screen.has_class("-short" if size[1] < 30 else "-tall")
    assert heights[(100, 30)] > heights[(80, 24)]


@pytest.mark.parametrize("size", [(80, 24), (200, 50)], ids=["80x24", "200x50"])
async def test_the_restore_wizard_fits(open_profile: Opener, size: tuple[int, int]) -> None:
    app = RecordingApp(open_profile(), clock=fixed_clock)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert type(app.screen).__name__ == "RestoreWizard"
        selectors = ("#wizard-title", "#point-search", "#time-filter", "#point-table", "#point-count", "Footer")
        assert _hidden(app, selectors) == []


async def test_the_theme_picker_fits_at_80x24(open_profile: Opener) -> None:
    app = RecordingApp(open_profile(), clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+t")
        await pilot.pause(0.3)
        assert _hidden(app, ("CommandInput", "CommandList")) == []
