"""A local destination that fills up mid-backup: a real small tmpfs (mounted by the test, as
tests/volumes does) and a backup bigger than it. The job fails as "disk full" with its
message and exit code, leaves no `.incomplete-` directory or file behind, no restore point
that looks complete, and the space it took is given back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.volumes.conftest import IS_ROOT, Mounts
from tui_backup.jobs.errors import ErrorKind, exit_code_for

CLI = [sys.executable, "-m", "tui_backup"]


@pytest.fixture
def small_drive(tmp_path: Path) -> Iterator[Path]:
    if not IS_ROOT:  # mounting needs root (CI runs as root)
        pytest.skip("mounting a tmpfs needs root")
    m = Mounts()
    try:
        yield m.mount(tmp_path / "drive", size="4m")
    finally:
        m.cleanup()


def _events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "--config", str(config), *args], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def _leftovers(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if ".incomplete-" in p.name)


@pytest.mark.slow
@pytest.mark.parametrize("archive", [False, True])
def test_disk_full_on_a_local_destination(
    profile_config: Path, app_dir: Path, small_drive: Path, archive: bool
) -> None:
    with open(profile_config, "a", encoding="utf-8") as f:
        f.write(f'\n[[destination]]\nname = "usb"\ntype = "local"\npath = "{small_drive}"\n'
                f"archive = {'true' if archive else 'false'}\n")
    # the guard's free-space floor below the drive's size: the backup starts and hits ENOSPC
    assert _cli(profile_config, "config", "set", "volumes.min_free_mb", "1").returncode == 0
    big = app_dir / "files" / "big.bin"
    big.write_bytes(os.urandom(8 * 1024 * 1024))  # twice the drive, incompressible
    free_before = os.statvfs(small_drive).f_bavail

    r = _cli(profile_config, "backup", "run", "usb", "--type", "files", "--json")
    assert r.returncode == exit_code_for("failed", ErrorKind.DISK_FULL) == 16, (r.returncode, r.stderr)
    finished = _events(r.stdout)[-1]
    assert finished["event"] == "finished" and finished["status"] == "failed", finished
    assert finished["error_kind"] == "disk-full", finished
    assert finished["error_message"].startswith("no space left at destination usb"), finished
    assert "free space there" in (finished.get("hint") or ""), finished

    assert _leftovers(small_drive) == []  # nothing half-written kept ...
    listed = _cli(profile_config, "backup", "list", "usb", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []  # ... and nothing that looks complete
    assert os.statvfs(small_drive).f_bavail >= free_before - 8  # its space given back (a few blocks of dirs)

    # the destination still works once the backup fits
    big.unlink()
    again = _cli(profile_config, "backup", "run", "usb", "--type", "files", "--json")
    assert again.returncode == 0, again.stderr
    assert len(json.loads(_cli(profile_config, "backup", "list", "usb", "--json").stdout)) == 1
    assert _leftovers(small_drive) == []
