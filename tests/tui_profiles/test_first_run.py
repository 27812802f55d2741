"""The first-run screen (no profile yet): `tui-backup init` as a form, or the demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.tui.conftest import screen_text
from tui_backup.config import list_profiles, load_config, profile_path
from tui_backup.tui.launcher import LauncherApp
from tui_backup.tui.screens.first_run import FirstRunScreen
from tui_backup.tui.screens.profiles import ProfilePicker

from .conftest import SIZES


def _problem(pilot: Pilot[Path | None], field: str) -> str:
    note = pilot.app.screen.query_one(f"#{field}-problem", Static)
    return str(note.content) if note.display else ""


async def _wait_exit(pilot: Pilot[Path | None], seconds: float = 30.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if not pilot.app.is_running:
            return
        await pilot.pause(0.05)


@pytest.mark.parametrize("size", SIZES)
async def test_no_profile_shows_the_form_that_creates_one_like_init(app_dir: Path, size: tuple[int, int]) -> None:
    app = LauncherApp()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, FirstRunScreen)
        text = screen_text(pilot)
        for word in ("create a profile", "Name", "Database", "Files dirs", "Config files", "Create profile",
                     "Open the demo"):
            assert word in text, word
        # Nothing typed yet: nothing flagged; ctrl+s flags what is missing and writes nothing.
        assert _problem(pilot, "name") == ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "a name is needed" in _problem(pilot, "name")
        assert "database is needed" in _problem(pilot, "database")
        assert app.screen.query_one("#name", Input).has_focus and list_profiles() == []
        # Problems show while typing, beside their field.
        await pilot.press(*"my app")
        await pilot.pause()
        assert "invalid profile name" in _problem(pilot, "name")
        for _ in range(4):
            await pilot.press("backspace")
        await pilot.press("enter")
        assert app.screen.query_one("#database", Input).has_focus
        await pilot.press(*"/no/such.db")
        await pilot.pause()
        assert "no database file at /no/such.db" in _problem(pilot, "database")
        app.screen.query_one("#database", Input).value = str(app_dir / "app.db")
        app.screen.query_one("#files", Input).value = f"{app_dir / 'files'}"
        app.screen.query_one("#config_files", Input).value = f"{app_dir / 'app.conf'}"
        app.screen.query_one("#description", Input).value = "my application"
        await pilot.pause()
        assert all(_problem(pilot, f) == "" for f in ("name", "database", "files", "config_files"))
        await pilot.click("#create")
        await _wait_exit(pilot)
    assert app.return_value is not None and app.return_value.resolve() == profile_path("my").resolve()
    config = load_config(profile_path("my"))
    assert config.source.files == (app_dir / "files",) and config.source.config_files == (app_dir / "app.conf",)
    assert config.profile.description == "my application"
    assert oct(profile_path("my").stat().st_mode & 0o777) == "0o600"


async def test_open_the_demo_from_the_first_run_screen(isolated_home: Path) -> None:
    app = LauncherApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f2")  # "Creating the demo…" while it works (can be too quick to see)
        await _wait_exit(pilot, 60)
    assert app.return_value is not None and app.return_value.resolve() == profile_path("demo").resolve()
    assert list_profiles() == ["demo"]


async def test_escape_on_the_first_run_screen_quits(isolated_home: Path) -> None:
    app = LauncherApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await _wait_exit(pilot)
    assert app.return_value is None and list_profiles() == []


async def test_several_profiles_and_none_chosen_show_the_picker(profile_config: Path,
                                                                broken_profile: Path) -> None:
    app = LauncherApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ProfilePicker)
        await pilot.press("enter")  # `app`, the first
        await _wait_exit(pilot)
    assert app.return_value == profile_config.resolve()
