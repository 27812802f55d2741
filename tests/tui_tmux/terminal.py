"""A real terminal for end-to-end tests: a detached tmux session on a private server socket,
driven with send-keys and read with capture-pane, the way a user at 80x24 would see it."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

TMUX = shutil.which("tmux") or "tmux"
POLL_S = 0.05


class Terminal:
    """One tmux server (its own socket, no user config) holding one session, `app`.

    The session's environment is the test's (the server starts from the test process), so
    the isolated HOME and XDG dirs of tests/conftest.py apply inside it. The pane stays
    after the program exits (remain-on-exit), so a crash's traceback and the exit status
    can be read.
    """

    def __init__(self, socket: str) -> None:
        self.socket = socket
        self.seen: list[str] = []  # every distinct screen read, in order (for failure messages)

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([TMUX, "-L", self.socket, "-f", "/dev/null", *args],
                              capture_output=True, text=True, check=check, timeout=20)

    def start(self, argv: Sequence[str], *, width: int = 80, height: int = 24, cwd: str | None = None) -> None:
        cmd = ["new-session", "-d", "-s", "app", "-x", str(width), "-y", str(height)]
        if cwd is not None:
            cmd += ["-c", cwd]
        self.tmux(*cmd, *argv)
        # Python starts in far more than the next tmux call's few ms: set before it can exit.
        self.tmux("set-option", "-t", "app", "remain-on-exit", "on")

    def screen(self) -> str:
        text = self.tmux("capture-pane", "-p", "-t", "app").stdout
        if not self.seen or self.seen[-1] != text:
            self.seen.append(text)
        return text

    def pane(self, fmt: str) -> str:
        return self.tmux("display-message", "-p", "-t", "app", fmt).stdout.strip()

    def exited(self) -> bool:
        """The program in the pane has ended (the pane is dead, or the session gone)."""
        if self.tmux("has-session", "-t", "app", check=False).returncode != 0:
            return True
        return self.pane("#{pane_dead}") == "1" and self._wait_status() is not None

    def _wait_status(self) -> int | None:
        """The pane program's wait status once it has ended, else None.

        tmux 3.3 marks a pane dead when its pty closes; the exit status comes when the
        server reaps the child, which under load it sometimes never does (the program then
        stays a zombie): the kernel keeps the status in /proc/PID/stat meanwhile.
        """
        status, signal, pid = self.pane("#{pane_dead_status}|#{pane_dead_signal}|#{pane_pid}").split("|")
        if status:
            return int(status) << 8
        if signal:
            return int(signal)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        fields = stat[stat.rindex(")") + 2:].split()  # from field 3 (state) on; exit_code is last
        return int(fields[-1]) if fields[0] == "Z" else None

    def exit_status(self) -> str:
        """The exit status, or "signal N" for a program killed by a signal ("" if unknown)."""
        status = self._wait_status()
        if status is None:
            return ""
        return str(status >> 8) if status & 0x7F == 0 else f"signal {status & 0x7F}"

    def retry(self, act: Callable[[], object], pattern: str, *, tries: int = 4, wait: float = 5.0) -> str:
        """Do `act` until /pattern/ is on screen. Keys sent before a focus change has landed
        are lost (seen under load): an idempotent step may need sending again."""
        for attempt in range(1, tries + 1):
            act()
            try:
                return self.wait_for_re(pattern, timeout=wait).string
            except AssertionError:
                if attempt == tries or self.exited():
                    raise
        raise AssertionError(f"/{pattern}/: never on screen")

    def wait_until(self, check: Callable[[str], bool], what: str, timeout: float = 30.0) -> str:
        """Poll the screen until `check(screen)` holds; fail with the last screen."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if check(screen):
                return screen
            if self.exited():
                raise AssertionError(f"the program exited (status {self.exit_status()}) while waiting "
                                     f"for {what}:\n{self.screen()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not on screen after {timeout} s:\n{screen}")
            time.sleep(POLL_S)

    def wait_for(self, *texts: str, timeout: float = 30.0) -> str:
        return self.wait_until(lambda s: all(t in s for t in texts), f"{texts}", timeout)

    def wait_for_re(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        rx = re.compile(pattern, re.MULTILINE)
        screen = self.wait_until(lambda s: rx.search(s) is not None, f"/{pattern}/", timeout)
        match = rx.search(screen)
        assert match is not None
        return match

    def wait_exit(self, timeout: float = 15.0) -> str:
        """Wait for the program to end; its exit status ("" if the session is gone)."""
        deadline = time.monotonic() + timeout
        while not self.exited():
            if time.monotonic() > deadline:
                raise AssertionError(f"still running after {timeout} s:\n{self.screen()}")
            time.sleep(POLL_S)
        return self.exit_status() if self.tmux("has-session", "-t", "app", check=False).returncode == 0 else ""

    def keys(self, *keys: str) -> None:
        """tmux key names: "Enter", "Down", "Space", "Escape", or single characters."""
        self.tmux("send-keys", "-t", "app", *keys)

    def type(self, text: str) -> None:
        """Literal text (no key-name lookup)."""
        self.tmux("send-keys", "-t", "app", "-l", text)

    def kill(self) -> None:
        self.tmux("kill-server", check=False)
