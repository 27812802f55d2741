"""Small helpers for the remote tests: run a tool, build and compare file trees, record stderr."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

RECORDED = Path(__file__).parent / "recorded"
# Set TUI_BACKUP_RECORD=1 to rewrite tests/remote/recorded/ from the real tools.
RECORD = os.environ.get("TUI_BACKUP_RECORD") == "1"


def run(
    argv: Sequence[str], env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=dict(env) if env is not None else None,
        timeout=timeout,
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{result.args[0]} exited {result.returncode}:\n{result.stderr}"
    return result


def make_tree(root: Path) -> Path:
    """A small tree: nested dirs, a name with spaces and a leading '-', a 200 KB file, a symlink."""
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a.txt").write_text("alpha\n")
    (root / "-dash name.txt").write_text("dash\n")
    (root / "sub" / "b.bin").write_bytes(os.urandom(200_000))
    (root / "sub" / "deeper" / "c.txt").write_text("gamma\n" * 100)
    (root / "link").symlink_to("a.txt")
    return root


def tree_digest(root: Path) -> dict[str, str]:
    """Relative path → sha256 of content (or link target) for every file and symlink."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = "->" + os.readlink(path)
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def record(case: str, tool: str, result: subprocess.CompletedProcess[str]) -> None:
    """Save a real failure's exit code and stderr for the error classifier's tests."""
    if not RECORD:
        return
    version = run(
        [tool, "--version"] if tool == "rsync" else [tool, "version"]
    ).stdout.splitlines()[0]
    RECORDED.mkdir(exist_ok=True)
    data = {
        "case": case,
        "tool": tool,
        "tool_version": version,
        "argv": list(result.args),
        "exit_code": result.returncode,
        "stdout": result.stdout,
        "stderr": result.stderr,
    }
    (RECORDED / f"{case}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
