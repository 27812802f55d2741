"""Every command of the CLI is in the app: the table of tui/actions_map.py names each one
(a new command must be added there), and every binding id it names is a real binding of
the running app, found by opening each pane. README shows the same table."""

from __future__ import annotations

from pathlib import Path

import typer
import typer.main
from textual.dom import DOMNode
from typer.core import TyperGroup

from tests.tui.conftest import SIZE, RecordingApp, fixed_clock, settle
from tui_backup.cli import app as cli_app
from tui_backup.service import ProfileService
from tui_backup.tui.actions_map import CLI_ACTIONS, InApp, NotInApp, binding_ids, markdown_table
from tui_backup.tui.app import PANES

README = Path(__file__).resolve().parents[2] / "README.md"


def cli_commands() -> set[str]:
    """Every command path of the Typer app ("snapshot diff", "volumes", …): a group that
    does something without a subcommand (`volumes`, `profiles`) counts as one too."""
    root = typer.main.get_command(cli_app)
    assert isinstance(root, TyperGroup)
    found: set[str] = set()

    def walk(group: TyperGroup, ctx: typer.Context, prefix: str) -> None:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None
            path = f"{prefix}{name}"
            if isinstance(command, TyperGroup):
                if command.invoke_without_command:
                    found.add(path)
                walk(command, typer.Context(command, parent=ctx, info_name=name), f"{path} ")
            else:
                found.add(path)

    walk(root, typer.Context(root, info_name="tui-backup"), "")
    return found


def test_the_table_names_every_cli_command() -> None:
    commands = cli_commands()
    assert {"snapshot diff", "volumes adopt", "schedule install", "export", "stats"} <= commands  # the walk works
    missing = sorted(commands - CLI_ACTIONS.keys())
    extra = sorted(CLI_ACTIONS.keys() - commands)
    assert not missing, f"CLI commands missing from tui/actions_map.py: {missing}"
    assert not extra, f"tui/actions_map.py names commands the CLI does not have: {extra}"
    for command, reach in CLI_ACTIONS.items():
        if isinstance(reach, InApp):
            assert reach.bindings and reach.where, command
        else:
            assert isinstance(reach, NotInApp) and reach.reason, command


def _ids(node: DOMNode) -> set[str]:
    return {b.id for bindings in node._bindings.key_to_bindings.values() for b in bindings if b.id}


async def test_every_binding_the_table_names_is_in_the_app(service: ProfileService) -> None:
    app = RecordingApp(service, clock=fixed_clock)
    seen: set[str] = set()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen |= _ids(app)
        for n, (pane, _title) in enumerate(PANES, start=1):
            await pilot.press(str(n))
            await settle(pilot)
            for node in app.screen.walk_children(with_self=True):
                seen |= _ids(node)
            if pane == "policies":  # the Destinations view: its own table and keys
                await pilot.press("d")
                await settle(pilot)
                for node in app.screen.walk_children(with_self=True):
                    seen |= _ids(node)
    missing = sorted(binding_ids() - seen)
    assert not missing, f"binding ids in tui/actions_map.py that no widget of the app has: {missing}"


def test_readme_shows_the_table() -> None:
    assert markdown_table() in README.read_text(encoding="utf-8"), (
        "README's \"Everything the CLI does, in the app\" table is out of date: paste "
        "`python -c 'from tui_backup.tui.actions_map import markdown_table; print(markdown_table())'`"
    )
