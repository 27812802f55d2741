"""`tui-backup tui` and `tui-backup demo`: the terminal app.

The only CLI module that reaches Textual, and only inside the commands: `tui_backup.tui`
itself imports Textual lazily in `run_app`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tui_backup.cli._state import CliState, state


def register(app: typer.Typer) -> None:
    app.command("tui")(tui)
    app.command("demo")(demo)


def open_app(st: CliState, config: Path | None = None) -> None:
    from tui_backup.tui import run_app

    run_app(config or st.config, None if config else st.profile)


def tui(ctx: typer.Context) -> None:
    """Open the terminal app on the profile (same as `tui-backup` with no command).

    In a terminal with no profile selected, the app asks first: a first-run screen (like
    `init`) when there is no profile yet, a picker when there are several. P switches
    profiles inside the app.
    """
    open_app(state(ctx))


def demo(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", metavar="DIR", help="Where to create the demo (default: the platform data dir)."),
    ] = None,
    no_open: Annotated[bool, typer.Option("--no-open", help="Only create the demo profile.")] = False,
) -> None:
    """Create the demo profile (a sample app: database, files, config) and open the app on it.

    Running it again reuses the demo profile.
    """
    from tui_backup.cli._output import escape, say
    from tui_backup.service.demo import create_demo, default_demo_dir

    # With the global --config the demo profile is written there (like `init`).
    config = create_demo(directory or default_demo_dir(), config_path=state(ctx).config, with_policy=True)
    if no_open:
        from tui_backup.config import profiles_dir

        selector = f"--profile {config.stem}" if config.parent == profiles_dir().resolve() else f"--config {config}"
        say(f"demo profile ready: {escape(str(config))}")
        say(f"open it with: tui-backup {escape(selector)}")
        return
    open_app(state(ctx), config)
