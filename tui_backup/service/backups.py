"""Running a backup of the profile to a destination (layer 4), as a job.

`run_backup(svc, name, type)`:
1. the volume guard (layer 0): the sources this type reads and the destination's volume;
2. for full/database, a fresh snapshot through layer 3 (verified; never the live file);
3. the BackupContent (see destinations/base.py): the snapshot's artifact and its
   metadata.json, the files directories and config files (labels = unique basenames),
   and a metadata.json listing every artifact with its size and SHA-256 (the files
   trees file by file), the database's per-table row counts and where each part came from,
   written 0600 in a private temp dir;
4. `destination.backup(ctx, content)`.
It all runs as one job of the runner (lock = the destination's name), so progress,
cancellation, timeouts and the catalog work the same for every destination.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_backup import __version__, clock
from tui_backup.catalog._db import utc_now
from tui_backup.destinations import destination_named, destinations_of
from tui_backup.destinations._manifest import sha256_file
from tui_backup.destinations.base import (
    BACKUP_TYPES,
    METADATA_NAME,
    TOOL_TAG,
    BackupContent,
    BackupType,
    ContentPart,
    Destination,
    RestorePoint,
)
from tui_backup.errors import TuiBackupError, UsageError
from tui_backup.fsutil import atomic_write_text
from tui_backup.jobs.errors import ErrorKind, JobError, describe
from tui_backup.jobs.events import Finished, Progress
from tui_backup.jobs.runner import JobContext, JobRunner, JobSpec, Subscriber, run_job_sync
from tui_backup.service import journal as _journal
from tui_backup.service.faults import checkpoint
from tui_backup.service.hash_cache import CACHE_NAME, HashCache, stamp_of
from tui_backup.service.row_index import ROW_INDEX_NAME
from tui_backup.service.safety_trash import recover_safety_areas
from tui_backup.service.staging import remove_stale_staging

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService

METADATA_FORMAT = 1


def check_type(type_: str) -> BackupType:
    if type_ not in BACKUP_TYPES:
        raise UsageError(f"unknown backup type {type_!r}", f"use one of: {', '.join(BACKUP_TYPES)}")
    return type_


def unique_labels(paths: Iterable[Path]) -> list[tuple[str, Path]]:
    """(label, path) with labels the paths' basenames, made unique with -2, -3, ..."""
    out: list[tuple[str, Path]] = []
    used: set[str] = set()
    for p in paths:
        base = p.name or "root"
        label, n = base, 1
        while label in used:
            n += 1
            label = f"{base}-{n}"
        used.add(label)
        out.append((label, p))
    return out


def guard_sources(svc: ProfileService, type_: BackupType) -> None:
    """Layer 0 for what this backup type reads, before anything starts."""
    wanted: list[str] = []
    if type_ in ("full", "database"):
        wanted.append("source.database")
    if type_ in ("full", "files"):
        wanted.append("source.files[")
    if type_ in ("full", "config"):
        wanted.append("source.config_files[")
    for volume in svc.volumes():
        if any(volume.name.startswith(w) for w in wanted):
            svc.guard.require(volume)


# ---- building the content ----


LAST_SECONDS = "last-point-second.json"


def _new_second(svc: ProfileService, destination: str) -> str:
    """The new point's created_at, never in the second of the previous point at `destination`:
    points are named by their second, and a "run now" right after the daemon's run (one waits
    for the other's destination lock) must not collide with it. We hold that lock: no race."""
    marker = svc.paths.state_dir / LAST_SECONDS
    try:
        seen = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        seen = {}
    if not isinstance(seen, dict):
        seen = {}
    created_at = utc_now()
    real_time = clock.pinned_at() is None and not os.environ.get(clock.NOW_ENV)
    while real_time and seen.get(destination) == created_at[:19]:
        time.sleep(1.0 - time.time() % 1.0 + 0.01)
        created_at = utc_now()
    seen[destination] = created_at[:19]
    atomic_write_text(marker, json.dumps(seen, sort_keys=True) + "\n")
    return created_at


