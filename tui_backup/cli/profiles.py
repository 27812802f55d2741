"""`tui-backup profiles`: the profiles in the config directory."""

from __future__ import annotations

from typing import Annotated

import typer

group = typer.Typer(help="Profiles: one per protected application.", invoke_without_command=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output only, on stdout.")]


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="profiles")


@group.callback()
def profiles(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the profiles (same as `profiles list`)."""
    if ctx.invoked_subcommand is None:
        _list(as_json)


@group.command("list")
def list_(as_json: JsonOption = False) -> None:
    """List the profiles in the config directory."""
    _list(as_json)


def _list(as_json: bool) -> None:
    from tui_backup.cli._output import escape, print_json, print_table, say
    from tui_backup.config import list_profiles, profile_path, profiles_dir

    rows = [{"name": name, "config": str(profile_path(name))} for name in list_profiles()]
    if as_json:
        print_json(rows)
        return
    if not rows:
        say(f"no profiles in {escape(str(profiles_dir()))}")
        say("create one with `tui-backup init --name NAME --db sqlite:///path/app.db` (or try `tui-backup demo`)")
        return
    print_table(("PROFILE", "CONFIG"), ((r["name"], r["config"]) for r in rows))
