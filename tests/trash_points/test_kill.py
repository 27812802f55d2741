"""SIGKILL during a prune's moves into a destination's trash: every restore point is either
listed at the destination or in the trash (listed there, and really there) — never both,
never neither — once the next run has reconciled what the dead process left "moving"."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import add_destination, append_toml, open_service
from tests.retention.test_prune import NOW, backups, listing, policy_block
from tests.trash_points import pruneproc
from tui_backup.catalog import trash as rows
from tui_backup.service import ProfileService, trash


def _start(config: Path, **env: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, pruneproc.__file__, str(config), NOW.isoformat()],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env})
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
    return proc


def _kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def _check(svc: ProfileService, ids: set[str]) -> None:
    trash.reconcile(svc)
    assert rows.items_in_state(svc.catalog, rows.MOVING) == []
    listed = listing(svc, "usb")
    trashed = {i.details["point_id"]: i for i in svc.trash_items()}
    for item in trashed.values():
        assert Path(item.stored).is_dir(), f"listed but missing: {item}"
    assert not (listed & set(trashed)), "a point both listed and in the trash"
    assert listed | set(trashed) == ids, "a point lost"


def _reset(svc: ProfileService) -> None:
    for item in svc.trash_items():
        svc.trash_restore(item.id)


def test_killed_after_the_first_move(profile_config: Path, drive: Path) -> None:
    """Deterministic: paused (then killed) right after the first point moved."""
    add_destination(profile_config, "usb", path=drive)
    append_toml(profile_config, policy_block("gfs", "usb"))
    with open_service(profile_config) as svc:
        ids = set(backups(svc, "usb", "gfs").values())
        proc = _start(profile_config, TUI_BACKUP_PAUSE="dest_trash.moved")
        assert proc.stderr is not None
        assert "PAUSED dest_trash.moved" in proc.stderr.readline()
        _kill(proc)
        [moving] = [i for i in rows.items_in_state(svc.catalog, rows.MOVING)
                    if Path(i.stored).exists()]  # the one that moved
        assert len(rows.items_in_state(svc.catalog, rows.MOVING)) == 3
        _check(svc, ids)
        [item] = svc.trash_items()
        assert item.id == moving.id and item.state == rows.TRASHED
        assert len(listing(svc, "usb")) == len(ids) - 1
        _reset(svc)
        assert listing(svc, "usb") == ids


@pytest.mark.slow
def test_sigkill_at_random_moments(profile_config: Path, drive: Path) -> None:
    add_destination(profile_config, "usb", path=drive)
    append_toml(profile_config, policy_block("gfs", "usb"))
    rng = random.Random(11)
    with open_service(profile_config) as svc:
        ids = set(backups(svc, "usb", "gfs").values())
        settled = done = 0
        first = _start(profile_config)
        t0 = time.monotonic()  # how long a whole prune takes after "ready", to spread the kills over it
        assert first.stdout is not None and first.stdout.readline().strip() == "done"
        first.wait()
        span = time.monotonic() - t0
        _reset(svc)
        for _ in range(8):
            proc = _start(profile_config)
            time.sleep(rng.uniform(0.2, 1.0) * span)
            finished = proc.poll() is not None
            _kill(proc)
            done += finished
            settled += bool(trash.reconcile(svc))
            _check(svc, ids)
            _reset(svc)
            assert listing(svc, "usb") == ids
        print(f"prune {span:.2f}s; rounds with something to settle: {settled}/8, finished before the kill: {done}/8")
