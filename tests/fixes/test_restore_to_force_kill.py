"""A `backup restore --to DIR --force` killed after it moved one of DIR's entries aside (into
DIR's safety area) and before it put the restored one in: the next run puts the entry back
(the area is registered in the state dir, since it is not next to the profile's sources).
A restore that finishes leaves nothing registered."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from tests.fixes.helpers import CLI, run_cli
from tests.fixes.test_restore_staging import _wait_paused
from tests.helpers import add_destination, open_service
from tui_backup.service.faults import PAUSE_ENV
from tui_backup.service.safety_trash import AREA_REGISTRY
from tui_backup.service.tree_swap import SAFETY_PREFIX


def _registered(config: Path) -> list[str]:
    with open_service(config) as svc:
        registry = svc.paths.state_dir / AREA_REGISTRY
    return sorted(os.listdir(registry)) if registry.is_dir() else []


def _target(tmp_path: Path) -> Path:
    """A directory the restore goes into with --force: it already holds a `config` entry."""
    out = tmp_path / "out"
    (out / "config").mkdir(parents=True)
    (out / "config" / "mine.conf").write_text("mine\n")
    (out / "keep.txt").write_text("kept\n")
    return out


def _backed_up(profile_config: Path, tmp_path: Path) -> None:
    (tmp_path / "drive").mkdir()
    add_destination(profile_config, "usb", path=tmp_path / "drive")
    made = run_cli(profile_config, "backup", "run", "usb", "--type", "full")
    assert made.returncode == 0, made.stderr


def test_killed_between_moving_aside_and_placing_is_put_back_by_the_next_run(
    profile_config: Path, app_dir: Path, tmp_path: Path
) -> None:
    _backed_up(profile_config, tmp_path)
    out = _target(tmp_path)
    child = subprocess.Popen(
        [*CLI, "--config", str(profile_config), "backup", "restore", "usb", "latest", "--to", str(out), "--force",
         "--yes"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, PAUSE_ENV: "backup_restore.placing"},
    )
    try:
        _wait_paused(child, "backup_restore.placing")
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate()
    # killed with `config` moved aside and the restored one not in yet
    assert not (out / "config").exists()
    [area] = [p for p in out.iterdir() if p.name.startswith(SAFETY_PREFIX)]
    assert (area / "config" / "mine.conf").read_text() == "mine\n"
    assert len(_registered(profile_config)) == 1

    backup = run_cli(profile_config, "backup", "run", "usb", "--type", "full", "--json")
    assert backup.returncode == 0, backup.stderr
    assert (out / "config" / "mine.conf").read_text() == "mine\n"  # back in its place
    assert (out / "keep.txt").read_text() == "kept\n"
    assert not area.exists() and _registered(profile_config) == []
    with open_service(profile_config) as svc:
        assert svc.trash_items(kind="safety") == []  # nothing had replaced it: nothing to trash
        [entry] = [e for e in svc.journal_list(limit=100) if e.action == "restore.recovered"]
    assert entry.target == str(out / "config") and entry.details["put_back_from"] == str(area / "config")

    again = run_cli(profile_config, "backup", "restore", "usb", "latest", "--to", str(out), "--force", "--yes")
    assert again.returncode == 0, again.stderr
    assert (out / "config" / "app.conf").is_file() and (out / "keep.txt").read_text() == "kept\n"
    with open_service(profile_config) as svc:
        [item] = svc.trash_items(kind="safety")
    assert item.original == str(out / "config") and (Path(item.stored) / "mine.conf").read_text() == "mine\n"
    assert not [p for p in out.iterdir() if p.name.startswith(SAFETY_PREFIX)]
    assert _registered(profile_config) == []  # a finished restore leaves nothing registered
