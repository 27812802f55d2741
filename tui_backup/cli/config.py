"""`tui-backup config …`: read, change and check the profile's config file.

Changes go through `ConfigDocument` (tomlkit): the user's comments, key order and layout
stay as they are, and the whole file is validated before it is saved.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tui_backup.cli._state import state

group = typer.Typer(help="Show, get, set and validate the profile's config.", no_args_is_help=True)

KeyArgument = Annotated[str, typer.Argument(metavar="KEY", help="SECTION.KEY, e.g. snapshots.keep")]


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="config")


@group.command("path")
def path(ctx: typer.Context) -> None:
    """Print the path of the config file in use."""
    typer.echo(str(state(ctx).config_path()))


@group.command("show")
def show(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output only, on stdout.")] = False,
) -> None:
    """Every key with its value; `(default)` marks keys the file does not set."""
    from tui_backup.cli._output import escape, print_json, say
    from tui_backup.config import SECTIONS, ConfigDocument

    doc = ConfigDocument(state(ctx).config_path())
    doc.validate()  # an invalid file is one clear error (exit 2), never half a listing
    values = {s.name: {k.name: doc.get(f"{s.name}.{k.name}") for k in s.keys} for s in SECTIONS}
    if as_json:
        print_json(values)
        return
    say(f"# {escape(str(doc.path))}")
    for sect in SECTIONS:
        table = doc.doc.get(sect.name)
        say(f"\n[bold]{escape(f'[{sect.name}]')}[/]")
        for k in sect.keys:
            is_set = table is not None and k.name in table
            note = "" if is_set else "  [dim]# (default)[/]"
            say(f"{k.name} = {escape(_toml(values[sect.name][k.name]))}{note}")


@group.command("get")
def get(ctx: typer.Context, key: KeyArgument) -> None:
    """Print one value (strings as they are, other values as TOML)."""
    from tui_backup.config import ConfigDocument

    doc = ConfigDocument(state(ctx).config_path())
    doc.validate()  # the same: a value read from an invalid file would mislead
    value = doc.get(key)
    typer.echo(value if isinstance(value, str) else _toml(value))


@group.command("set")
def set_(
    ctx: typer.Context,
    key: KeyArgument,
    value: Annotated[str, typer.Argument(metavar="VALUE", help="New value; lists as comma-separated paths.")],
) -> None:
    """Change one value, keeping the file's comments and layout; refuses an invalid result.
    The change is journaled (`config.change`, secrets redacted)."""
    from tui_backup.cli._output import escape, print_warnings, say
    from tui_backup.service.config_edit import set_value_at

    change = set_value_at(state(ctx).config_path(), key, value, raw=True)
    print_warnings(change.warnings)
    say(f"{escape(key)} = {escape(_toml(change.after))}  [dim]({escape(change.file)})[/]")


@group.command("validate")
def validate(ctx: typer.Context) -> None:
    """Check the config file (syntax, keys, types, URLs, paths); exit 2 if it is invalid."""
    from tui_backup.cli._output import escape, print_warnings, say
    from tui_backup.config import load_config

    path = state(ctx).config_path()
    config = load_config(path, check_paths=True)
    print_warnings(config.warnings)
    say(f"{escape(str(path))}: valid (profile {escape(config.name)})")


def _toml(value: Any) -> str:
    import tomlkit

    if isinstance(value, dict):  # a sub-table ([tui.keymap]) shown on its key's line
        inline = tomlkit.inline_table()
        inline.update(value)
        return str(inline.as_string())
    return str(tomlkit.item(value).as_string())
