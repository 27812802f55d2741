"""Staging directories of a `backup restore` killed with SIGKILL mid-fetch are removed by the
next restore or backup run (they carry the pid that made them and are registered in the
state dir, wherever they are: beside --to, beside the files)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from tests.fixes.helpers import CLI, run_cli
from tests.helpers import add_destination, open_service
from tui_backup.service.faults import PAUSE_ENV
from tui_backup.service.staging import STAGING_REGISTRY
from tui_backup.service.tree_swap import STAGING_PREFIX


def _staging(*dirs: Path) -> list[Path]:
    return sorted(p for d in dirs for p in d.iterdir() if p.name.startswith(STAGING_PREFIX))


def _with_backup(profile_config: Path, app_dir: Path, tmp_path: Path) -> None:
    (app_dir / "files" / "big.bin").write_bytes(os.urandom(24 * 1024 * 1024))  # a fetch that takes a while
    drive = tmp_path / "drive"
    drive.mkdir()
    add_destination(profile_config, "usb", path=drive)
    made = run_cli(profile_config, "backup", "run", "usb", "--type", "full", "--json")
    assert made.returncode == 0, made.stderr


def _registry(config: Path) -> list[str]:
    """The staging dirs the state dir knows of (what the next run would look at)."""
    with open_service(config) as svc:
        registry = svc.paths.state_dir / STAGING_REGISTRY
    return sorted(os.listdir(registry)) if registry.is_dir() else []


def _wait_paused(child: subprocess.Popen[str], point: str) -> None:
    """Read the child's stderr (progress lines first) up to its PAUSED line."""
    assert child.stderr is not None
    seen: list[str] = []
    for line in child.stderr:
        if line.strip() == f"PAUSED {point}":
            return
        seen.append(line)
        if line.startswith("error:"):
            break
    raise AssertionError("the child did not pause:\n" + "".join(seen))


def test_restore_killed_after_fetching_is_cleaned_by_the_next_restore(
    profile_config: Path, app_dir: Path, tmp_path: Path
) -> None:
    _with_backup(profile_config, app_dir, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    child = subprocess.Popen(
        [*CLI, "--config", str(profile_config), "backup", "restore", "usb", "latest", "--to", str(out / "first"),
         "--yes"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, PAUSE_ENV: "backup_restore.fetched"},
    )
    try:
        _wait_paused(child, "backup_restore.fetched")
        left = _staging(out)
        assert len(left) == 1 and left[0].name.startswith(f"{STAGING_PREFIX}{child.pid}-")
        assert any(left[0].rglob("big.bin"))  # the point was fetched into it
        assert _registry(profile_config) == [left[0].name]
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate()
    assert _staging(out) == left  # nothing removes it while nobody runs

    again = run_cli(profile_config, "backup", "restore", "usb", "latest", "--to", str(out / "second"), "--yes")
    assert again.returncode == 0, again.stderr
    assert _staging(out) == [] and _registry(profile_config) == []
    assert (out / "second").is_dir() and not (out / "first").exists()


def test_in_place_restore_killed_mid_fetch_is_cleaned_by_the_next_backup(
    profile_config: Path, app_dir: Path, tmp_path: Path
) -> None:
    _with_backup(profile_config, app_dir, tmp_path)
    child = subprocess.Popen(
        [*CLI, "--config", str(profile_config), "backup", "restore", "usb", "latest", "--files", "--yes"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not _staging(app_dir) and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)  # the staging dir exists: killed while fetching into it
    finally:
        child.communicate()
    assert child.returncode == -signal.SIGKILL
    assert len(_staging(app_dir)) == 1
    assert (app_dir / "files" / "a.txt").read_text() == "hello\n"  # the live files untouched

    backup = run_cli(profile_config, "backup", "run", "usb", "--type", "files", "--json")
    assert backup.returncode == 0, backup.stderr
    assert _staging(app_dir) == [] and _registry(profile_config) == []
