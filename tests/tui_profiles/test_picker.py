"""The profile picker ("P"): every profile with its health; choosing one ends the app with
the profile to open next (run_app then opens it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from tests.tui.conftest import RecordingApp, notes, screen_text, settle
from tui_backup.config import profile_path
from tui_backup.tui.screens.first_run import FirstRunScreen
from tui_backup.tui.screens.profiles import ProfilePicker

from .conftest import SIZES


def _rows(picker: ProfilePicker) -> list[list[str]]:
    table = picker.query_one("#profiles", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


@pytest.mark.parametrize("size", SIZES)
async def test_p_lists_every_profile_with_its_health_and_opens_another(picker_app: RecordingApp,
                                                                       size: tuple[int, int]) -> None:
    async with picker_app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)
        picker = picker_app.screen
        assert isinstance(picker, ProfilePicker)
        rows = _rows(picker)
        assert [r[1] for r in rows] == ["demo", "app", "broken"]
        assert rows[0][0] == "●" and rows[0][2] == "▲ warning"  # the open one, first, marked
        assert rows[1][2] == "▲ warning" and rows[2][2] == "✖ cannot open"
        text = screen_text(pilot)
        for word in ("Profiles", "demo", "broken", "cannot open", "open now", "Open (Enter)"):
            assert word in text, word
        await pilot.press("down")
        assert "~/.config/tui-backup/profiles/app.toml" in screen_text(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert picker_app.switch_to == profile_path("app").resolve()
    assert picker_app.return_code == 0


@pytest.mark.parametrize("size", SIZES)
async def test_a_broken_profile_is_not_opened_and_escape_goes_back(picker_app: RecordingApp,
                                                                   size: tuple[int, int]) -> None:
    async with picker_app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)
        await pilot.press("down", "down", "enter")
        await pilot.pause(0.3)
        assert isinstance(picker_app.screen, ProfilePicker)
        assert any(title == "✖ cannot open broken" for title, _msg, _sev in notes(pilot))
        await pilot.press("up", "up", "enter")  # the open profile: nothing to switch
        await pilot.pause()
        assert not isinstance(picker_app.screen, ProfilePicker)
        await pilot.press("P")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(picker_app.screen, ProfilePicker)
        assert picker_app.switch_to is None and picker_app.is_running


async def test_n_creates_a_profile_and_switches_to_it(picker_app: RecordingApp, app_dir: Path) -> None:
    async with picker_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(picker_app.screen, FirstRunScreen)
        await pilot.press(*"fresh", "enter")
        form = picker_app.screen
        form.query_one("#database", Input).value = str(app_dir / "app.db")  # long: not key by key
        form.query_one("#files", Input).value = str(app_dir / "files")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert picker_app.switch_to is not None and picker_app.switch_to.resolve() == profile_path("fresh").resolve()
    assert profile_path("fresh").is_file()