def build_content(
    svc: ProfileService, ctx: JobContext, type_: BackupType, policy: str, dest: Destination, tmp: Path
) -> BackupContent:
    """Snapshot (full/database), hash everything, write metadata.json in `tmp`."""
    created_at = _new_second(svc, dest.name)
    parts: list[ContentPart] = []
    sources: dict[str, str] = {}
    database: dict[str, Any] | None = None
    if type_ in ("full", "database"):
        rec = svc.create_snapshot(
            f"for backup to {dest.name}", kind="manual", cancel=ctx.cancel_token,
            progress=lambda p: ctx.progress(Progress("snapshot: " + p.stage, p.fraction, p.bytes_done, p.bytes_total,
                                                     p.message, current=p.current)),
        )
        ctx.thread_log(f"snapshot {rec.id} taken: {rec.row_count} rows")
        snap_dir = Path(rec.path)
        parts.append(ContentPart(f"database/{rec.artifact}", snap_dir / rec.artifact, False))
        parts.append(ContentPart(f"database/{METADATA_NAME}", snap_dir / METADATA_NAME, False))
        if (snap_dir / ROW_INDEX_NAME).is_file():  # the row index its metadata.json names (layer 2)
            parts.append(ContentPart(f"database/{ROW_INDEX_NAME}", snap_dir / ROW_INDEX_NAME, False))
        sources["database"] = svc.config.source.database.display
        database = {
            "snapshot_id": rec.id,
            "artifact": f"database/{rec.artifact}",
            "source_kind": rec.source_kind,
            "tables": dict(rec.tables),
            "row_count": rec.row_count,
            "db_size_bytes": rec.db_size_bytes,
            "engine_version": rec.engine_version,
        }
    if type_ in ("full", "files"):
        for label, path in unique_labels(svc.config.source.files):
            parts.append(ContentPart(f"files/{label}", path, True))
            sources[f"files/{label}"] = str(path)
    if type_ in ("full", "config"):
        for label, path in unique_labels(svc.config.source.config_files):
            parts.append(ContentPart(f"config/{label}", path, False))
            sources[f"config/{label}"] = str(path)
    unreadable: list[dict[str, str]] = []
    cache = HashCache(svc.paths.state_dir / CACHE_NAME)  # digests of unchanged source files
    stamps: dict[str, tuple[int, int]] = {}
    artifacts, links = _manifest(ctx, parts, cache, unreadable=unreadable, stamps=stamps)
    cache.save()
    metadata: dict[str, Any] = {
        "format": METADATA_FORMAT,
        "tool": TOOL_TAG,
        "tool_version": __version__,
        "profile": svc.config.name,
        "policy": policy,
        "type": type_,
        "created_at": created_at,
        "host": socket.gethostname(),
        "destination": dest.name,
        "artifacts": artifacts,
        "links": links,
        "unreadable": unreadable,  # skipped: not in this backup (the job warned about them)
        "database": database,
        "sources": sources,
    }
    meta_path = tmp / METADATA_NAME
    atomic_write_text(meta_path, json.dumps(metadata, indent=2, sort_keys=True) + "\n")
    parts.insert(0, ContentPart(METADATA_NAME, meta_path, False))
    checkpoint("backup.after_manifest")
    return BackupContent(svc.config.name, policy, type_, created_at, tuple(parts), metadata, stamps)


