"""The CLI as a separate process, as a user (or cron) runs it, and its --json event lines."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CLI = [sys.executable, "-m", "tui_backup"]


def run_cli(config: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "--config", str(config), *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def json_events(stdout: str) -> list[dict[str, Any]]:
    """The JSON event lines of a `--json` run (other output skipped)."""
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


# Another process in a write transaction on the catalog (as a long backup's commit would be).
_HOLD = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


@contextmanager
def catalog_write_lock(catalog: Path) -> Iterator[None]:
    """Hold the catalog's write lock from a second process until the block ends."""
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(catalog)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.communicate("", timeout=10)
