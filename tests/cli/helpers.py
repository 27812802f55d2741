"""Run `tui-backup` in-process (CliRunner) or as a real process, and check its errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tui_backup.cli import app

BIN = Path(sys.executable).parent / "tui-backup"


@dataclass(frozen=True)
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def cli(*args: str, input: str | None = None) -> Result:
    """Run the app in-process; an exception escaping the error handling fails the test."""
    r = CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)
    return Result(r.exit_code, r.stdout, r.stderr)


def run_bin(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Result:
    """Run the installed `tui-backup` console script as a real process (no terminal)."""
    p = subprocess.run(
        [str(BIN), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )
    return Result(p.returncode, p.stdout, p.stderr)


def assert_error(result: Result, code: int, *fragments: str) -> None:
    """A user error: the exit code; on stderr one `error:` line (and a `hint:` line) at the
    end — progress or warnings may come before — and no traceback; nothing on stdout."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    errors = [i for i, line in enumerate(lines) if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    tail = lines[errors[0] :]
    assert len(tail) <= 2 and all(line.startswith(("error: ", "hint: ")) for line in tail), result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout == "", result.stdout
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def run_in_terminal(*args: str, answer: str | None = None, timeout: float = 60) -> tuple[int, str]:
    """Run `tui-backup` on a real pseudo-terminal; type `answer` at its y/N prompt.

    Returns the exit code and everything the terminal showed.
    """
    import select
    import time

    master, slave = os.openpty()
    proc = subprocess.Popen(
        [str(BIN), *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
        start_new_session=True,
    )
    os.close(slave)
    out = b""
    answered = answer is None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
                if not answered and b"[y/N]" in out:
                    os.write(master, answer.encode() + b"\n")  # type: ignore[union-attr]
                    answered = True
            elif proc.poll() is not None:
                break
        else:
            proc.kill()
            raise AssertionError(f"timed out; the terminal showed: {out.decode(errors='replace')}")
        code = proc.wait(timeout=10)
    finally:
        os.close(master)
    return code, out.decode(errors="replace")
