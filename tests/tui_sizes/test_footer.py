"""The footer at 80 columns: nothing cut off, and on every pane q, ? and the pane's main
keys are visible (the rest are in the palette and the help screen)."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

from tests.tui.conftest import RecordingApp, settle

# pane (the keys that show it) -> the pane's keys that must stay in the footer
MAIN_KEYS: dict[str, tuple[tuple[str, ...], set[str]]] = {
    "dashboard": (("1",), {"v", "s", "e"}),
    "snapshots": (("2",), {"c", "v", "d", "r"}),
    "destinations": (("3",), {"b", "r", "k", "d"}),  # the demo has no policy: destinations first
    "policies": (("3", "d"), {"b", "p", "e", "d"}),
    "jobs": (("4",), {"c", "l"}),
    "trash": (("5",), {"r", "x", "p", "slash"}),
    "journal": (("6",), {"f", "v", "h"}),
}
APP_KEYS = {"q", "question_mark", "R"}


def footer_keys(pilot: Pilot[None]) -> tuple[list[FooterKey], FooterKey]:
    keys = list(pilot.app.screen.query(FooterKey))
    palette = next(k for k in keys if k.has_class("-command-palette"))
    return [k for k in keys if k is not palette], palette


@pytest.mark.slow
async def test_footer_fits_at_80_columns(sized_app: RecordingApp) -> None:
    # One app walks every pane (in this order: "3" then "d" reaches the policies view).
    async with sized_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for pane, (shows, wanted) in MAIN_KEYS.items():
            for press in shows:
                await pilot.press(press)
                await settle(pilot)
            await pilot.pause()
            keys, palette = footer_keys(pilot)
            for key in keys:  # each one whole, left of the palette key
                assert key.region.width > 0 and key.region.right <= palette.region.x, (pane, key.key, key.region)
            assert palette.region.right <= pilot.app.size.width
            visible = {k.key for k in keys}
            assert APP_KEYS <= visible, (pane, visible)
            assert wanted <= visible, (pane, visible)
