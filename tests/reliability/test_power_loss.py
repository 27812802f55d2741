"""Power-loss style kills: SIGKILL of the whole process group — the tool and its restic, rsync
and ssh children at once — during `backup run` and in-place `backup restore`, at random moments
in [0, T] (T = a normal run's measured duration).

After each kill: nothing of the group survives. After the following normal run: `restic check`
passes on the repository and no lock is left; every restore point listed is complete and
verifies; no `.incomplete-`/staging/safety temporary is left; the live data equals the restored
point. `kill_points` kills are spread over the three destination kinds with children.
"""

from __future__ import annotations

import math
import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import open_service
from tests.reliability.conftest import CaseRecorder
from tests.reliability.destkill import (
    DEST,
    add_target,
    assert_points_complete,
    assert_points_listed_complete,
    backup_args,
    child_env,
    db_state,
    group_gone,
    leftovers,
    restic,
    restic_locks,
    restore_args,
    run_ok,
    tree_state,
)
from tests.remote.conftest import restic_template, sshd, sshd_server  # noqa: F401  (fixtures)
from tests.remote.servers.sshd import SshServer

KINDS = ("restic", "rsync-ssh", "rsync-local")
GUARANTEE = ("no process of the group survives; the next run cleans up and succeeds at once; `restic check` "
             "passes and no lock is left; every listed restore point verifies; the live data equals the "
             "restored point")


def _kill_group(config: Path, args: list[str], delay: float) -> None:
    proc = subprocess.Popen(args, env=child_env(config), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    for _ in range(50):  # the kernel reaps the group's orphans shortly after the kill
        if group_gone(proc.pid):
            return
        time.sleep(0.02)
    raise AssertionError(f"processes of group {proc.pid} survived a SIGKILL of the group")


def _change(app_dir: Path) -> None:
    (app_dir / "files" / "a.txt").write_text("power loss B\n")
    (app_dir / "files" / "extra.bin").write_bytes(b"x" * 200_000)
    conn = sqlite3.connect(app_dir / "app.db")
    with conn:
        conn.execute("UPDATE assets SET size = size + 1 WHERE id % 5 = 0")
    conn.close()


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_power_loss(
    kind: str, profile_config: Path, app_dir: Path, tmp_path: Path, request: pytest.FixtureRequest,
    cases: CaseRecorder, kill_points: int, rng: random.Random,
) -> None:
    sshd_fx: SshServer | None = request.getfixturevalue("sshd") if kind == "rsync-ssh" else None
    template: Path | None = request.getfixturevalue("restic_template") if kind == "restic" else None
    target = add_target(kind, profile_config, tmp_path, sshd_fx, template)
    (app_dir / "files" / "big.bin").write_bytes(bytes(range(256)) * 4096)  # 1 MB: children live a while
    protected = (app_dir / "files", app_dir / "app.conf")
    db = app_dir / "app.db"
    row = cases("Fault injection", f"power loss (process group SIGKILL) during backup and restore ({kind})",
                GUARANTEE)

    if kind.startswith("rsync"):  # what a run killed before this test would have left
        stale = target.root / "20200101T000000Z.inprogress" / "files"
        stale.mkdir(parents=True)
        (stale / "half.bin").write_bytes(b"half")
    tree_a, db_a = tree_state(*protected), db_state(db)
    t_backup = run_ok(profile_config, backup_args())
    assert leftovers(target.root) == [], "the next run must remove what a killed run left"
    with open_service(profile_config) as svc:
        [point_a] = svc.list_restore_points(DEST)
    _change(app_dir)
    t_restore = run_ok(profile_config, restore_args(point_a.id))
    rounds = max(2, math.ceil(kill_points / (2 * len(KINDS))))  # CI time: 4 per kind with 20 points
    for i in range(rounds):
        if i % 2 == 0:  # a backup of the changed state, killed
            _change(app_dir)
            _kill_group(profile_config, backup_args(), rng.uniform(0, t_backup))
            run_ok(profile_config, backup_args(), timeout=t_backup * 4 + 30)
        else:  # a restore of point A, killed
            _change(app_dir)
            _kill_group(profile_config, restore_args(point_a.id), rng.uniform(0, t_restore))
        run_ok(profile_config, restore_args(point_a.id), timeout=t_restore * 4 + 30)
        assert tree_state(*protected) == tree_a and db_state(db) == db_a
        with open_service(profile_config) as svc:
            assert_points_listed_complete(svc)
        assert leftovers(target.root, app_dir) == []
        if kind == "restic":
            assert restic_locks(target) == []
            check = restic(target, "check")
            assert check.returncode == 0, check.stdout + check.stderr
        row.tried += 1
    with open_service(profile_config) as svc:  # every round's point verifies (none is removed here)
        assert_points_complete(svc, target)
    print(f"{kind}: backup {t_backup:.2f}s, restore {t_restore:.2f}s, {rounds} group kills")
