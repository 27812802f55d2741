"""The terminal app (Textual).

Importing this package is cheap on purpose: the CLI's one-shot commands import it to reach
`run_app`, and they must never pay for (or depend on) importing Textual. Only `run_app`
imports the app itself.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

# Up to 120 frames a second (Textual's default: 60): a key's repaint waits for the next
# frame slot, so this halves that wait (issue 6: key to screen p95 <= 20 ms). Textual reads
# it once, when imported, so it is set here, before the app is; the user's own value wins.
os.environ.setdefault("TEXTUAL_FPS", "120")


def run_app(config_path: Path | None = None, profile: str | None = None) -> None:
    """Open the terminal app on a profile (selected like every command selects one).

    With no profile selected in a terminal, it asks first: the first-run screen when there
    is no profile yet, the profile picker when there are several. Switching profiles in the
    app ("P") ends that app and this loop opens the next one: a fresh app and service per
    profile, nothing of the old one left behind.

    Config errors and a missing profile raise `TuiBackupError`s before the screen is taken
    over, so the CLI reports them like any other command.
    """
    target = _first_target(config_path, profile)
    if target is None:
        from tui_backup.tui.launcher import LauncherApp

        target = LauncherApp().run()
    while target is not None:
        target = _run_profile(target)


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _first_target(config_path: Path | None, profile: str | None) -> Path | None:
    """The config file to open, or None when the user is to be asked (see `run_app`)."""
    from tui_backup.config import list_profiles, resolve_config_path
    from tui_backup.config.locations import CONFIG_ENV, PROFILE_ENV

    chosen = config_path or profile or os.environ.get(CONFIG_ENV) or os.environ.get(PROFILE_ENV)
    # Not a terminal (a script, a test runner): no screen to ask on, so the usual error.
    if chosen or len(list_profiles()) == 1 or not _interactive():
        return resolve_config_path(profile, config_path)
    return None


def _run_profile(config: Path) -> Path | None:
    """Run the app on one profile; the profile to switch to, or None when it quit."""
    # Start-up builds ~450 modules, their classes and the app's widgets, all living as long
    # as the app: the collector's runs meanwhile free nothing and cost ~8 % of the time to
    # the first paint. The app turns it back on, after freezing all that, once its hidden
    # panes are mounted (BackupApp._collect_again).
    gc.disable()
    from tui_backup.service import ProfileService

    # check_paths=False: a source on an unplugged drive must not stop the app; the
    # dashboard shows that volume as missing instead.
    service = ProfileService.open(config=config, interface="tui", check_paths=False)
    try:
        from tui_backup.tui.app import BackupApp

        app = BackupApp(service)
        app.run()
        return app.switch_to
    finally:
        gc.enable()  # whatever happened to the app
        service.close()


__all__ = ["run_app"]
