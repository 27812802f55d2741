"""Fixtures for the command palette, the help screen and the keymap: the Trash pane's
deterministic profile (tests/tui_trash) and the demo profile (tests/tui), and helpers that
read the palette's list."""

from __future__ import annotations

import time

from textual.command import Command, CommandList, CommandPalette
from textual.pilot import Pilot

from tests.tui.conftest import demo_config, demo_service, utc_tz  # noqa: F401 (fixtures)
from tests.tui_trash.conftest import app_home, pinned, service, trash_app  # noqa: F401 (fixtures)

SIZES = [(80, 24), (120, 40)]


async def palette_titles(pilot: Pilot[None], timeout: float = 10.0) -> list[str]:
    """The titles the open command palette lists, once it has gathered them."""
    deadline = time.monotonic() + timeout
    screen = pilot.app.screen
    assert isinstance(screen, CommandPalette), screen
    last: list[str] = []
    while True:
        await pilot.pause(0.1)
        commands = screen.query_one(CommandList)
        options = [commands.get_option_at_index(i) for i in range(commands.option_count)]
        titles = [o.hit.text or "" for o in options if isinstance(o, Command)]
        if titles and titles == last:  # the same twice: gathering is over
            return titles
        last = titles
        if time.monotonic() > deadline:
            raise AssertionError(f"the palette listed nothing within {timeout} s")
