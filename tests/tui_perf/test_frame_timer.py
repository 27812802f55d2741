"""Every screen of the app draws a key's frame as soon as it has one (tui/frame_timer.py):
its frame timer does not skip to the second next slot after a pause."""

from __future__ import annotations

from textual.screen import Screen
from textual.timer import Timer

from tests.tui.conftest import SIZE, RecordingApp, fixed_clock, settle
from tui_backup.service import ProfileService


def skips(screen: Screen[object]) -> bool:
    timer = screen._update_timer
    assert isinstance(timer, Timer)
    return timer._skip


def test_textual_still_has_what_the_frame_timer_changes() -> None:
    """Fails if a Textual release renames the private parts tick_at_once relies on (then it
    would silently do nothing, and the key latency would regress)."""
    assert isinstance(Screen.__dict__.get("_update_timer"), property)
    assert Timer(Screen(), 1.0)._skip is True  # the default this module turns off


async def test_every_screen_of_the_app_ticks_at_once(demo_service: ProfileService) -> None:
    app = RecordingApp(demo_service, clock=fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert not skips(main)
        await pilot.press("question_mark")  # the help screen: a modal pushed on top
        await settle(pilot)
        assert app.screen is not main
        assert not skips(app.screen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is main and not skips(main)
