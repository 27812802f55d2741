"""SIGKILL of `backup run` and of in-place `backup restore`, to and from each destination type,
at random moments in [0, T] (T = a normal run's measured duration).

After each kill (before anything else runs): the live database passes the integrity check and
equals its before or after state, every protected file equals its before or after version.
After the following normal run (which must start at once: no stale destination lock, restic's
lock of the dead process removed): every restore point listed is complete and verifies, no
`.incomplete-`/staging/safety temporary is left, nothing that existed before is gone from both
its place and the trash.

`kill_points` kills per operation and destination kind (20 in CI: 200 kills in all);
`--kill-points N` sets them.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.helpers import open_service
from tests.reliability.conftest import CaseRecorder
from tests.reliability.destkill import (
    DEST,
    KINDS,
    add_target,
    assert_nothing_lost,
    assert_points_complete,
    assert_points_listed_complete,
    assert_tree_before_or_after,
    backup_args,
    child_env,
    db_state,
    kill_during,
    leftovers,
    restic_locks,
    restore_args,
    run_ok,
    tree_state,
)
from tests.remote.conftest import restic_template, sshd, sshd_server  # noqa: F401  (fixtures)
from tests.remote.servers.sshd import SshServer
from tui_backup.service import ProfileService
from tui_backup.service.safety_trash import recover_safety_areas
from tui_backup.service.tree_swap import TreeSwap, Unit

GUARANTEE_BACKUP = ("every restore point listed is complete and verifies; no .incomplete- point is listed or "
                    "left after the next run; the live data is untouched; the next run starts at once "
                    "(no stale destination or restic lock)")
GUARANTEE_RESTORE = ("the live database passes integrity_check and equals before or after; every file equals "
                     "its before or after version; after the next run nothing is lost (in place or in the "
                     "trash); no staging/safety leftovers; the next restore starts at once")


def _change(app_dir: Path) -> None:
    """State B of the live data (state A is what app_dir starts with, and what is backed up)."""
    files = app_dir / "files"
    (files / "a.txt").write_text("hello, changed\n")
    (files / "new.txt").write_text("only in B\n")
    (files / "sub" / "b.txt").unlink()
    (app_dir / "app.conf").write_text("key = other\n")
    conn = sqlite3.connect(app_dir / "app.db")
    with conn:
        conn.execute("UPDATE assets SET name = name || '-b' WHERE id % 7 = 0")
        conn.execute("DELETE FROM asset_tags WHERE asset_id > 450")
    conn.close()


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_sigkill_backup_and_restore(
    kind: str, profile_config: Path, app_dir: Path, tmp_path: Path, request: pytest.FixtureRequest,
    cases: CaseRecorder, kill_points: int, rng: random.Random,
) -> None:
    sshd_fx: SshServer | None = request.getfixturevalue("sshd") if kind == "rsync-ssh" else None
    template: Path | None = request.getfixturevalue("restic_template") if kind == "restic" else None
    target = add_target(kind, profile_config, tmp_path, sshd_fx, template)
    (app_dir / "files" / "sub").mkdir()
    (app_dir / "files" / "sub" / "b.txt").write_text("b in A\n")
    protected = (app_dir / "files", app_dir / "app.conf")
    db = app_dir / "app.db"
    backup_row = cases("Fault injection", f"SIGKILL during backup run ({kind})", GUARANTEE_BACKUP)
    restore_row = cases("Fault injection", f"SIGKILL during in-place backup restore ({kind})", GUARANTEE_RESTORE)
    scratch = [app_dir]  # where restores put staging and safety dirs (beside the live entries)

    def after_next_run(points_min: int) -> None:
        """Cheap checks after every round; every point is verified at the end of each phase
        (points are never removed here, so the final check covers every round's point)."""
        with open_service(profile_config) as svc:
            assert assert_points_listed_complete(svc) >= points_min
        assert leftovers(target.root, *scratch) == []
        if kind == "restic":
            assert restic_locks(target) == []

    def verify_all() -> None:
        with open_service(profile_config) as svc:
            assert_points_complete(svc, target)

    tree_a, db_a = tree_state(*protected), db_state(db)
    t_backup = run_ok(profile_config, backup_args())
    with open_service(profile_config) as svc:
        [point_a] = svc.list_restore_points(DEST)
    n_rounds = kill_points

    # backups killed while the live data is state A: it must stay untouched
    for _ in range(n_rounds):
        kill_during(profile_config, backup_args(), rng.uniform(0, t_backup))
        assert db_state(db) == db_a and tree_state(*protected) == tree_a
        run_ok(profile_config, backup_args(), timeout=t_backup * 4 + 30)
        after_next_run(2)
        backup_row.tried += 1
    verify_all()

    # in-place restores of point A over state B
    _change(app_dir)
    tree_b, db_b = tree_state(*protected), db_state(db)
    t_restore = run_ok(profile_config, restore_args(point_a.id))
    assert tree_state(*protected) == tree_a and db_state(db) == db_a
    for _ in range(n_rounds):
        _change(app_dir)
        assert tree_state(*protected) == tree_b and db_state(db) == db_b
        kill_during(profile_config, restore_args(point_a.id), rng.uniform(0, t_restore))
        assert db_state(db) in (db_b, db_a), "the live database is neither before nor after"
        assert_tree_before_or_after(tree_state(*protected), tree_b, tree_a)
        run_ok(profile_config, restore_args(point_a.id), timeout=t_restore * 4 + 30)
        now = tree_state(*protected)
        assert now == tree_a and db_state(db) == db_a
        with open_service(profile_config) as svc:
            assert_nothing_lost(svc, tree_b, now)
        after_next_run(1)
        restore_row.tried += 1
    verify_all()
    print(f"{kind}: backup {t_backup:.2f}s, restore {t_restore:.2f}s, {n_rounds} kills of each")


def _paused(config: Path, args: list[str], point: str) -> None:
    """Run `args` until it pauses at `point` (service/faults.py), then SIGKILL it there."""
    env = {**child_env(config), "TUI_BACKUP_PAUSE": point}
    proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    try:
        for line in proc.stderr:
            if line.strip() == f"PAUSED {point}":
                break
        else:
            raise AssertionError(f"never paused at {point} (exit {proc.wait()})")
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()


RESTORE_POINTS = ("backup_restore.fetched", "backup_restore.before_swap", "backup_restore.files_swapped",
                  "backup_restore.after_swap", "backup_restore.verify")


@pytest.mark.slow
def test_restore_killed_at_named_points(
    profile_config: Path, app_dir: Path, tmp_path: Path, cases: CaseRecorder,
) -> None:
    """Deterministic companions of the random kills: an in-place restore killed exactly at each
    of its named points (those between the swap and the hand-off to the trash included)."""
    target = add_target("local", profile_config, tmp_path, None, None)
    (app_dir / "files" / "sub").mkdir()
    (app_dir / "files" / "sub" / "b.txt").write_text("b in A\n")
    protected = (app_dir / "files", app_dir / "app.conf")
    db = app_dir / "app.db"
    row = cases("Fault injection", "SIGKILL of an in-place backup restore at each named point",
                GUARANTEE_RESTORE)
    tree_a, db_a = tree_state(*protected), db_state(db)
    run_ok(profile_config, backup_args())
    with open_service(profile_config) as svc:
        [point_a] = svc.list_restore_points(DEST)
    for point in RESTORE_POINTS:
        _change(app_dir)
        tree_b, db_b = tree_state(*protected), db_state(db)
        _paused(profile_config, restore_args(point_a.id), point)
        assert db_state(db) in (db_b, db_a), point
        assert_tree_before_or_after(tree_state(*protected), tree_b, tree_a)
        run_ok(profile_config, restore_args(point_a.id))
        now = tree_state(*protected)
        assert now == tree_a and db_state(db) == db_a, point
        with open_service(profile_config) as svc:
            assert_nothing_lost(svc, tree_b, now)
        assert leftovers(target.root, app_dir) == [], f"{point}: the next run left the killed run's temporaries"
        row.tried += 1
    with open_service(profile_config) as svc:
        assert_points_complete(svc, target)


def test_next_run_puts_back_a_unit_killed_between_its_renames(
    svc: ProfileService, app_dir: Path, cases: CaseRecorder,
) -> None:
    """The one window no pause point reaches: the live entry renamed into the safety area, the
    restored one not yet renamed in. The next run renames the live one back (and hands a unit
    that was swapped in to the trash)."""
    row = cases("Fault injection", "SIGKILL of an in-place backup restore at each named point",
                GUARANTEE_RESTORE)
    files, conf = app_dir / "files", app_dir / "app.conf"
    before = tree_state(files, conf)
    staged = app_dir / "staged.conf"
    staged.write_text("key = restored\n")
    swap = TreeSwap(job_id=987654)  # no such job running: a dead restore's area
    swap.swap(Unit("config/app.conf", conf, conf), staged)  # swapped in: the old one waits in the area
    swap.swap(Unit("files/files", files, files), app_dir / "never-staged")  # moved out, never in
    assert not files.exists()
    done = recover_safety_areas(svc)
    assert len(done) == 2, done
    now = tree_state(files, conf)
    assert {p: h for p, h in now.items() if p != str(conf)} == {p: h for p, h in before.items() if p != str(conf)}
    assert conf.read_text() == "key = restored\n"
    assert_nothing_lost(svc, before, now)
    assert leftovers(app_dir) == []
    row.tried += 1
