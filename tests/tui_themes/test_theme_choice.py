"""Which theme the app starts with, the shipped themes, and the remembered choice (tui.json)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from tui_backup.config import load_config
from tui_backup.tui.preferences import preferences_file, remember_theme, remembered_theme
from tui_backup.tui.themes import (
    APP_VARIABLES,
    SHIPPED_THEMES,
    builtin_themes_dir,
    choose_theme,
    load_themes,
)

AVAILABLE = {"dark", "light", "high-contrast", "ansi16", "mono", "textual-dark"}
PLAIN: dict[str, str] = {}


def test_every_shipped_theme_loads_and_sets_the_app_colours() -> None:
    themes, problems = load_themes([builtin_themes_dir()])
    assert problems == []
    assert set(SHIPPED_THEMES) <= set(themes)
    for name in SHIPPED_THEMES:
        assert set(APP_VARIABLES) <= set(themes[name].variables), name
    assert themes["light"].dark is False
    assert themes["ansi16"].ansi is True


def test_mono_has_no_hue() -> None:
    """NO_COLOR's theme: every colour a grey (R = G = B), so no state is told by colour."""
    data = tomllib.loads((builtin_themes_dir() / "mono.toml").read_text())
    values = [v for k, v in data.items() if k not in ("name", "dark", "variables")]
    values += [v for v in data["variables"].values() if v.startswith("#")]
    for value in values:
        r, g, b = value[1:3], value[3:5], value[5:7]
        assert r == g == b, value


@pytest.mark.parametrize(
    ("configured", "remembered", "env", "expected", "reason"),
    [
        ("", None, PLAIN, "dark", "default"),
        ("light", None, PLAIN, "light", "config"),
        ("light", "ansi16", {"NO_COLOR": "1"}, "light", "config"),  # the user's config beats NO_COLOR
        ("", "light", {"NO_COLOR": "1"}, "mono", "no-color"),
        ("", "light", {"NO_COLOR": ""}, "light", "remembered"),  # empty NO_COLOR means unset
        ("", "light", PLAIN, "light", "remembered"),
        ("", "gone", PLAIN, "dark", "default"),  # a remembered theme whose file was removed
        ("", None, {"TEXTUAL_COLOR_SYSTEM": "standard"}, "ansi16", "16 colours"),
        ("", None, {"TERM": "linux"}, "ansi16", "16 colours"),
        ("", None, {"TERM": "xterm", "TEXTUAL_COLOR_SYSTEM": "256"}, "dark", "default"),
        ("", "high-contrast", {"TERM": "linux"}, "high-contrast", "remembered"),
    ],
)
def test_theme_precedence(configured: str, remembered: str | None, env: dict[str, str], expected: str,
                          reason: str) -> None:
    choice = choose_theme(configured, AVAILABLE, remembered=remembered, environ=env)
    assert (choice.name, choice.reason, choice.warning) == (expected, reason, "")


def test_unknown_configured_theme_warns_and_falls_back_to_the_automatic_choice() -> None:
    choice = choose_theme("nope", AVAILABLE, remembered="light", environ=PLAIN, config_file="/p.toml")
    assert choice.name == "light"
    assert "'nope'" in choice.warning and "/p.toml" in choice.warning and "'light'" in choice.warning


def test_remembered_theme_round_trip_is_private_and_keeps_other_keys() -> None:
    assert remembered_theme() is None
    path = preferences_file()
    remember_theme("light")
    assert remembered_theme() == "light"
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    path.write_text('{"theme": "light", "other": 1}\n')
    remember_theme("mono")
    assert remembered_theme() == "mono"
    assert '"other": 1' in path.read_text()
    assert not [p for p in path.parent.iterdir() if p.name != path.name]  # no temporaries left


@pytest.mark.parametrize("content", ["", "not json", "[1, 2]", '{"theme": 3}', '{"theme": ""}'])
def test_a_broken_preferences_file_means_nothing_remembered(content: str) -> None:
    path = preferences_file()
    path.parent.mkdir(parents=True)
    path.write_text(content)
    assert remembered_theme() is None
    remember_theme("light")  # and is replaced by the next choice
    assert remembered_theme() == "light"


def test_a_new_profile_leaves_the_theme_to_the_app(profile_config: Path) -> None:
    assert load_config(profile_config).tui.theme == ""


def test_shipped_themes_are_package_data() -> None:
    """Installed from a wheel, the themes come along: tui_backup/builtin_themes (a relative
    link to themes/ in the checkout; setuptools copies the files it points to) matches the
    package-data globs in pyproject.toml. (Checked with a real wheel by hand: building one
    here needs setuptools from the network.)"""
    repo = Path(__file__).resolve().parents[2]
    link = repo / "tui_backup" / "builtin_themes"
    assert link.is_symlink() and os.readlink(link) == "../themes"
    assert builtin_themes_dir() == link.resolve() or builtin_themes_dir() == link
    globs = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["tui_backup"]
    packaged = {p.relative_to(repo / "tui_backup").as_posix() for g in globs for p in (repo / "tui_backup").glob(g)}
    for name in SHIPPED_THEMES:
        assert f"builtin_themes/{name}.toml" in packaged, (name, globs)
