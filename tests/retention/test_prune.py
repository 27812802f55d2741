"""Pruning end to end: backups made at pinned times by a policy, then `prune_policy` with the
policy from the profile's TOML, on a local destination (copies and archives), rsync (a
local path and over the loopback sshd) and a restic repository."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.helpers import add_destination, append_toml, open_service
from tests.remote.conftest import password_file
from tests.remote.servers.sshd import TEST_SSH_OPTIONS, SshServer
from tui_backup import clock
from tui_backup.catalog import policy_runs as pr
from tui_backup.errors import UsageError
from tui_backup.service import ProfileService

# Mon 2 .. Wed 11 March 2026 (ISO weeks 10 and 11), UTC
TIMES = {
    "A": datetime(2026, 3, 2, 10, tzinfo=UTC),
    "B": datetime(2026, 3, 3, 10, tzinfo=UTC),
    "C": datetime(2026, 3, 4, 9, tzinfo=UTC),
    "D": datetime(2026, 3, 4, 18, tzinfo=UTC),
    "E": datetime(2026, 3, 10, 10, tzinfo=UTC),
    "F": datetime(2026, 3, 11, 10, tzinfo=UTC),
}
# keep_daily = 2 + keep_weekly = 2: F (daily, weekly w11), E (daily), D (weekly w10)
EXPECTED = {"D", "E", "F"}
NOW = datetime(2026, 3, 11, 12, tzinfo=UTC)


def policy_block(name: str, destination: str, include: str = "config") -> str:
    return (f'[[policy]]\nname = "{name}"\ndestination = "{destination}"\ninclude = "{include}"\n'
            f'timezone = "UTC"\n\n[policy.retention]\nkeep_daily = 2\nkeep_weekly = 2\n\n')


def backups(svc: ProfileService, dest: str, policy: str, include: str = "config", letters: str = "ABCDEF",
            ) -> dict[str, str]:
    """One backup per TIMES entry (pinned clock): letter -> restore point id."""
    ids: dict[str, str] = {}
    for letter in letters:
        at = TIMES[letter]
        with clock.pinned(at):
            finished = svc.run_backup(dest, include, policy=policy)
        assert finished.ok, finished.error_message
        ids[letter] = finished.details["point"]["id"]
    return ids


def listing(svc: ProfileService, dest: str) -> set[str]:
    return {p.id for p in svc.list_restore_points(dest)}


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


def check_prune(svc: ProfileService, dest: str, policy: str, ids: dict[str, str], others: set[str],
                expected: set[str] = EXPECTED) -> None:
    """Dry run changes nothing; the real prune leaves exactly `expected` (+ others' points)."""
    before = listing(svc, dest)
    assert before == set(ids.values()) | others
    with clock.pinned(NOW):
        dry = svc.prune_policy(policy, dry_run=True)
        assert dry.dry_run and dry.finished is None and not dry.removed
        assert listing(svc, dest) == before
        assert {d.id for d in dry.keep} == {ids[x] for x in expected}, dry.decisions
        reasons = {d.id: d.reasons for d in dry.decisions}
        assert reasons[ids["F"]] == ("newest", "daily 1/2", "weekly 1/2")
        assert reasons[ids["C"]] == ("no rule keeps it",)
        assert pr.list_runs(svc.catalog, policy, pr.PRUNE) == []
        plan = svc.prune_policy(policy)
    assert plan.finished is not None and plan.finished.ok, plan.finished
    assert sorted(plan.removed) == sorted(ids[x] for x in set(ids) - expected)
    assert listing(svc, dest) == {ids[x] for x in expected} | others
    run = pr.last_run(svc.catalog, policy, pr.PRUNE)
    assert run is not None and run.ok and sorted(run.details["removed"]) == sorted(plan.removed)
    with clock.pinned(NOW):  # again: nothing more goes
        again = svc.prune_policy(policy)
    assert again.removed == [] and again.finished is None


def test_local_copies_and_archives(profile_config: Path, drive: Path) -> None:
    add_destination(profile_config, "usb", path=drive)
    add_destination(profile_config, "tar", path=drive / "t", archive=True)
    append_toml(profile_config, policy_block("gfs", "usb") + policy_block("gfs-tar", "tar"))
    (drive / "t").mkdir()
    with open_service(profile_config) as svc:
        with clock.pinned(datetime(2026, 1, 1, tzinfo=UTC)):  # not the policy's: never touched
            manual = svc.run_backup("usb", "config")
        with clock.pinned(datetime(2026, 1, 2, tzinfo=UTC)):
            other = svc.run_backup("usb", "config", policy="gfs-tar")  # another policy's, here
        keep_others = {manual.details["point"]["id"], other.details["point"]["id"]}
        ids = backups(svc, "usb", "gfs")
        check_prune(svc, "usb", "gfs", ids, keep_others)
        root = drive / "app"
        assert not [p for p in root.iterdir() if p.name.startswith(".removing-")]
        tar_ids = backups(svc, "tar", "gfs-tar")
        check_prune(svc, "tar", "gfs-tar", tar_ids, set())
        assert sorted(p.name for p in (drive / "t" / "app").iterdir() if not p.name.startswith(".")) == sorted(
            tar_ids[x] for x in EXPECTED)


def test_refused_after_a_failed_run_and_newest_never_removed(profile_config: Path, drive: Path) -> None:
    add_destination(profile_config, "usb", path=drive)
    append_toml(profile_config, policy_block("gfs", "usb"))
    with open_service(profile_config) as svc:
        ids = backups(svc, "usb", "gfs")
        run_id = pr.start_run(svc.catalog, "gfs", pr.BACKUP, pr.MANUAL)
        pr.finish_run(svc.catalog, run_id, "failed", error="disk full")
        with clock.pinned(NOW), pytest.raises(UsageError, match="nothing is pruned after a failed run"):
            svc.prune_policy("gfs")
        assert listing(svc, "usb") == set(ids.values())
        assert pr.list_runs(svc.catalog, "gfs", pr.PRUNE) == []
        pr.finish_run(svc.catalog, pr.start_run(svc.catalog, "gfs", pr.BACKUP, pr.MANUAL), "succeeded")

        # The destination itself refuses the newest point, whatever it is asked.
        from tui_backup.destinations import destination_named
        from tui_backup.jobs.runner import JobContext, JobRunner, JobSpec, run_job_sync

        dest = destination_named(svc.config, "usb")

        pts = {p.id: p for p in svc.list_restore_points("usb")}

        async def body(ctx: JobContext) -> None:
            moves = [(pts[ids[x]], dest.trash_ref(pts[ids[x]], f"item{x}")) for x in "FA"]
            await dest.trash_points(ctx, moves, expires_at="2026-04-11T12:00:00.000000Z")

        finished = run_job_sync(JobRunner(), JobSpec("prune", "usb", body, lock="usb"))
        assert not finished.ok and "newest" in (finished.error_message or "")
        assert listing(svc, "usb") == set(ids.values())  # checked before anything moved


def _rsync_points_intact(base: Path, ids: set[str], source: Path) -> None:
    expected = tree(source)
    for pid in ids:
        got = tree(base / pid / "files" / source.name)
        assert got == expected, pid
    assert os.readlink(base / "latest") == max(ids)


def test_rsync_local(profile_config: Path, drive: Path, app_dir: Path) -> None:
    (app_dir / "files" / "big.bin").write_bytes(os.urandom(100_000))
    add_destination(profile_config, "rs", "rsync", path=drive)
    append_toml(profile_config, policy_block("gfs", "rs", "files"))
    with open_service(profile_config) as svc:
        ids = backups(svc, "rs", "gfs", "files")
        # unchanged files are hard links shared by every point
        assert os.stat(drive / ids["F"] / "files" / "files" / "big.bin").st_nlink == len(TIMES)
        check_prune(svc, "rs", "gfs", ids, set())
        _rsync_points_intact(drive, {ids[x] for x in EXPECTED}, app_dir / "files")
        # the removed points wait in the trash (layer 1) until purged
        assert os.stat(drive / ids["F"] / "files" / "files" / "big.bin").st_nlink == len(TIMES)
        svc.trash_purge(all_=True)
        assert os.stat(drive / ids["F"] / "files" / "files" / "big.bin").st_nlink == len(EXPECTED)
        assert not [p for p in drive.iterdir() if p.name.startswith(".removing-")]


@pytest.mark.slow
def test_rsync_over_ssh(profile_config: Path, tmp_path: Path, app_dir: Path, sshd: SshServer) -> None:
    base = tmp_path / "remote base"
    add_destination(profile_config, "far", "rsync", path=f"{sshd.user}@{sshd.host}:{base}", port=sshd.port,
                    identity_file=sshd.identity_file, known_hosts_file=sshd.known_hosts_file,
                    ssh_options=list(TEST_SSH_OPTIONS))
    append_toml(profile_config, policy_block("gfs", "far", "files"))
    with open_service(profile_config) as svc:
        # fewer runs than elsewhere (each costs a few ssh connections): F daily+weekly, D daily+weekly
        ids = backups(svc, "far", "gfs", "files", letters="BCDF")
        check_prune(svc, "far", "gfs", ids, set(), expected={"D", "F"})
        _rsync_points_intact(base, {ids["D"], ids["F"]}, app_dir / "files")
        assert not [p for p in base.iterdir() if p.name.startswith(".removing-")]


@pytest.fixture
def restic_config(profile_config: Path, tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "repo").mkdir()
    add_destination(profile_config, "vault", "restic", repository=tmp_path / "repo",
                    password_file=password_file(tmp_path), auto_init=True)
    yield append_toml(profile_config, policy_block("gfs", "vault"))


@pytest.mark.slow
def test_restic(restic_config: Path) -> None:
    with open_service(restic_config) as svc:
        with clock.pinned(datetime(2026, 1, 1, tzinfo=UTC)):
            manual = svc.run_backup("vault", "config")
        assert manual.ok, manual.error_message
        short = backups(svc, "vault", "gfs")
        points = {p.id: p for p in svc.list_restore_points("vault")}
        # the backup reports restic's short id; listing gives full ones
        ids = {x: next(pid for pid in points if pid.startswith(sid)) for x, sid in short.items()}
        manual_id = next(pid for pid in points if pid.startswith(manual.details["point"]["id"]))
        assert points[ids["A"]].created_at == clock.to_catalog(TIMES["A"])  # restic's time is the backup's
        check_prune(svc, "vault", "gfs", ids, {manual_id})
        check = svc.check_destination("vault")
        assert check.ok, check.error_message
