"""The README's configuration reference is generated from the schema and kept up to date;
the quick start's test command is what CI runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tui_backup.config import SECTIONS

REPO = Path(__file__).resolve().parents[2]


def test_config_reference_is_up_to_date() -> None:
    p = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_config_reference.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stderr


def test_config_reference_names_every_key() -> None:
    readme = (REPO / "README.md").read_text()
    for sect in SECTIONS:
        assert f"#### `[{sect.name}]`" in readme
        for key in sect.keys:
            assert f"| `{key.name}` |" in readme


def test_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```sh\n(.*?)```", section, re.S)
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["./scripts/quickstart.sh", "./scripts/test.sh"]
    for command in commands:
        assert (REPO / command).stat().st_mode & 0o111
    ci = (REPO / ".ci" / "run").read_text()
    assert "exec ./scripts/test.sh" in ci
