"""The app in a real terminal (tmux, 80x24): it starts, draws, takes keys and quits."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

TMUX = shutil.which("tmux") or "tmux"


class Terminal:
    """A detached tmux session on its own server socket, driven like a user would."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([TMUX, "-L", self.socket, "-f", "/dev/null", *args],
                              capture_output=True, text=True, check=check, timeout=20)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "app").stdout

    def wait_for(self, *texts: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if all(t in screen for t in texts):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{texts} not on screen after {timeout} s:\n{screen}")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "app", *keys)

    def alive(self) -> bool:
        return self.tmux("has-session", "-t", "app", check=False).returncode == 0


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal(f"tui-backup-test-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        yield term
    finally:
        term.tmux("kill-server", check=False)


def test_app_in_a_real_terminal(terminal: Terminal, demo_config: Path) -> None:
    code = "import sys; from pathlib import Path; from tui_backup.tui import run_app; run_app(Path(sys.argv[1]))"
    # The session's environment is the test's (isolated HOME and XDG dirs).
    terminal.tmux("new-session", "-d", "-s", "app", "-x", "80", "-y", "24",
                  sys.executable, "-c", code, str(demo_config))
    screen = terminal.wait_for("profile: demo", "warning", "Dashboard", "Quit")
    assert "no snapshot yet" in screen
    lines = screen.splitlines()
    assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
    terminal.keys("2")
    terminal.wait_for("Tables/rows", "No snapshots yet", "Create")  # the pane's keys join the footer
    terminal.keys("c")
    terminal.wait_for("New snapshot of the database")
    terminal.keys("-l", "from tmux")
    terminal.keys("Enter")
    # Seconds, not the toast's 5 s: the new row must be painted while the toast is up.
    terminal.wait_for("manual", "✔ created", "Snapshot created", timeout=4)
    terminal.wait_for("healthy", timeout=4)
    terminal.keys("q")
    deadline = time.monotonic() + 15
    while terminal.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not terminal.alive(), terminal.screen()