def _manifest(
    ctx: JobContext, parts: list[ContentPart], cache: HashCache | None = None,
    *, unreadable: list[dict[str, str]] | None = None, stamps: dict[str, tuple[int, int]] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Every regular file of the parts with its size and SHA-256; symlinks with their target.

    A file or directory it may not read (permission denied) is left out and added to
    `unreadable` ({path, source}): the rest is backed up, with a warning (as restic's exit 3
    and rsync's 23). Destinations copy only what the manifest lists. `stamps` gets each
    hashed file's (size, mtime_ns) as seen before hashing: a destination that copies the live
    files later compares them to find a file that changed meanwhile.

    Files and config files whose stat is unchanged since the last backup take their digest
    from `cache` (see hash_cache.py). Hashing stays on this one thread: a pool of hashing
    threads (~2x faster on 2 cores) made tests/backups/test_local.py's Ctrl-C cancel test
    fail after the restic tests had run in the same process (cause not found yet).
    """
    files: list[tuple[str, Path, bool]] = []
    links: list[dict[str, str]] = []
    skipped: list[dict[str, str]] = unreadable if unreadable is not None else []
    for part in parts:
        cacheable = not part.path.startswith("database/")  # snapshot artifacts are new every time
        if not part.is_dir:
            files.append((part.path, part.source, cacheable))
            continue
        def walk_error(exc: OSError, part: ContentPart = part) -> None:
            if isinstance(exc, PermissionError):  # others stay ignored, as os.walk always did
                rel = Path(exc.filename).relative_to(part.source).as_posix()
                skipped.append({"path": part.path if rel == "." else f"{part.path}/{rel}", "source": exc.filename})

        for dirpath, dirnames, filenames in os.walk(part.source, onerror=walk_error):
            base = Path(dirpath)
            rel = base.relative_to(part.source).as_posix()
            prefix = part.path if rel == "." else f"{part.path}/{rel}"
            for name in sorted(dirnames + filenames):
                p = base / name
                if p.is_symlink():
                    links.append({"path": f"{prefix}/{name}", "target": os.readlink(p)})
                elif name in filenames and p.is_file():
                    files.append((f"{prefix}/{name}", p, cacheable))
    total = 0
    for _, p, _c in files:
        total += p.stat().st_size
    done = 0
    files_done = 0
    lock = threading.Lock()

    def report(current: str = "") -> None:
        ctx.progress(Progress("hashing", done / total if total else None, done, total, files_done=files_done,
                              files_total=len(files), current=current))

    def on_bytes(n: int) -> None:
        nonlocal done
        with lock:
            done += n
        ctx.cancel_token.raise_if_cancelled()
        report()

    def hash_one(item: tuple[str, Path, bool]) -> dict[str, Any] | None:
        try:
            return hash_readable(item)
        except PermissionError:
            with lock:
                skipped.append({"path": item[0], "source": str(item[1])})
            return None

    def hash_readable(item: tuple[str, Path, bool]) -> dict[str, Any]:
        nonlocal files_done, done
        rel, p, cacheable = item
        ctx.cancel_token.raise_if_cancelled()
        st = os.stat(p)
        if stamps is not None:
            with lock:
                stamps[rel] = (st.st_size, st.st_mtime_ns)
        if cache is not None and cacheable:
            digest = cache.get(p, st)
            if digest is None:
                started = time.time_ns()
                size, digest = sha256_file(p, on_bytes)
                after = os.stat(p)
                if size == st.st_size and stamp_of(after) == stamp_of(st):
                    cache.put(p, st, digest, started)
            else:
                size = st.st_size
                with lock:
                    done += size
        else:
            size, digest = sha256_file(p, on_bytes)
        with lock:
            files_done += 1
        report(rel)
        return {"path": rel, "size": size, "sha256": digest}

    report()
    out = [a for a in map(hash_one, files) if a is not None]
    skipped.sort(key=lambda u: u["path"])
    return out, links


# ---- the job ----


async def backup_body(svc: ProfileService, dest: Destination, type_: BackupType, policy: str, ctx: JobContext) -> None:
    for gone in await ctx.in_thread(remove_stale_staging, svc):  # a killed restore's leftovers
        ctx.log(f"removed {gone}, left by an earlier restore that did not finish")
    for line in await ctx.in_thread(recover_safety_areas, svc):  # a killed restore's swap
        ctx.log(line)
    if type_ in ("files", "config"):  # full/database take a snapshot, which journals file changes
        from tui_backup.service.changes import journal_file_changes

        await ctx.in_thread(journal_file_changes, svc)
    tmp = Path(tempfile.mkdtemp(prefix="backup-", dir=svc.paths.state_dir))  # 0700
    try:
        try:
            content = await ctx.in_thread(build_content, svc, ctx, type_, policy, dest, tmp)
        except FileNotFoundError as exc:
            message, hint = describe(ErrorKind.SOURCE_MISSING, detail=f"{exc.filename} (vanished while reading it)")
            raise JobError(ErrorKind.SOURCE_MISSING, message, hint) from exc
        except PermissionError as exc:
            raise JobError(ErrorKind.FAILED, f"cannot read {exc.filename}: permission denied",
                           "check its permissions (the tool must be able to read every source file)") from exc
        skipped = [str(u["source"]) for u in content.metadata.get("unreadable", [])]
        if skipped:
            ctx.details["unreadable"] = skipped
            detail = ", ".join(skipped[:3]) + (f" (+{len(skipped) - 3} more)" if len(skipped) > 3 else "")
            ctx.warn(describe(ErrorKind.FILES_UNREADABLE, count=len(skipped), detail=detail)[0], skipped)
        ctx.log(f"backing up {len(content.parts)} part(s) to {dest.describe()}")
        outcome = await dest.backup(ctx, content)
    finally:
        await asyncio.get_running_loop().run_in_executor(None, shutil.rmtree, tmp, True)
    ctx.bytes_done = outcome.bytes_sent
    ctx.details.update({
        "point": outcome.point.to_json(),
        "bytes_sent": outcome.bytes_sent,
        "bytes_linked": outcome.bytes_linked,
        "files": outcome.files,
        "type": type_,
    })
    ctx.summary = f"backup {outcome.point.id} ({type_}) to {dest.name}: {outcome.bytes_sent} bytes, {outcome.files} files"
    await ctx.in_thread(_journal.try_record, svc, "backup.run", f"{dest.name}/{outcome.point.id}", {"destination": dest.name, "point": outcome.point.id, "type": type_, "policy": policy, "bytes_sent": outcome.bytes_sent, "files": outcome.files})  # fmt: skip


def backup_spec(
    svc: ProfileService,
    name: str,
    type_: str = "full",
    *,
    wait: bool = False,
    policy: str = "manual",
    timeout_s: float | None = None,
    on_start: Callable[[], None] | None = None,
) -> JobSpec:
    """The job that backs the profile up to destination `name`, for a runner in a running
    loop (`runner.start(spec, subscribers)`: the TUI, a daemon). The checks that need no
    job happen here, at once: unknown destination or type, the volume guard. `on_start` runs
    once the job holds the destination (a policy's "start" ping: a run refused as busy
    never sends one that no end ping would follow)."""
    kind = check_type(type_)
    dest = destination_named(svc.config, name)
    guard_sources(svc, kind)
    volume = dest.volume()
    if volume is not None:
        svc.guard.require(volume)

    async def body(ctx: JobContext) -> None:
        if on_start is not None:
            await ctx.in_thread(on_start)
        await backup_body(svc, dest, kind, policy, ctx)

    return JobSpec("backup", name, body, lock=name, wait=wait, timeout_s=timeout_s)


def run_backup(
    svc: ProfileService,
    name: str,
    type_: str = "full",
    subscribers: Iterable[Subscriber] = (),
    *,
    wait: bool = False,
    policy: str = "manual",
    timeout_s: float | None = None,
    on_start: Callable[[], None] | None = None,
) -> Finished:
    """Back the profile up to destination `name` (from synchronous code); returns the job's
    Finished event.

    Errors found before the job starts (unknown destination, bad type, a volume the guard
    refuses) are raised as TuiBackupError; everything after is in the Finished event.
    """
    spec = backup_spec(svc, name, type_, wait=wait, policy=policy, timeout_s=timeout_s, on_start=on_start)
    return run_job_sync(JobRunner.for_profile(svc), spec, *subscribers)


def _run_simple(svc: ProfileService, kind: str, dest: Destination, fn: Any, subscribers: Iterable[Subscriber],
                wait: bool = False, *, reads_only: bool = False) -> Finished:
    volume = dest.volume()
    if volume is not None:
        if reads_only:
            svc.guard.require_readable(volume)
        else:
            svc.guard.require(volume)
    spec = JobSpec(kind, dest.name, fn, lock=dest.name, wait=wait)
    return run_job_sync(JobRunner.for_profile(svc), spec, *subscribers)


def list_restore_points(svc: ProfileService, name: str) -> list[RestorePoint]:
    """The restore points at destination `name`, newest first (runs its listing as a job
    without a catalog row: listing is read-only)."""
    dest = destination_named(svc.config, name)
    volume = dest.volume()
    if volume is not None:
        svc.guard.require_readable(volume)  # a write-protected drive still lists
    result: list[RestorePoint] = []

    async def body(ctx: JobContext) -> None:
        result.extend(await dest.list_points(ctx))

    runner = JobRunner(max_concurrent=svc.config.jobs.max_concurrent)
    finished = run_job_sync(runner, JobSpec("list", name, body, uses_slot=False))
    if not finished.ok:
        kind = ErrorKind(finished.error_kind) if finished.error_kind else ErrorKind.FAILED
        raise JobError(kind, finished.error_message or "listing failed", finished.hint or "")
    return result


def init_destination(svc: ProfileService, name: str, subscribers: Iterable[Subscriber] = ()) -> Finished:
    dest = destination_named(svc.config, name)

    async def body(ctx: JobContext) -> None:
        await dest.init(ctx)
        if not ctx.summary:
            ctx.summary = f"destination {name} initialised"

    return _run_simple(svc, "init", dest, body, subscribers)


def check_destination(
    svc: ProfileService, name: str, subscribers: Iterable[Subscriber] = (), *, read_data_subset: str | None = None,
    journal: bool = True,
) -> Finished:  # fmt: skip
    """Check the destination as a job; journaled as `verify` "dest:<name>" unless `journal`
    is False (a policy verification journals its own entry)."""
    from tui_backup.service import verify_record

    extra: dict[str, Any] = {"read_data_subset": read_data_subset} if read_data_subset else {}
    try:
        dest = destination_named(svc.config, name)

        async def body(ctx: JobContext) -> None:
            await dest.check(ctx, read_data_subset=read_data_subset)

        finished = _run_simple(svc, "check", dest, body, subscribers, reads_only=True)
    except TuiBackupError as exc:
        if journal:
            verify_record.record(svc, f"dest:{name}", None, exc, **extra)
        raise
    if journal:
        verify_record.record(svc, f"dest:{name}", finished, **extra)
    return finished


def destinations(svc: ProfileService) -> list[Destination]:
    return destinations_of(svc.config)


__all__ = [
    "backup_spec",
    "build_content",
    "check_destination",
    "check_type",
    "destinations",
    "init_destination",
    "list_restore_points",
    "run_backup",
    "unique_labels",
]
