"""The terminal app (Textual).

Importing this package is cheap on purpose: the CLI's one-shot commands import it to reach
`run_app`, and they must never pay for (or depend on) importing Textual. Only `run_app`
imports the app itself.
"""

from __future__ import annotations

from pathlib import Path


def run_app(config_path: Path | None = None, profile: str | None = None) -> None:
    """Open the terminal app on a profile (selected like every command selects one).

    Config errors and a missing profile raise `TuiBackupError`s before the screen is taken
    over, so the CLI reports them like any other command.
    """
    from tui_backup.service import ProfileService

    # check_paths=False: a source on an unplugged drive must not stop the app; the
    # dashboard shows that volume as missing instead.
    service = ProfileService.open(profile, config_path, interface="tui", check_paths=False)
    try:
        from tui_backup.tui.app import BackupApp

        BackupApp(service).run()
    finally:
        service.close()


__all__ = ["run_app"]
