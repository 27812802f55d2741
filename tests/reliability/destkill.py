"""Killing backups and restores to each destination type: set-up, the CLI as a real child
process, and the checks that follow a kill (R2 of issue 7).

Destination kinds: `local` (directory), `local-archive` (`archive = true`), `rsync-local`,
`rsync-ssh` (the loopback sshd of tests/remote) and `restic` (a local repository copied from
the session's initialised template). Every kind's data lands on this machine's filesystem,
so leftovers (`.incomplete-*`, restic locks) are inspected directly.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import add_destination
from tests.remote.conftest import password_file
from tests.remote.servers.sshd import TEST_SSH_OPTIONS, SshServer
from tui_backup.jobs.events import Finished
from tui_backup.service import ProfileService

KINDS = ("local", "local-archive", "rsync-local", "rsync-ssh", "restic")
DEST = "target"
INCOMPLETE = ".incomplete-"
# What the tool leaves only while it runs: a next run must have cleaned every one of these up.
TEMP_MARKS = (INCOMPLETE, ".tui-backup-staging-", ".tui-backup-safety-")
TEMP_SUFFIXES = (".inprogress",)  # an rsync run not yet renamed to its stamp


@dataclass(frozen=True)
class Target:
    kind: str
    root: Path  # where the destination's data is, on this machine
    env: dict[str, str]  # for restic: the repository's password file


def add_target(kind: str, config: Path, base: Path, sshd: SshServer | None, restic_template: Path | None) -> Target:
    """Append destination `target` of `kind` to the profile's config."""
    root = base / f"dest-{kind}"
    env: dict[str, str] = {}
    if kind in ("local", "local-archive"):
        root.mkdir()
        add_destination(config, DEST, path=root, archive=kind == "local-archive")
    elif kind == "rsync-local":
        root.mkdir()
        add_destination(config, DEST, "rsync", path=str(root))
    elif kind == "rsync-ssh":
        assert sshd is not None
        root.mkdir()
        add_destination(config, DEST, "rsync", path=f"{sshd.user}@{sshd.host}:{root}", port=sshd.port,
                        identity_file=sshd.identity_file, known_hosts_file=sshd.known_hosts_file,
                        ssh_options=list(TEST_SSH_OPTIONS))
    elif kind == "restic":
        assert restic_template is not None
        shutil.copytree(restic_template, root)
        pw = password_file(base)
        add_destination(config, DEST, "restic", repository=str(root), password_file=pw)
        env = {"RESTIC_PASSWORD_FILE": str(pw)}
    else:
        raise AssertionError(kind)
    return Target(kind, root, env)


# ---- the CLI as a real child process ----

def cli_args(*args: str) -> list[str]:
    return [sys.executable, "-m", "tui_backup", *args]


def child_env(config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RESTIC_", "TUI_BACKUP_"))}
    env["TUI_BACKUP_CONFIG"] = str(config)
    return env


def backup_args() -> list[str]:
    return cli_args("backup", "run", DEST)


def restore_args(point: str) -> list[str]:
    return cli_args("backup", "restore", DEST, point, "--yes")


def run_ok(config: Path, args: list[str], timeout: float = 120) -> float:
    """Run a normal (unkilled) command; it must succeed. Returns its wall time."""
    t0 = time.monotonic()
    done = subprocess.run(args, env=child_env(config), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)
    took = time.monotonic() - t0
    assert done.returncode == 0, f"{args[3:]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return took


def kill_during(config: Path, args: list[str], delay: float) -> bool:
    """Start `args`, SIGKILL it after `delay` s. True if it had ended first."""
    proc = subprocess.Popen(args, env=child_env(config), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=delay)
        return True
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return False


def group_gone(pgid: int) -> bool:
    """No process of process group `pgid` is left (zombies of reaped parents aside)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return False
    return True


# ---- states of the live data ----

def db_state(path: Path) -> str:
    """A digest of the database's logical content; the integrity check must pass first."""
    conn = sqlite3.connect(path)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        assert ok == "ok", f"{path}: integrity_check says {ok}"
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_state(*roots: Path) -> dict[str, str]:
    """path → sha256 of every regular file under `roots` (a root may be a single file)."""
    out: dict[str, str] = {}
    for root in roots:
        if root.is_file():
            out[str(root)] = _sha(root)
            continue
        for p in sorted(root.rglob("*")):
            if p.is_file() and not p.is_symlink():
                out[str(p)] = _sha(p)
    return out


def assert_tree_before_or_after(now: dict[str, str], before: dict[str, str], after: dict[str, str]) -> None:
    for path in sorted(set(now) | set(before) | set(after)):
        assert now.get(path) in (before.get(path), after.get(path)), (
            f"{path}: neither its before nor its after version (now {now.get(path)}, "
            f"before {before.get(path)}, after {after.get(path)})")


def trash_contents(svc: ProfileService) -> set[str]:
    """sha256 of every file held by the profile's trash items."""
    shas: set[str] = set()
    for item in svc.trash_items():
        stored = Path(item.stored)
        shas.update(tree_state(stored).values() if stored.exists() else ())
    return shas


def assert_nothing_lost(svc: ProfileService, before: dict[str, str], now: dict[str, str]) -> None:
    """Every file version that existed before is in its place or in the trash."""
    missing = {p for p, h in before.items() if now.get(p) != h}
    if missing:
        in_trash = trash_contents(svc)
        lost = sorted(p for p in missing if before[p] not in in_trash)
        assert not lost, f"gone from both its place and the trash: {lost}"


# ---- the destination's side ----

def leftovers(*roots: Path) -> list[Path]:
    """Temporaries of a run (incomplete points, staging and safety dirs) under `roots`."""
    found: list[Path] = []
    for root in roots:
        found += [p for p in _walk(root) if _temporary(p)]
    return found


def _temporary(p: Path) -> bool:
    return p.name.startswith(TEMP_MARKS) or p.name.endswith(TEMP_SUFFIXES)


def _walk(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for p in root.iterdir():
        yield p
        if p.is_dir() and not p.is_symlink() and not _temporary(p):
            yield from _walk(p)


def restic_locks(target: Target) -> list[str]:
    """The repository's lock files (a local repository: read its locks/ directly, no key needed)."""
    locks = target.root / "locks"
    return sorted(p.name for p in locks.iterdir()) if locks.is_dir() else []


def restic(target: Target, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESTIC_")}
    env.update(target.env)
    return subprocess.run(["restic", "-r", str(target.root), "--no-cache", *args], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)


def assert_points_listed_complete(svc: ProfileService) -> int:
    """No incomplete point is listed. Returns how many are listed."""
    points = svc.list_restore_points(DEST)
    for pt in points:
        assert pt.complete and INCOMPLETE not in pt.id, f"an incomplete point is listed: {pt}"
    return len(points)


def assert_points_complete(svc: ProfileService, target: Target) -> int:
    """Every restore point listed is complete and verifies (the destination's check: metadata
    checksums of every point, or `restic check`). Returns how many are listed."""
    count = assert_points_listed_complete(svc)
    finished: Finished = svc.check_destination(DEST)
    assert finished.ok, f"check of {target.kind}: {finished}"
    return count
