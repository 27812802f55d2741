"""The CLI as a separate process, as a user (or cron) runs it, and its --json event lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

CLI = [sys.executable, "-m", "tui_backup"]


def run_cli(config: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "--config", str(config), *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def json_events(stdout: str) -> list[dict[str, Any]]:
    """The JSON event lines of a `--json` run (other output skipped)."""
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
