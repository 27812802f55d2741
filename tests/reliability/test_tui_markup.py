"""Bad input: Rich/Textual markup in everything the terminal app shows.

A profile whose every free-text thing carries markup — the paths of its database, files
and destination, file names in the files tree (backed up, so the restore wizard lists them,
and one put in the trash), a snapshot note, journal details, a user theme file (its name,
and a broken one whose error names it), `[tui.keymap]` entries — is opened in the real app.
Pilot visits every pane and the main modal screens: nothing crashes, and the markup shows
as the literal text it is. Names (profile, policy, destination) cannot carry markup: the
config refuses them with one clear error (checked here too).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit
from textual.pilot import Pilot

from tests.conftest import make_app_db
from tests.helpers import add_destination, append_toml, open_service
from tests.reliability.conftest import CaseRecorder
from tests.tui.conftest import RecordingApp, fixed_clock, screen_text, settle
from tui_backup.config import user_themes_dir
from tui_backup.errors import TuiBackupError
from tui_backup.service.setup import InitRequest, init_profile

AREA = "Bad input"
MARKUP = ("[bold]", "[/]", "[link=https://example.invalid]", "[@click=app.quit]", "[/link]", "[red on blue]")
NOTE = "note [bold]loud[/bold] [/] [@click=app.quit]quit[/] [link=https://example.invalid]x[/link]"
# A name cannot hold "/": closing tags come from paths ("[" then "]x" is ".../[/]x").
FILE_NAMES = ["[bold]b.txt", "[@click=app.quit]q.txt", "[link=mailto:x]l.txt", "[red on blue]", "x[y]z[.txt", "[trash me]"]


@pytest.fixture
def markup_config(tmp_path: Path) -> Path:
    app_dir = tmp_path / "app [bold]dir[/]"
    files = app_dir / "files [@click=app.quit]"
    files.mkdir(parents=True)
    for name in FILE_NAMES:
        (files / name).write_text(f"{name}\n")
    for p in (app_dir / "[/]app.conf", app_dir / "app [red]db[/].db"):
        p.parent.mkdir(parents=True, exist_ok=True)  # "[/]" in a path is a directory "[" and a name "]..."
    (app_dir / "[/]app.conf").write_text("key = value\n")
    make_app_db(app_dir / "app [red]db[/].db", rows=50)
    config = init_profile(InitRequest(
        name="markup", database=f"sqlite://{app_dir / 'app [red]db[/].db'}", files=(files,),
        config_files=(app_dir / "[/]app.conf",),
    )).file  # fmt: skip
    drive = tmp_path / "drive [link=https://e.invalid]x[/link]"
    drive.mkdir(parents=True)
    add_destination(config, "usb", path=drive)
    append_toml(config, '[[policy]]\nname = "nightly"\ndestination = "usb"\nfrequency = "daily"\n')
    doc = tomlkit.parse(config.read_text())
    keymap = doc["tui"]["keymap"]  # type: ignore[index]
    keymap.update({"app.help": "[/]", "[bold]x[/]": "a", "app.refresh": "[@click=app.quit]"})  # type: ignore[union-attr]
    config.write_text(tomlkit.dumps(doc))
    themes = user_themes_dir()
    themes.mkdir(parents=True, exist_ok=True)
    (themes / "mine.toml").write_text('name = "[bold]mine[/] [@click=app.quit]"\nprimary = "#336699"\n')
    (themes / "[@click=app.quit]bad[red].toml").write_text('name = "[/]"\nprimary = "[red]"\n')
    with open_service(config) as svc:
        svc.create_snapshot(NOTE)
        assert svc.run_backup("usb", wait=True).ok
        svc.trash_put(files / "[trash me]", reason="reason [bold]x[/] [@click=app.quit]")
    return config


async def _visit(pilot: Pilot[None], key: str) -> str:
    await pilot.press(key)
    await settle(pilot)
    return screen_text(pilot)


async def _modal(pilot: Pilot[None], *keys: str) -> str:
    before = len(pilot.app.screen_stack)
    for k in keys:
        await pilot.press(k)
    await settle(pilot)
    text = screen_text(pilot)
    while len(pilot.app.screen_stack) > before:
        await pilot.press("escape")
        await settle(pilot)
    return text


@pytest.mark.slow
async def test_markup_everywhere_never_breaks_the_app(markup_config: Path, cases: CaseRecorder) -> None:
    row = cases(AREA, "TUI: markup in paths, file names, notes, journal, themes and [tui.keymap]",
                "the app never crashes and shows the markup as literal text")
    seen: list[str] = []
    with open_service(markup_config, interface="tui") as svc:
        app = RecordingApp(svc, clock=fixed_clock)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(pilot)
            for n in range(1, 7):  # every pane
                seen.append(await _visit(pilot, str(n)))
                row.tried += 1
                # the pane's details / main modal on its first row
                await pilot.press("down", "up")
                seen.append(await _modal(pilot, "enter"))
                row.tried += 1
            for keys in (("question_mark",), ("ctrl+t",), ("ctrl+p", *"[/]"), ("ctrl+p", *"[bold]"), ("R",), ("P",)):
                seen.append(await _modal(pilot, *keys))
                row.tried += 1
                if keys == ("ctrl+t",):
                    # A theme name with markup is a bad theme file (listed as written), not a picker entry.
                    assert "mine" not in seen[-1], seen[-1]
            await pilot.pause()
            assert app.is_running, "the app quit (a [@click=app.quit] was acted on?)"
        text = "\n".join(seen)
        notes = "\n".join(f"{t} {m}" for t, m, _s in app.notes)
    assert app.return_code in (None, 0)
    # The markup is shown as it is written, not interpreted.
    for literal in ("app [red]db[/].db", "files [@click=app.quit]", "[bold]dir[/]/[/]app.conf", "[trash me]",
                    '"reason": "reason [bold]x[/] [@click=app.quit]"'):
        assert literal in text, literal
    assert "unknown binding id '[bold]x[/]'" in notes, notes
    problems = "\n".join(app.theme_problems)
    assert "[@click=app.quit]bad[red].toml" in problems and "[bold]mine[/] [@click=app.quit]" in problems, problems
    assert "Bad theme files" in notes and "[bold]mine[/]" in notes, notes


@pytest.mark.parametrize("table", ["policy", "destination"])
@pytest.mark.parametrize("name", ["[bold]x", "a[/]", "[@click=app.quit]"])
def test_markup_in_names_is_refused_by_the_config(profile_config: Path, drive: Path, table: str, name: str,
                                                  cases: CaseRecorder) -> None:
    row = cases(AREA, "policy / destination / profile names with markup",
                "refused by the config with one clear error (names are [A-Za-z0-9_-]), so never shown")
    if table == "destination":
        add_destination(profile_config, name, path=drive)
    else:
        add_destination(profile_config, "usb", path=drive)
        append_toml(profile_config, f'[[policy]]\nname = "{name}"\ndestination = "usb"\nfrequency = "daily"\n')
    with pytest.raises(TuiBackupError) as err:
        with open_service(profile_config) as svc:
            svc.policies() if table == "policy" else svc.destinations()
    assert err.value.message and "\n" not in err.value.message
    with pytest.raises(TuiBackupError):
        init_profile(InitRequest(name=name, database="sqlite:///nonexistent.db"))
    row.tried += 1
