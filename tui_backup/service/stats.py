"""`stats`: per destination, the restore points, storage used and space saved; recent activity.

Unlike `status` this lists every destination (it may be slow or remote: it is asked for).
How storage is measured, per type:

- restic: `restic stats --json --mode raw-data` (the deduplicated, compressed data in the
  repository) against `--mode restore-size` (what restoring every snapshot would write);
  saved = the difference. Whole repository, `--no-lock` (read-only; never waits on a prune).
- rsync, local base: every restore point directory walked with `os.lstat`; apparent size =
  every file counted each time it appears, stored = each (st_dev, st_ino) counted once, so
  the hard links `--link-dest` made cost nothing; saved = the difference. File sizes, not
  disk blocks (block rounding would hide small savings and differ between filesystems).
- rsync over ssh: GNU `du -sb` (hard links once) against `du -slb` (counted each time) run
  through the destination's ssh settings; when that fails the sizes are reported as n/a.
- local: full copies (or archives) share nothing: stored = the sizes of the files, saved 0.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import shlex
import subprocess
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tui_backup import clock
from tui_backup.catalog import jobs as job_rows
from tui_backup.catalog import policy_runs as pr
from tui_backup.catalog.jobs import JobRecord
from tui_backup.catalog.policy_runs import PolicyRun
from tui_backup.errors import TuiBackupError

if TYPE_CHECKING:
    from tui_backup.destinations.base import Destination, RestorePoint
    from tui_backup.destinations.local import LocalDestination
    from tui_backup.destinations.restic import ResticDestination
    from tui_backup.destinations.rsync import RsyncDestination
    from tui_backup.service.profile import ProfileService

RECENT = 10
REMOTE_DU_TIMEOUT_S = 600.0
T = TypeVar("T")


@dataclass(frozen=True)
class DestinationStats:
    name: str
    type: str
    location: str  # describe(): no secret in it
    policies: list[str]  # the policies writing there
    point_count: int | None = None  # every restore point listed (None: could not list)
    own_point_count: int | None = None  # those made by this profile with tui-backup
    newest_point_at: str | None = None
    stored_bytes: int | None = None  # what the destination really holds
    logical_bytes: int | None = None  # what its restore points add up to, each in full
    saved_bytes: int | None = None  # logical - stored: deduplication, hard links, compression
    method: str = ""  # how the sizes were measured
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # offline, listing failed, ...

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "location": self.location,
            "policies": list(self.policies),
            "point_count": self.point_count,
            "own_point_count": self.own_point_count,
            "newest_point_at": self.newest_point_at,
            "stored_bytes": self.stored_bytes,
            "logical_bytes": self.logical_bytes,
            "saved_bytes": self.saved_bytes,
            "method": self.method,
            "notes": list(self.notes),
            "error": self.error,
        }


@dataclass(frozen=True)
class StatsReport:
    profile: str
    generated_at: str
    destinations: list[DestinationStats]
    recent_runs: list[PolicyRun]  # newest first
    recent_jobs: list[JobRecord]  # newest first

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "generated_at": self.generated_at,
            "destinations": [d.to_json() for d in self.destinations],
            "recent_runs": [r.to_json() for r in self.recent_runs],
            "recent_jobs": [j.to_json() for j in self.recent_jobs],
        }


@dataclass(frozen=True)
class _Sizes:
    stored: int | None
    logical: int | None
    method: str
    note: str | None = None


# ---- measuring ----


def _run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end from synchronous code, even under a running loop (the TUI)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def walk_sizes(roots: Iterable[Path]) -> tuple[int, int]:
    """(apparent, stored) bytes of the regular files under `roots`: apparent counts every
    path, stored each inode once (hard links are free). Symlinks are not followed."""
    apparent = stored = 0
    seen: set[tuple[int, int]] = set()
    for root in roots:
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                try:
                    st = os.lstat(os.path.join(dirpath, name))
                except OSError:
                    continue  # removed while we walk (a prune): not ours to count
                if not (st.st_mode & 0o170000 == 0o100000):  # regular files only
                    continue
                apparent += st.st_size
                key = (st.st_dev, st.st_ino)
                if key not in seen:
                    seen.add(key)
                    stored += st.st_size
    return apparent, stored


def _restic_sizes(dest: ResticDestination) -> _Sizes:
    async def stats(mode: str) -> int:
        c, out = await dest._run(None, ["stats", "--json", "--no-lock", "--mode", mode], capture=True, initialise=False)
        c.raise_if_failed()
        data = json.loads(out.decode("utf-8", "replace").strip().splitlines()[-1])
        return int(data["total_size"])

    raw = _run_sync(stats("raw-data"))
    restore = _run_sync(stats("restore-size"))
    return _Sizes(raw, restore, "restic stats: raw-data vs restore-size (whole repository)")


def _rsync_sizes(dest: RsyncDestination) -> _Sizes:
    from tui_backup.destinations.rsync import INPROGRESS, STAMP_RE

    site = dest.site
    if site.local is not None:
        base = site.local
        roots = sorted(p for p in base.iterdir() if STAMP_RE.match(p.name) and p.is_dir() and not p.is_symlink()) \
            if base.is_dir() else []
        apparent, stored = walk_sizes(roots)
        return _Sizes(stored, apparent, "file sizes, hard links counted once")
    remote = site.remote
    assert remote is not None
    exclude = shlex.quote(f"*{INPROGRESS}")
    script = (f"cd -- {shlex.quote(remote.path)} && du -sb --exclude={exclude} -- . "
              f"&& du -slb --exclude={exclude} -- .")
    method = "du over ssh: hard links counted once vs each time"
    try:
        done = subprocess.run(remote.target.ssh_command(script), stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=REMOTE_DU_TIMEOUT_S, check=False)
        lines = done.stdout.split()
        if done.returncode != 0 or len(lines) < 4:
            err = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
            return _Sizes(None, None, method, f"sizes n/a for a remote rsync destination: du failed ({err})")
        return _Sizes(int(lines[0]), int(lines[2]), method)
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        return _Sizes(None, None, method, f"sizes n/a for a remote rsync destination: {exc}")


def _local_sizes(dest: LocalDestination) -> _Sizes:
    root = dest.root
    roots = [p for p in root.iterdir() if not p.name.startswith(".") and not p.is_symlink()] if root.is_dir() else []
    apparent, stored = 0, 0
    for p in roots:
        if p.is_file():
            apparent += p.stat().st_size
            stored += p.stat().st_size
    a, s = walk_sizes(p for p in roots if p.is_dir())
    return _Sizes(stored + s, apparent + a, "file sizes (full copies share nothing)")


def _sizes(dest: Destination) -> _Sizes:
    from tui_backup.destinations.local import LocalDestination
    from tui_backup.destinations.restic import ResticDestination
    from tui_backup.destinations.rsync import RsyncDestination

    if isinstance(dest, ResticDestination):
        return _restic_sizes(dest)
    if isinstance(dest, RsyncDestination):
        return _rsync_sizes(dest)
    if isinstance(dest, LocalDestination):
        return _local_sizes(dest)
    return _Sizes(None, None, "", f"no size measurement for {dest.type} destinations")


def destination_stats(svc: ProfileService, dest: Destination) -> DestinationStats:
    policies = [p.name for p in svc.policies() if p.destination == dest.name]
    base = DestinationStats(dest.name, dest.type, dest.describe(), policies)
    volume = dest.volume()
    if volume is not None:
        st = svc.guard.check(volume)
        if not st.ok:
            return _with(base, error=f"{st.state}: {st.detail}")
    try:
        points: list[RestorePoint] = svc.list_restore_points(dest.name)
    except TuiBackupError as exc:
        return _with(base, error=f"cannot list restore points: {exc.message}")
    own = [p for p in points if not p.foreign and p.complete]
    newest = max((p.created_at for p in points), default=None)
    try:
        sizes = _sizes(dest)
    except (TuiBackupError, OSError, ValueError, KeyError) as exc:
        message = exc.message if isinstance(exc, TuiBackupError) else str(exc)
        sizes = _Sizes(None, None, "", f"sizes n/a: {message}")
    saved = sizes.logical - sizes.stored if sizes.logical is not None and sizes.stored is not None else None
    return _with(
        base,
        point_count=len(points),
        own_point_count=len(own),
        newest_point_at=newest,
        stored_bytes=sizes.stored,
        logical_bytes=sizes.logical,
        saved_bytes=saved,
        method=sizes.method,
        notes=[sizes.note] if sizes.note else [],
    )


def _with(base: DestinationStats, **changes: Any) -> DestinationStats:
    from dataclasses import replace

    return replace(base, **changes)


def profile_stats(svc: ProfileService, *, recent: int = RECENT) -> StatsReport:
    return StatsReport(
        profile=svc.config.name,
        generated_at=clock.to_catalog(clock.now()),
        destinations=[destination_stats(svc, d) for d in svc.destinations()],
        recent_runs=pr.list_runs(svc.catalog, limit=recent),
        recent_jobs=job_rows.list_jobs(svc.catalog, recent),
    )
