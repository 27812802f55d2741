"""What the global options select, handed to every command through the Typer context."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from tui_backup.service import ProfileService


@dataclass
class CliState:
    profile: str | None = None
    config: Path | None = None
    verbose: bool = False

    def config_path(self) -> Path:
        """The config file this command works on (see `resolve_config_path` for precedence)."""
        from tui_backup.config import resolve_config_path

        return resolve_config_path(self.profile, self.config)

    @contextmanager
    def service(self, *, check_paths: bool = True) -> Iterator[ProfileService]:
        """The selected profile, opened for one command (and closed after it); its config
        warnings are printed once, on stderr.

        `check_paths=False` for commands that only report on the sources, or whose service
        call checks them itself through the volume guard: a source on an unplugged drive is
        then shown (or refused) as a missing volume instead of failing as a config error.
        """
        from tui_backup.cli._output import print_warnings
        from tui_backup.service import ProfileService

        # A job the terminal app started in the background says so (service/background.py).
        interface = "tui" if os.environ.get("TUI_BACKUP_INTERFACE") == "tui" else "cli"
        service = ProfileService.open(self.profile, self.config, check_paths=check_paths, interface=interface)
        try:
            print_warnings(service.config.warnings)
            yield service
        finally:
            service.close()


def state(ctx: typer.Context) -> CliState:
    """The global options, wherever in the command tree `ctx` is."""
    root = ctx.find_root()
    obj = root.obj
    if not isinstance(obj, CliState):
        obj = CliState()
        root.obj = obj
    return obj
