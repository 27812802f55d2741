"""[tui.keymap]: binding id = "keys", checked up front — every problem in one notification,
the valid entries applied, and the app starts all the same."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit
from textual.widgets import TabbedContent

from tests.helpers import open_service
from tests.tui.conftest import RecordingApp, fixed_clock, notes, settle
from tui_backup.config import load_config, render_config
from tui_backup.errors import ConfigError
from tui_backup.tui.keymap import key_problem, split_keys
from tui_backup.tui.screens.help import HelpScreen

from .conftest import SIZES


def set_keymap(config: Path, entries: str) -> None:
    """Write `entries` under the [tui.keymap] header every new config has (see the template)."""
    text = config.read_text()
    assert text.count("[tui.keymap]\n") == 1
    config.write_text(text.replace("[tui.keymap]\n", "[tui.keymap]\n" + entries))


@pytest.mark.parametrize("key", ["a", "R", "?", "5", "ctrl+x", "ctrl+shift+f5", "escape", "question_mark", "f12",
                                 "delete", "space", "slash", "alt+left", "enter", "pageup", "é"])
def test_good_keys(key: str) -> None:
    assert key_problem(key) is None


@pytest.mark.parametrize("key", ["", "ctrl+", "frobnicate", "ctl+x", "ctrl+frobnicate", "f99", " ", "a b"])
def test_bad_keys(key: str) -> None:
    assert key_problem(key)


def test_split_keys() -> None:
    assert split_keys("a, ctrl+a") == ["a", "ctrl+a"]
    assert split_keys(["a", "b,c"]) == ["a", "b", "c"]
    assert split_keys(3) is None
    assert split_keys([]) is None


def test_the_config_takes_a_keymap_table(demo_config: Path) -> None:
    set_keymap(demo_config, '"snapshot.create" = "n"\n"app.quit" = ["ctrl+q", "q"]\n')
    assert load_config(demo_config, check_paths=False).tui.keymap == {"snapshot.create": "n",
                                                                      "app.quit": ["ctrl+q", "q"]}


def test_a_keymap_that_is_not_a_table_is_a_config_error(demo_config: Path) -> None:
    text = demo_config.read_text().replace("[tui.keymap]\n", "").replace("[tui]\n", "[tui]\nkeymap = 3\n", 1)
    demo_config.write_text(text)
    with pytest.raises(ConfigError, match="must be a table"):
        load_config(demo_config, check_paths=False)


def test_the_template_has_an_empty_keymap_table() -> None:
    text = render_config({"profile": {"name": "p"}, "source": {"database": "sqlite:///tmp/x.db"},
                          "tui": {"keymap": {"app.quit": "ctrl+q"}}})
    doc = tomlkit.parse(text).unwrap()
    assert doc["tui"]["keymap"] == {"app.quit": "ctrl+q"}
    assert "[tui.keymap]" in text
    assert tomlkit.parse(render_config({"profile": {"name": "p"}})).unwrap()["tui"]["keymap"] == {}


@pytest.mark.parametrize("size", SIZES)
async def test_remapped_keys_work_and_show(demo_config: Path, size: tuple[int, int]) -> None:
    set_keymap(demo_config, '"app.pane.journal" = "j"\n"app.help" = "f1,ctrl+k"\n')
    with open_service(demo_config, interface="tui", check_paths=False) as svc:
        app = RecordingApp(svc, clock=fixed_clock)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            assert not [n for n in notes(pilot) if n[2] == "warning"]
            await pilot.press("6")  # the old key no longer switches
            await settle(pilot)
            assert app.query_one(TabbedContent).active == "dashboard"
            await pilot.press("j")
            await settle(pilot)
            assert app.query_one(TabbedContent).active == "journal"
            await pilot.press("question_mark")
            await pilot.pause()
            assert not isinstance(app.screen, HelpScreen)
            await pilot.press("f1")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            table = app.screen.query_one("#help-table")
            rows = {str(r[2]): str(r[0]) for r in (table.get_row_at(i) for i in range(table.row_count))}  # type: ignore[attr-defined]
            assert rows["app.pane.journal"] == "j"
            assert rows["app.help"] == "f1, ^k"


async def test_every_problem_in_one_notification_and_the_rest_applies(demo_config: Path) -> None:
    set_keymap(demo_config, '"nope.create" = "n"\n"app.refresh" = "ctrl+frobnicate"\n'
                             '"app.pane.journal" = 7\n"snapshot.create" = "v"\n"app.pane.trash" = "t"\n')
    with open_service(demo_config, interface="tui", check_paths=False) as svc:
        app = RecordingApp(svc, clock=fixed_clock)
        async with app.run_test(size=SIZES[0]) as pilot:
            await settle(pilot)
            warnings = [n for n in notes(pilot) if n[2] == "warning"]
            assert len(warnings) == 1
            title, message, _ = warnings[0]
            assert "[tui.keymap]" in title and str(demo_config) in title
            assert "unknown binding id 'nope.create'" in message
            assert "app.refresh: 'ctrl+frobnicate'" in message
            assert "app.pane.journal: keys must be a string" in message
            assert "key 'v' is bound to both snapshot.create and snapshot.verify (snapshot.create not remapped)" in message
            assert "app.pane.trash" not in message
            # The valid entry applies; the app runs.
            await pilot.press("t")
            await settle(pilot)
            assert app.query_one(TabbedContent).active == "trash"
            await pilot.press("f5")  # the bad remap left the default keys alone
            await settle(pilot)
