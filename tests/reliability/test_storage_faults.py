"""Storage faults (R3): a destination that fills up or turns read-only mid-backup, a drive
unplugged between runs, sshd going away mid-transfer (rsync over SSH; restic over SFTP is
tests/fixes/test_restic_sftp_sshd_stopped.py), source files vanishing or changing while a
backup runs, and the catalog locked by another process for longer than the busy timeout.

Each: the right error kind, nothing corrupted (no half-written point listed, every listed
point verifies, the catalog is consistent), and the next run succeeds once the fault is gone.
The tool runs as a real child process (its --json events carry the error kind); mounts are
real (tmpfs, bind mounts) and unmounted at the end of each test, also when it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import add_destination, open_service
from tests.reliability.conftest import CaseRecorder
from tests.reliability.faults import (  # noqa: F401
    Storage,
    catalog_problems,
    finished,
    pause_cli,
    run_cli,
    storage,
)
from tests.remote.conftest import (  # noqa: F401
    RESTIC_TEST_PASSWORD,
    password_file,
    restic_template,
    sshd,
    sshd_server,
)
from tests.remote.servers.sshd import TEST_SSH_OPTIONS, SshServer
from tui_backup.jobs.errors import ErrorKind, exit_code_for

VERIFIED = "every listed point verifies and no .incomplete- thing is left"


def _incomplete(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*") if ".incomplete-" in p.name) if root.exists() else []


def _points(config: Path, dest: str) -> list[str]:
    with open_service(config) as svc:
        return [p.id for p in svc.list_restore_points(dest)]


def _assert_points_verify(config: Path, dest: str) -> None:
    """Every listed point is complete and the destination's check passes (R1's invariant)."""
    from tests.reliability.invariants import assert_points_complete

    with open_service(config) as svc:
        assert_points_complete(svc, [dest])


def _assert_catalog_ok(config: Path) -> None:
    with open_service(config) as svc:
        path = svc.catalog.path
    assert catalog_problems(path) == []


def _low_floor(config: Path) -> None:
    """The guard's free-space floor below a small tmpfs's size."""
    with open_service(config) as svc:
        svc.set_config_value("volumes.min_free_mb", 1)


def _restic(config: Path, tmp_path: Path, repo: Path, template: Path, name: str = "vault") -> None:
    shutil.copytree(template, repo, dirs_exist_ok=True)
    add_destination(config, name, "restic", repository=repo, password_file=password_file(tmp_path))


# --- destination filled up mid-backup ------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("kind", ["rsync", "restic"])
def test_destination_fills_up_mid_backup(
    kind: str, profile_config: Path, app_dir: Path, storage: Storage, tmp_path: Path,  # noqa: F811
    restic_template: Path, cases: CaseRecorder,  # noqa: F811
) -> None:
    """(local and archive destinations: tests/fixes/test_local_disk_full.py)"""
    if storage.delegated:
        return
    row = cases("Storage faults", f"destination filled up mid-backup ({kind})",
                "disk-full error kind; no half-written point listed; the next run succeeds once it fits")
    small = storage.tmpfs(tmp_path / "small", size="6m")
    if kind == "rsync":
        (small / "mirror").mkdir()
        add_destination(profile_config, "dest", "rsync", path=small / "mirror")
    else:
        _restic(profile_config, tmp_path, small / "repo", restic_template, "dest")
    _low_floor(profile_config)
    big = app_dir / "files" / "big.bin"
    big.write_bytes(os.urandom(12 * 1024 * 1024))  # twice the drive, incompressible

    r = run_cli(profile_config, "backup", "run", "dest", "--type", "files", "--json")
    done = finished(r.stdout)
    assert done["status"] == "failed" and done["error_kind"] == ErrorKind.DISK_FULL.value, (done, r.stderr)
    assert r.returncode == exit_code_for("failed", ErrorKind.DISK_FULL), r.stderr
    row.tried += 1
    assert _points(profile_config, "dest") == []
    assert _incomplete(small) == []
    _assert_catalog_ok(profile_config)

    big.unlink()  # the fault is gone: the backup fits
    again = run_cli(profile_config, "backup", "run", "dest", "--type", "files", "--json")
    assert again.returncode == 0, (again.stdout[-2000:], again.stderr)
    assert len(_points(profile_config, "dest")) == 1
    _assert_points_verify(profile_config, "dest")
    if kind == "restic":
        check = run_cli(profile_config, "destination", "check", "dest")
        assert check.returncode == 0, (check.stdout[-2000:], check.stderr)
    row.tried += 1


# --- destination becomes read-only --------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("kind", ["local", "rsync"])
def test_destination_becomes_read_only(
    kind: str, profile_config: Path, app_dir: Path, storage: Storage, tmp_path: Path,  # noqa: F811
    cases: CaseRecorder,
) -> None:
    if storage.delegated:
        return
    row = cases("Storage faults", f"destination remounted read-only ({kind})",
                "refused (between runs) or failed (mid-backup) with a clear error; existing points intact, "
                "listed, checked and restorable while read-only; the next run after remount rw succeeds")
    drive = storage.tmpfs(tmp_path / "drive", size="32m")
    if kind == "rsync":
        (drive / "mirror").mkdir()
    add_destination(profile_config, "dest", kind, path=drive if kind == "local" else drive / "mirror")
    _low_floor(profile_config)
    first = run_cli(profile_config, "backup", "run", "dest", "--type", "files", "--json")
    assert first.returncode == 0, first.stderr
    before = _points(profile_config, "dest")

    # between runs: the volume guard refuses before anything starts
    storage.read_only(drive)
    r = run_cli(profile_config, "backup", "run", "dest", "--type", "files", "--json")
    assert r.returncode != 0
    assert "read-only" in (r.stdout + r.stderr), (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    row.tried += 1

    # mid-backup: turned read-only after the manifest, before anything is sent
    storage.read_write(drive)
    resume = tmp_path / "resume"
    proc = pause_cli(profile_config, "backup.after_manifest", resume, "backup", "run", "dest", "--type", "files",
                     "--json")
    try:
        storage.read_only(drive)
        resume.touch()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    done = finished(out)
    assert done["status"] == "failed", (done, err)
    assert done["error_kind"] in (ErrorKind.FAILED.value, ErrorKind.DESTINATION_UNREACHABLE.value), done
    assert "read-only" in (done.get("error_message") or "").lower(), done
    assert "Traceback" not in err
    row.tried += 1

    # still read-only: its points list, check and restore (a write-protected drive is read from)
    assert _points(profile_config, "dest") == before
    check = run_cli(profile_config, "destination", "check", "dest")
    assert check.returncode == 0, (check.stdout[-2000:], check.stderr)
    out_dir = tmp_path / "restored-from-read-only"
    restored = run_cli(profile_config, "backup", "restore", "dest", before[0], "--files", "--to", str(out_dir))
    assert restored.returncode == 0, (restored.stdout[-2000:], restored.stderr)
    assert any(p.is_file() for p in out_dir.rglob("*"))
    row.tried += 1

    storage.read_write(drive)
    assert _points(profile_config, "dest") == before
    again = run_cli(profile_config, "backup", "run", "dest", "--type", "files", "--json")
    assert again.returncode == 0, (again.stdout[-2000:], again.stderr)
    assert len(_points(profile_config, "dest")) == len(before) + 1
    assert _incomplete(drive) == []
    _assert_points_verify(profile_config, "dest")
    _assert_catalog_ok(profile_config)


# --- drive unplugged between runs ---------------------------------------------------------

@pytest.mark.slow
def test_drive_unplugged_between_runs(
    profile_config: Path, app_dir: Path, storage: Storage, tmp_path: Path, cases: CaseRecorder,  # noqa: F811
) -> None:
    if storage.delegated:
        return
    row = cases("Storage faults", "destination drive unplugged between runs (mount point emptied)",
                "the volume guard refuses (offline); nothing marked lost or trashed; "
                "the next run after re-plugging succeeds")
    disk = storage.tmpfs(tmp_path / "disk", size="32m")  # the drive itself, kept while "unplugged"
    mnt = storage.bind(disk, tmp_path / "mnt")
    add_destination(profile_config, "usb", path=mnt)
    _low_floor(profile_config)
    for _ in range(2):
        r = run_cli(profile_config, "backup", "run", "usb", "--type", "files", "--json")
        assert r.returncode == 0, r.stderr
    before = _points(profile_config, "usb")
    with open_service(profile_config) as svc:
        trash_before = [t.id for t in svc.trash_items()]

    storage.unmount(mnt)  # the mount point is an empty directory now
    assert list(mnt.iterdir()) == []
    for args in (("backup", "run", "usb", "--type", "files", "--json"), ("backup", "list", "usb")):
        r = run_cli(profile_config, *args)
        assert r.returncode != 0, (args, r.stdout)
        assert "offline" in (r.stdout + r.stderr), (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr
        row.tried += 1
    assert list(mnt.iterdir()) == []  # nothing written onto the empty mount point
    with open_service(profile_config) as svc:
        assert [t.id for t in svc.trash_items()] == trash_before
        assert not [e for e in svc.journal_list() if "lost" in e.action or "remove" in e.action]

    storage.bind(disk, mnt)  # plugged in again: everything is there and the next run works
    assert _points(profile_config, "usb") == before
    r = run_cli(profile_config, "backup", "run", "usb", "--type", "files", "--json")
    assert r.returncode == 0, r.stderr
    assert len(_points(profile_config, "usb")) == 3
    _assert_points_verify(profile_config, "usb")
    _assert_catalog_ok(profile_config)
    row.tried += 1


# --- sshd stopped mid-transfer (rsync over SSH) ------------------------------------------

@pytest.mark.slow
def test_sshd_stopped_mid_rsync_transfer(
    profile_config: Path, app_dir: Path, sshd: SshServer, tmp_path: Path, cases: CaseRecorder,  # noqa: F811
) -> None:
    row = cases("Storage faults", "sshd stopped mid-transfer (rsync over SSH)",
                "destination-unreachable error kind; no incomplete point listed; the next run succeeds")
    for i in range(3):
        (app_dir / "files" / f"blob-{i}.bin").write_bytes(os.urandom(8 * 1024 * 1024))
    base = tmp_path / "remote"
    add_destination(profile_config, "far", "rsync", path=f"{sshd.user}@{sshd.host}:{base}", port=sshd.port,
                    identity_file=sshd.identity_file, known_hosts_file=sshd.known_hosts_file,
                    ssh_options=list(TEST_SSH_OPTIONS))
    from tests.reliability.faults import cli

    proc = cli(profile_config, "backup", "run", "far", "--type", "files", "--json")
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if base.exists() and any(p.is_file() and p.name.startswith(".blob") for p in base.rglob("*")):
                break
            time.sleep(0.005)
        assert proc.poll() is None, "the backup finished before the host could go away"
        sshd.stop()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        if not sshd.running:
            sshd.start()
    done = finished(out)
    assert done["status"] == "failed", (done, err)
    assert done["error_kind"] == ErrorKind.DESTINATION_UNREACHABLE.value, (done["error_message"], done.get("hint"), err)
    assert proc.returncode == exit_code_for("failed", ErrorKind.DESTINATION_UNREACHABLE)
    assert _points(profile_config, "far") == []
    row.tried += 1

    again = run_cli(profile_config, "backup", "run", "far", "--type", "files", "--json")
    assert again.returncode == 0, (again.stdout[-2000:], again.stderr)
    assert len(_points(profile_config, "far")) == 1
    _assert_points_verify(profile_config, "far")
    _assert_catalog_ok(profile_config)
    row.tried += 1


# --- a source file vanishing or changing during the backup ------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("kind", ["local", "rsync", "restic"])
@pytest.mark.parametrize("change", ["vanish", "change"])
def test_source_file_changes_during_backup(
    kind: str, change: str, profile_config: Path, app_dir: Path, drive: Path, tmp_path: Path,
    restic_template: Path, cases: CaseRecorder,  # noqa: F811
) -> None:
    row = cases("Storage faults", f"source file {'vanishing' if change == 'vanish' else 'changing'} during "
                "the backup", "a warning or a classified failure, never a point whose checksums lie; "
                "the next run succeeds")
    if kind == "restic":
        _restic(profile_config, tmp_path, tmp_path / "repo", restic_template, "dest")
    else:
        (drive / "d").mkdir()
        add_destination(profile_config, "dest", kind, path=drive / "d")
    victim = app_dir / "files" / "victim.txt"
    victim.write_text("before\n" * 100)
    resume = tmp_path / "resume"
    proc = pause_cli(profile_config, "backup.after_manifest", resume, "backup", "run", "dest", "--type", "files",
                     "--json")
    try:
        if change == "vanish":
            victim.unlink()
        else:
            victim.write_text("after, and longer than before\n" * 100)
        resume.touch()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "Traceback" not in err
    done = finished(out)
    # the manifest (hashed before the change) would lie about the file: the point is not kept
    assert done["status"] == "failed", done
    assert done["error_kind"] in {k.value for k in ErrorKind} and done.get("error_message"), done
    assert _points(profile_config, "dest") == [], done
    row.tried += 1
    _assert_points_verify(profile_config, "dest")  # whatever was kept verifies against its metadata
    assert _incomplete(drive) == []

    if change == "change":
        victim.write_text("settled\n")
    again = run_cli(profile_config, "backup", "run", "dest", "--type", "files", "--json")
    assert again.returncode == 0, (again.stdout[-2000:], again.stderr)
    _assert_points_verify(profile_config, "dest")
    _assert_catalog_ok(profile_config)


# --- the catalog locked by another process --------------------------------------------

HOLD = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO schema_version SELECT MAX(version) + 1000, 'lock' FROM schema_version")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


@pytest.mark.parametrize("command", [
    ("backup", "run", "dest", "--type", "files"),
    ("snapshot", "create"),
    ("trash", "put", "{victim}"),
    ("config", "set", "volumes.min_free_mb", "5"),
])
def test_catalog_locked_longer_than_busy_timeout(
    command: tuple[str, ...], profile_config: Path, app_dir: Path, drive: Path, monkeypatch: pytest.MonkeyPatch,
    cases: CaseRecorder,
) -> None:
    """Run in-process (Typer's CliRunner, the same code path as the CLI) with a short busy
    timeout, so the lock outlasts it without the test waiting the real 15 s."""
    from tui_backup.catalog import _db
    from tui_backup.cli import app

    row = cases("Storage faults", "catalog locked by another process longer than the busy timeout",
                "a one-line error and hint, no traceback, nothing half-done; the next run succeeds")
    add_destination(profile_config, "dest", path=drive)
    victim = app_dir / "files" / "a.txt"
    args = ["--config", str(profile_config), *(a.format(victim=victim) for a in command)]
    with open_service(profile_config) as svc:
        catalog = svc.catalog.path
        snapshots = svc.paths.snapshots_dir
    config_before = profile_config.read_bytes()

    def stored() -> list[str]:  # what the snapshots dir holds (nothing half-written added)
        return sorted(p.name for p in snapshots.rglob("*")) if snapshots.exists() else []

    snapshots_before = stored()
    monkeypatch.setattr(_db, "BUSY_TIMEOUT_MS", 300)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(catalog)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        t0 = time.monotonic()
        r = CliRunner().invoke(app, args)
        took = time.monotonic() - t0
    finally:
        holder.communicate("", timeout=10)
    out = r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in out and "unexpected" not in out, out
    assert took < 30
    assert r.exit_code != 0, out
    assert "locked by another process" in out, out
    assert victim.exists() and victim.read_text() == "hello\n"
    assert stored() == snapshots_before
    # a config edit is refused too: it never lands without its journal entry
    assert profile_config.read_bytes() == config_before
    row.tried += 1
    assert catalog_problems(catalog) == []

    again = CliRunner().invoke(app, args)  # the lock is gone: the same command works
    assert again.exit_code == 0, again.output
    assert catalog_problems(catalog) == []


def test_classify_rsync_ssh_lost_mid_transfer() -> None:
    """rsync 3.5's only stderr line when sshd went away mid-transfer (seen in the test above)."""
    from tui_backup.jobs.errors import classify_rsync

    c = classify_rsync(255, ["rsync error: unexplained error (code 255) at io.c(949) [sender=3.5.0]"],
                       {"destination": "far"})
    assert (c.failed, c.kind) == (True, ErrorKind.DESTINATION_UNREACHABLE)
