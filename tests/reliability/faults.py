"""Storage faults and concurrency checks for tests/reliability (R3).

- `Storage`: real mounts made by the test (tmpfs, bind mounts), remounted read-only or
  unmounted ("unplugged") on demand; `cleanup()` unmounts whatever is left, also on failure.
  Mounting needs root (CI is root). Where mount is refused, `rerun_in_mount_namespace`
  re-runs the test inside `unshare --user --map-root-user --mount` (never a skip).
- `cli` / `run_cli` / `events`: the tool as a real child process and its --json events.
- `pause_cli`: a CLI run held at a named checkpoint (TUI_BACKUP_PAUSE) until the test
  changes the world and lets it go on.
- `catalog_problems(path)`: what is wrong in a catalog (integrity, foreign keys, duplicate
  or orphan rows, a policy running twice at once); empty when consistent.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CLI = [sys.executable, "-m", "tui_backup"]
NAMESPACE_ENV = "TUI_BACKUP_R3_IN_NAMESPACE"


def can_mount() -> bool:
    return os.geteuid() == 0


def rerun_in_mount_namespace(request: pytest.FixtureRequest) -> None:
    """Not root: run this very test as root of a private user+mount namespace, where tmpfs
    and bind mounts are allowed, and pass or fail with it (the test is never skipped)."""
    if os.environ.get(NAMESPACE_ENV):
        pytest.fail("mount refused even inside a user+mount namespace", pytrace=False)
    argv = ["unshare", "--user", "--map-root-user", "--mount", "--", sys.executable, "-m", "pytest", "-q",
            "-p", "no:cacheprovider", "--", request.node.nodeid]
    r = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, NAMESPACE_ENV: "1"},
                       cwd=request.config.rootpath)
    if r.returncode != 0:
        pytest.fail(f"in a mount namespace:\n{r.stdout[-4000:]}\n{r.stderr[-2000:]}", pytrace=False)


class Storage:
    """Mounts made by one test; `cleanup()` (the fixture's teardown) unmounts them all."""

    def __init__(self, *, delegated: bool = False) -> None:
        self.mounted: list[Path] = []
        self._binds: set[Path] = set()
        # True when the test already ran (and passed) in a mount namespace: the caller returns
        self.delegated = delegated

    def _mount(self, *args: str) -> None:
        subprocess.run(["mount", *args], check=True, capture_output=True)

    def tmpfs(self, path: Path, size: str = "64m") -> Path:
        path.mkdir(parents=True, exist_ok=True)
        self._mount("-t", "tmpfs", "-o", f"size={size},mode=0700", "--", "tmpfs", str(path))
        self.mounted.append(path)
        return path

    def bind(self, source: Path, path: Path) -> Path:
        """`source` seen at `path` (a drive plugged in at its mount point)."""
        path.mkdir(parents=True, exist_ok=True)
        self._mount("--bind", "--", str(source), str(path))
        self.mounted.append(path)
        self._binds.add(path)
        return path

    def read_only(self, path: Path) -> None:
        # a bind mount needs `bind` in the remount options to change only its own flag
        opts = "remount,bind,ro" if path in self._binds else "remount,ro"
        self._mount("-o", opts, "--", str(path))

    def read_write(self, path: Path) -> None:
        opts = "remount,bind,rw" if path in self._binds else "remount,rw"
        self._mount("-o", opts, "--", str(path))

    def unmount(self, path: Path) -> None:
        subprocess.run(["umount", "--", str(path)], check=True, capture_output=True)
        self.mounted.remove(path)
        self._binds.discard(path)

    def cleanup(self) -> None:
        for path in reversed(self.mounted):
            subprocess.run(["umount", "-l", "--", str(path)], check=False, capture_output=True)
        self.mounted.clear()
        self._binds.clear()


@pytest.fixture
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    """Mounts for one test, all unmounted at its end (also when it fails)."""
    if not can_mount():
        rerun_in_mount_namespace(request)
        yield Storage(delegated=True)
        return
    s = Storage()
    try:
        yield s
    finally:
        s.cleanup()

    def _is_bind(self, path: Path) -> bool:
        return path in self._binds


def cli(config: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([*CLI, "--config", str(config), *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def run_cli(config: Path, *args: str, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "--config", str(config), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})


def events(stdout: str) -> list[dict[str, Any]]:
    """The JSON event lines of a `--json` run."""
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def finished(stdout: str) -> dict[str, Any]:
    last = [e for e in events(stdout) if e.get("event") == "finished"]
    assert last, f"no finished event in: {stdout[-2000:]}"
    return last[-1]


def pause_cli(config: Path, point: str, resume: Path, *args: str, timeout: float = 60) -> subprocess.Popen[str]:
    """Start the CLI and return once it is paused at `point`; touching `resume` lets it go on."""
    proc = subprocess.Popen([*CLI, "--config", str(config), *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TUI_BACKUP_PAUSE": point, "TUI_BACKUP_PAUSE_UNTIL": str(resume)})
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            out, err = proc.communicate()
            pytest.fail(f"ended before reaching {point}: {proc.returncode}\n{out[-2000:]}\n{seen}{err}")
        seen += line
        if line.strip() == f"PAUSED {point}":
            return proc
    proc.kill()
    proc.communicate()
    pytest.fail(f"never paused at {point}: {seen[-2000:]}")


_RAN = "{t}.status != 'skipped' AND COALESCE({t}.error_kind, '') != 'destination-busy'"


def catalog_problems(path: Path) -> list[str]:
    """Integrity, foreign keys, orphan and duplicate rows, overlapping runs of one policy."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        problems: list[str] = []
        ok = conn.execute("PRAGMA integrity_check").fetchall()
        if ok != [("ok",)]:
            problems.append(f"integrity_check: {ok}")
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            problems.append(f"foreign_key_check: {fk}")
        queries = {
            "orphan trash job_id": "SELECT id FROM trash_items WHERE job_id IS NOT NULL "
                                   "AND job_id NOT IN (SELECT id FROM jobs)",
            "orphan policy_runs job_id": "SELECT id FROM policy_runs WHERE job_id IS NOT NULL "
                                         "AND job_id NOT IN (SELECT id FROM jobs)",
            "job recorded by two policy runs": "SELECT job_id FROM policy_runs WHERE job_id IS NOT NULL "
                                               "GROUP BY job_id, kind HAVING COUNT(*) > 1",
            "slot served twice": "SELECT policy, kind, slot FROM policy_runs WHERE slot IS NOT NULL "
                                 "AND status IN ('succeeded', 'succeeded-with-warnings') "
                                 "GROUP BY policy, kind, slot HAVING COUNT(*) > 1",
            "policy ran twice at once": "SELECT a.id, b.id FROM policy_runs a JOIN policy_runs b "
                                        "ON a.policy = b.policy AND a.kind = b.kind AND a.id < b.id "
                                        "WHERE b.started_at < COALESCE(a.finished_at, '9999') "
                                        "AND a.started_at < COALESCE(b.finished_at, '9999') "
                                        # a run refused as busy (or skipped) never ran
                                        f"AND {_RAN.format(t='a')} AND {_RAN.format(t='b')}",
            "unfinished job": "SELECT id, kind, status FROM jobs WHERE finished_at IS NULL",
            "unfinished policy run": "SELECT id, policy, status FROM policy_runs WHERE finished_at IS NULL",
            "journal seq gap": "SELECT COUNT(*), MIN(seq), MAX(seq) FROM journal "
                               "HAVING COUNT(*) > 0 AND MAX(seq) - MIN(seq) + 1 != COUNT(*)",
            "snapshot artifact listed twice": "SELECT path, artifact FROM snapshots GROUP BY path, artifact "
                                              "HAVING COUNT(*) > 1",
        }
        for name, sql in queries.items():
            rows = conn.execute(sql).fetchall()
            if rows:
                problems.append(f"{name}: {rows[:10]}")
        return problems
    finally:
        conn.close()
