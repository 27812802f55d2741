"""Theme files: the shipped ones load; bad ones are reported once and the app still starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_backup.config import ConfigDocument, user_themes_dir
from tui_backup.service import ProfileService
from tui_backup.tui.themes import builtin_themes_dir, load_themes

from .conftest import SIZE, RecordingApp, fixed_clock, notes, settle


def test_shipped_themes_load_without_problems() -> None:
    themes, problems = load_themes([builtin_themes_dir()])
    assert problems == []
    assert {"dark", "ansi16"} <= set(themes)
    assert themes["ansi16"].ansi is True
    for name in ("dark", "ansi16"):
        assert {"health-ok", "health-warn", "health-fail", "job-running"} <= set(themes[name].variables)


def test_ansi16_uses_only_ansi_colours() -> None:
    import tomllib

    data = tomllib.loads((builtin_themes_dir() / "ansi16.toml").read_text())
    colours = [v for k, v in data.items() if isinstance(v, str) and k != "name"]
    colours += list(data["variables"].values())
    assert colours and all(c.startswith("ansi_") for c in colours), colours


@pytest.mark.parametrize("theme", ["dark", "ansi16"])
async def test_app_starts_with_each_shipped_theme(demo_config: Path, theme: str) -> None:
    doc = ConfigDocument(demo_config)
    doc.set("tui.theme", theme)
    doc.save()
    service = ProfileService.open(config=demo_config, interface="tui")
    try:
        app = RecordingApp(service, clock=fixed_clock)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.theme == theme
            assert not [n for n in notes(pilot) if n[2] != "information" and "theme" in n[0].lower()]
            # The app's own variables resolve in this theme.
            assert "health-ok" in app.get_css_variables()
    finally:
        service.close()


async def test_bad_theme_files_give_one_notification_and_the_app_starts(demo_service: ProfileService) -> None:
    themes = user_themes_dir()
    themes.mkdir(parents=True)
    (themes / "broken-syntax.toml").write_text('name = "x"\nprimary = \n')
    (themes / "unknown-field.toml").write_text('primary = "#ff0000"\nsparkle = true\n')
    (themes / "bad-colour.toml").write_text('primary = "#ff0000"\n[variables]\nhealth-ok = "grean"\n')
    (themes / "fine.toml").write_text('primary = "#123456"\n')
    app = RecordingApp(demo_service, clock=fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        theme_notes = [n for n in notes(pilot) if "theme" in n[0].lower()]
        assert len(theme_notes) == 1, theme_notes
        title, message, severity = theme_notes[0]
        assert severity == "warning"
        assert "broken-syntax.toml" in message and "TOML syntax error" in message
        assert "unknown-field.toml" in message and "sparkle" in message
        assert "bad-colour.toml" in message and "health-ok" in message
        assert "fine.toml" not in message
        assert app.theme == "dark"  # the profile's theme still applies
        assert "fine" in app.available_themes  # good user themes are registered
        assert app.is_running


async def test_unknown_theme_name_falls_back_to_dark(demo_config: Path) -> None:
    doc = ConfigDocument(demo_config)
    doc.set("tui.theme", "no-such-theme")
    doc.save()
    service = ProfileService.open(config=demo_config, interface="tui")
    try:
        app = RecordingApp(service, clock=fixed_clock)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.theme == "dark"
            assert any("no-such-theme" in msg for _, msg, _ in notes(pilot))
    finally:
        service.close()


def test_user_theme_overrides_a_shipped_one() -> None:
    user = user_themes_dir()
    user.mkdir(parents=True)
    (user / "mine.toml").write_text('name = "dark"\nprimary = "#abcdef"\n')
    themes, problems = load_themes()
    assert problems == []
    assert themes["dark"].primary == "#abcdef"
