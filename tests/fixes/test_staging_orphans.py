"""A restore killed with SIGKILL leaves its rsync/restic running (children run in their own
session): the next run stops them before removing the staging dir, or the removal races with
a program still writing into it (seen in CI: a staging dir left behind after the next run)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import open_service
from tui_backup.fsutil import pid_alive
from tui_backup.jobs import orphans
from tui_backup.jobs.process import run_process
from tui_backup.service import staging
from tui_backup.service.staging import STAGING_REGISTRY, remove_stale_staging
from tui_backup.service.tree_swap import STAGING_PREFIX

# keeps creating files in argv[1] (recreating it when removed), like a receiving rsync
WRITER = """
import os, sys, time
d = sys.argv[1]
i = 0
while True:
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i % 50}"), "w") as f:
        f.write("x")
    i += 1
    time.sleep(0.001)
"""


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    assert not pid_alive(child.pid)
    return child.pid


def _stale_staging(config: Path, parent: Path, pid: int) -> tuple[Path, Path]:
    with open_service(config) as svc:
        registry = svc.paths.state_dir / STAGING_REGISTRY
    registry.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = parent / f"{STAGING_PREFIX}{pid}-0badc0de"
    (registry / path.name).symlink_to(path)
    path.mkdir(mode=0o700)
    return path, registry / path.name


def test_children_carry_the_pid_of_the_run_that_started_them() -> None:
    lines: list[bytes] = []
    result = asyncio.run(run_process(["printenv", orphans.STARTED_BY_VARIABLE], on_stdout=lines.append))
    assert result.exit_code == 0
    assert [line.strip() for line in lines] == [str(os.getpid()).encode()]


def test_orphan_writing_into_stale_staging_is_stopped_then_dir_removed(
    profile_config: Path, tmp_path: Path
) -> None:
    dead = _dead_pid()
    path, entry = _stale_staging(profile_config, tmp_path, dead)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path / "sub")],
                              env={**os.environ, **orphans.started_by_entry(dead)}, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while not any(path.rglob("f*")) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert any(path.rglob("f*")), "the writer did not start"
        assert orphans.children_of_dead(dead) == [writer.pid]
        with open_service(profile_config) as svc:
            assert remove_stale_staging(svc) == [path]
        assert writer.wait(timeout=10) != 0  # stopped (SIGTERM), not finished
        assert not path.exists() and not entry.is_symlink()
    finally:
        writer.kill()
        writer.wait()


def test_a_staging_dir_that_stays_keeps_its_registry_entry(
    profile_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, entry = _stale_staging(profile_config, tmp_path, _dead_pid())
    with monkeypatch.context() as patch, open_service(profile_config) as svc:
        patch.setattr(staging.shutil, "rmtree", lambda *_a, **_k: None)  # e.g. a busy mount
        assert remove_stale_staging(svc) == []
    assert path.is_dir() and entry.is_symlink()  # the next run tries again
    with open_service(profile_config) as svc:
        assert remove_stale_staging(svc) == [path]
    assert not path.exists() and not entry.is_symlink()
