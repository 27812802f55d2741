"""In a real terminal (tmux, 80x24): `tui-backup` with no profile shows the first-run
screen, creates a profile and opens the app on it; "P" switches between profiles without
leaving (run_app opens the next app), and q quits for good."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from tests.tui.test_tmux import Terminal, terminal  # noqa: F401 (a fixture)
from tui_backup.config import list_profiles


def _fill(term: Terminal, *values: str) -> None:
    # One field after the other: Enter moves on, and on the last field creates the profile.
    for value in values:
        if value:
            term.keys("-l", value)
        term.keys("Enter")


@pytest.mark.slow
def test_first_run_then_switch_profiles_in_a_real_terminal(terminal: Terminal, app_dir: Path) -> None:  # noqa: F811
    code = "from tui_backup.cli import main; main()"
    terminal.tmux("new-session", "-d", "-s", "app", "-x", "80", "-y", "24", sys.executable, "-c", code)
    terminal.wait_for("create a profile", "Database", "Open the demo")
    _fill(terminal, "first", str(app_dir / "app.db"), str(app_dir / "files"), "", "the first one")
    terminal.wait_for("profile: first", "Dashboard", "Quit")
    terminal.keys("P")
    terminal.wait_for("Enter opens one", "first", "open now")
    terminal.keys("n")
    terminal.wait_for("create a profile")
    _fill(terminal, "second", str(app_dir / "app.db"), "", "", "")
    terminal.wait_for("profile: second", "Dashboard")
    assert list_profiles() == ["first", "second"]
    terminal.keys("P")
    terminal.wait_for("Enter opens one", "second", "open now")
    terminal.keys("Up", "Enter")  # `first` is above `second`, the open one
    terminal.wait_for("profile: first", "the first one")
    terminal.keys("q")
    deadline = time.monotonic() + 15
    while terminal.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not terminal.alive(), terminal.screen()
