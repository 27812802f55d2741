"""16 colours, 256 colours, truecolor, NO_COLOR: what reaches the screen.

- In the ansi16 theme every pane is drawn with the terminal's own ANSI colours only, so a
  16-colour terminal shows it as designed (nothing approximated).
- In every shipped theme, each state on screen carries its symbol and word: nothing is told
  by colour alone (NO_COLOR, colour-blind users).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rich.color import ColorType

from tests.tui.conftest import RecordingApp, fixed_clock, screen_text, settle
from tui_backup.service import ProfileService

Opener = Callable[..., ProfileService]
ANSI_TYPES = {ColorType.DEFAULT, ColorType.STANDARD}


def _colours(app: RecordingApp) -> set[str]:
    """Every foreground/background colour on screen that is not an ANSI-16 colour."""
    found: set[str] = set()
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            style = segment.style
            if style is None:
                continue
            for colour in (style.color, style.bgcolor):
                if colour is not None and colour.type not in ANSI_TYPES:
                    found.add(colour.name)
    return found


@pytest.mark.slow  # six panes, each settled
async def test_ansi16_draws_every_pane_with_ansi_colours_only(open_profile: Opener) -> None:
    app = RecordingApp(open_profile(theme="ansi16"), clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key in "123456":
            await pilot.press(key)
            await settle(pilot)
            assert _colours(app) == set(), key


@pytest.mark.parametrize("theme", ["dark", "light", "high-contrast", "ansi16", "mono"])
async def test_states_show_by_symbol_and_word(open_profile: Opener, theme: str) -> None:
    app = RecordingApp(open_profile(theme=theme), clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(pilot)
        # The header's health (the demo has no snapshot yet: not healthy) and the volumes.
        assert any(f"{symbol} {word}" in text for symbol, word in
                   (("✔", "healthy"), ("▲", "warning"), ("✖", "failing"))), text
        assert "✔ online" in text, text
