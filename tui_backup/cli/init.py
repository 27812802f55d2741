"""`tui-backup init`: create a profile (a fully commented config and its state directory)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tui_backup.cli._state import state


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", "-n", help="Profile name (letters, digits, - and _).")],
    db: Annotated[
        str, typer.Option("--db", metavar="URL", help="sqlite:///abs/path/app.db or postgresql://user@host:5432/db")
    ],
    files: Annotated[
        list[Path] | None, typer.Option("--files", metavar="DIR", help="A directory of the application's files (repeat).")
    ] = None,
    config_files: Annotated[
        list[Path] | None,
        typer.Option("--config-file", metavar="FILE", help="A config file of the application (repeat)."),
    ] = None,
    snapshots_dir: Annotated[
        Path | None, typer.Option("--snapshots-dir", metavar="DIR", help="Where snapshots go (default: the state dir).")
    ] = None,
    state_dir: Annotated[
        Path | None, typer.Option("--state-dir", metavar="DIR", help="Catalog and logs (default: the platform state dir).")
    ] = None,
    description: Annotated[str, typer.Option("--description", help="Free text shown in the app's header.")] = "",
) -> None:
    """Create a profile: write its commented config and create its state directory.

    Never overwrites an existing profile. With the global --config PATH the config is written
    there instead of the profiles directory.
    """
    from tui_backup.cli._output import escape, print_warnings, say
    from tui_backup.service.profile import profile_paths
    from tui_backup.service.setup import InitRequest, init_profile

    st = state(ctx)
    config = init_profile(
        InitRequest(
            name=name,
            database=db,
            files=tuple(files or ()),
            config_files=tuple(config_files or ()),
            snapshots_dir=snapshots_dir,
            state_dir=state_dir,
            description=description,
            config_path=st.config,
        )
    )
    print_warnings(config.warnings)
    paths = profile_paths(config)
    say(f"created profile [bold]{escape(config.name)}[/]")
    say(f"  config     {escape(str(config.file))}")
    say(f"  state dir  {escape(str(paths.state_dir))}")
    say(f"  snapshots  {escape(str(paths.snapshots_dir))}")
    selector = f"--config {config.file}" if st.config else f"--profile {config.name}"
    say(f"next: tui-backup {escape(selector)} snapshot create")
