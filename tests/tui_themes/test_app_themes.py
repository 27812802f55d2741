"""The app's theme at start-up and its persistence, through the real app (Pilot)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.command import CommandPalette

from tests.tui.conftest import RecordingApp, fixed_clock, notes, settle
from tui_backup.service import ProfileService
from tui_backup.tui.preferences import preferences_file, remember_theme, remembered_theme

Opener = Callable[..., ProfileService]


async def _start(service: ProfileService, size: tuple[int, int] = (80, 24)) -> str:
    app = RecordingApp(service, clock=fixed_clock)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        return app.theme


async def test_a_theme_chosen_in_the_app_is_used_next_time(open_profile: Opener) -> None:
    service = open_profile()
    app = RecordingApp(service, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "dark"
        assert remembered_theme() is None  # starting is not choosing
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"light")
        await pilot.pause(0.5)  # the palette searches in a worker of its own
        await pilot.press("enter")
        await settle(pilot)
        assert app.theme == "light"
        assert not [n for n in notes(pilot) if "theme" in n[0].lower()]  # nothing to warn about
    assert remembered_theme() == "light"
    assert preferences_file().stat().st_mode & 0o777 == 0o600
    assert await _start(service) == "light"


async def test_the_configured_theme_wins_over_the_remembered_one(open_profile: Opener) -> None:
    remember_theme("light")
    service = open_profile(theme="high-contrast")
    app = RecordingApp(service, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "high-contrast"
        app.theme = "ansi16"  # chosen in the app: remembered, and the user told the config wins
        await settle(pilot)
        said = [n for n in notes(pilot) if "remembered" in n[0]]
        assert said and "high-contrast" in said[0][1] and str(service.config.file) in said[0][1]
    assert remembered_theme() == "ansi16"


async def test_no_color_starts_in_mono_unless_the_config_names_a_theme(
        open_profile: Opener, monkeypatch: pytest.MonkeyPatch) -> None:
    remember_theme("light")
    monkeypatch.setenv("NO_COLOR", "1")
    service = open_profile()
    assert await _start(service) == "mono"
    assert remembered_theme() == "light"  # NO_COLOR does not overwrite the user's choice
    service = open_profile(theme="dark")
    assert await _start(service) == "dark"


async def test_a_16_colour_terminal_starts_in_ansi16(open_profile: Opener, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXTUAL_COLOR_SYSTEM", "standard")
    assert await _start(open_profile()) == "ansi16"


@pytest.mark.parametrize("theme", ["light", "high-contrast", "mono"])
async def test_app_starts_cleanly_with_each_new_theme(open_profile: Opener, theme: str) -> None:
    service = open_profile(theme=theme)
    app = RecordingApp(service, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == theme
        assert not [n for n in notes(pilot) if "theme" in (n[0] + n[1]).lower()]
        variables = app.get_css_variables()
        assert {"health-ok", "health-warn", "health-fail", "job-running"} <= set(variables)
