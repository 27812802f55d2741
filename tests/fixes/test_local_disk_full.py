"""A local destination that fills up mid-backup: a real small tmpfs (mounted by the test, as
tests/volumes does) and a backup bigger than it. The job fails as "disk full" with its
message and exit code, leaves no `.incomplete-` directory or file behind, no restore point
that looks complete, and the space it took is given back."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.fixes.helpers import json_events, run_cli
from tests.helpers import add_destination
from tests.volumes.conftest import Mounts, root_mounts  # noqa: F401  (fixture)
from tui_backup.jobs.errors import ErrorKind, exit_code_for


@pytest.fixture
def small_drive(root_mounts: Mounts, tmp_path: Path) -> Path:  # noqa: F811
    return root_mounts.mount(tmp_path / "drive", size="4m")




def _leftovers(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if ".incomplete-" in p.name)


@pytest.mark.slow
@pytest.mark.parametrize("archive", [False, True])
def test_disk_full_on_a_local_destination(
    profile_config: Path, app_dir: Path, small_drive: Path, archive: bool
) -> None:
    add_destination(profile_config, "usb", path=small_drive, archive=archive)
    # the guard's free-space floor below the drive's size: the backup starts and hits ENOSPC
    assert run_cli(profile_config, "config", "set", "volumes.min_free_mb", "1").returncode == 0
    big = app_dir / "files" / "big.bin"
    big.write_bytes(os.urandom(8 * 1024 * 1024))  # twice the drive, incompressible
    free_before = os.statvfs(small_drive).f_bavail

    r = run_cli(profile_config, "backup", "run", "usb", "--type", "files", "--json")
    assert r.returncode == exit_code_for("failed", ErrorKind.DISK_FULL) == 16, (r.returncode, r.stderr)
    finished = json_events(r.stdout)[-1]
    assert finished["event"] == "finished" and finished["status"] == "failed", finished
    assert finished["error_kind"] == "disk-full", finished
    assert finished["error_message"].startswith("no space left at destination usb"), finished
    assert "free space there" in (finished.get("hint") or ""), finished

    assert _leftovers(small_drive) == []  # nothing half-written kept ...
    listed = run_cli(profile_config, "backup", "list", "usb", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []  # ... and nothing that looks complete
    assert os.statvfs(small_drive).f_bavail >= free_before - 8  # its space given back (a few blocks of dirs)

    # the destination still works once the backup fits
    big.unlink()
    again = run_cli(profile_config, "backup", "run", "usb", "--type", "files", "--json")
    assert again.returncode == 0, again.stderr
    assert len(json.loads(run_cli(profile_config, "backup", "list", "usb", "--json").stdout)) == 1
    assert _leftovers(small_drive) == []
