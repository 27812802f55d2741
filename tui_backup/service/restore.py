"""Restoring a snapshot: checksum, integrity check, safety snapshot, swap, verify, rollback.

In place, in this order:
 1. the stored file's SHA-256 is checked while it is decompressed to a temporary file
    (a mismatch raises SnapshotCorruptError: nothing was touched);
 2. the decompressed copy passes the integrity check;
 3. a **safety snapshot** of the live database is taken — a normal snapshot of kind
    "safety", listed by `snapshot list`. It is built concurrently with steps 1-2 and only
    made visible once the snapshot proved sound;
 4. the copy is written into the live database through the engine's `load` (for SQLite
    the backup API with the live file as destination: a connected app sees the old or
    the new database, never a torn one);
 5. the result is verified (integrity check where the engine has one, and the row counts
    must equal the snapshot's). Any failure from step 4 on rolls back from the safety
    snapshot's copy (through `load` again) and raises RestoreError(rolled_back=True).
    Note: an app writing during the restore changes the row counts and so fails step 5:
    stop the app's writers while restoring.

With `to`, a standalone copy is written instead (temp name + fsync + rename), refusing to
overwrite an existing file unless `force`.

Failure injection for tests: the named checkpoints restore.before_swap,
restore.after_swap, restore.verify and restore.rollback (see service/faults.py; e.g.
``TUI_BACKUP_FAULT=restore.after_swap``).
"""

from __future__ import annotations

import contextlib
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import zstandard

from tui_backup.catalog import snapshots as snapshot_rows
from tui_backup.catalog import utc_now
from tui_backup.catalog.snapshots import SnapshotRecord
from tui_backup.errors import (
    RestoreError,
    SnapshotCorruptError,
    SnapshotError,
    TuiBackupError,
    UsageError,
)
from tui_backup.fsutil import commit_temp, make_private_dir, remove_stale_temporaries, temp_path_for
from tui_backup.jobs.events import CancelToken, Progress, ProgressCallback, no_progress
from tui_backup.service import journal as _journal
from tui_backup.service.artifacts import ChecksumMismatch, decompress_file
from tui_backup.service.faults import checkpoint
from tui_backup.service.joblog import JobContext, recorded_job
from tui_backup.service.snapshots import (
    VERIFY_CORRUPT,
    StagedSnapshot,
    Stopper,
    artifact_path,
    engine_for_snapshot,
    read_metadata,
    require_volumes,
    stage_snapshot,
)
from tui_backup.sources.base import DatabaseEngine, LiveCheckable

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService

# The safety snapshot is taken while the user waits for the restore: zstd's fastest level
# (about twice as fast as 3 on text, a few percent larger). Recorded in its metadata.json.
SAFETY_COMPRESSION_LEVEL = 1


@dataclass(frozen=True)
class TableChange:
    table: str
    rows_before: int | None  # None: the table does not exist now
    rows_after: int | None  # None: the table does not exist in the snapshot


@dataclass(frozen=True)
class RestorePlan:
    """What a restore would change (the dry run). Nothing is changed to compute it."""

    snapshot: SnapshotRecord
    target: str  # the live database (display form) or the --to path
    in_place: bool
    tables: list[TableChange] = field(default_factory=list)
    tables_added: list[str] = field(default_factory=list)  # in the snapshot, not live
    tables_removed: list[str] = field(default_factory=list)  # live, not in the snapshot
    schema_changes: list[str] = field(default_factory=list)  # one line per changed object
    size_before: int | None = None
    size_after: int | None = None
    target_exists: bool = True

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["snapshot"] = self.snapshot.id
        return d


@dataclass(frozen=True)
class RestoreResult:
    snapshot_id: str
    target: str
    in_place: bool
    safety_snapshot_id: str | None  # in place only
    duration_s: float
    rows_after: int
    # Where what the restore replaced is kept: in place, the safety SNAPSHOT (it stays a
    # snapshot of kind "safety", not a trash item); with --to --force, the trash items.
    safety_note: str = ""
    trash_items: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# ---- the dry run ----


def _object_kind(sql: str) -> str:
    words = sql.split()
    kind = words[1].lower() if len(words) > 1 else "object"
    if kind in ("unique", "temp", "temporary", "virtual") and len(words) > 2:
        kind = words[2].lower()
    return kind


def _snapshot_schema(svc: ProfileService, rec: SnapshotRecord, engine: DatabaseEngine) -> dict[str, str]:
    """The schema recorded in metadata.json; older snapshots are decompressed to read it."""
    try:
        schema = read_metadata(Path(rec.path)).get("schema")
        if isinstance(schema, dict):
            return {str(k): str(v) for k, v in schema.items()}
    except (OSError, ValueError):
        pass
    raw = temp_path_for(svc.paths.snapshots_dir / f"{rec.id}.plan{engine.artifact_suffix}")
    try:
        _unpack(rec, engine, raw, full=False, stop=Stopper(None, svc.config.snapshots.timeout_seconds, "reading"))
        return dict(engine.facts(raw).schema)
    finally:
        with contextlib.suppress(FileNotFoundError):
            raw.unlink()


def diff_schema(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """One line per object that a restore adds, removes or changes."""
    lines: list[str] = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if old is None and new is not None:
            lines.append(f"added {_object_kind(new)} {name}")
        elif new is None and old is not None:
            lines.append(f"removed {_object_kind(old)} {name}")
        elif old is not None and new is not None:
            lines.append(f"changed {_object_kind(new)} {name}: {' '.join(old.split())} -> {' '.join(new.split())}")
    return lines


def plan_restore(svc: ProfileService, snapshot_id: str, *, to: Path | None) -> RestorePlan:
    """Per-table row counts before/after, tables added/removed, schema and size differences."""
    rec = snapshot_rows.get_snapshot(svc.catalog, snapshot_id)
    engine = engine_for_snapshot(svc, rec)
    after_tables = dict(rec.tables)
    after_schema = _snapshot_schema(svc, rec, engine)
    before_tables: dict[str, int] = {}
    before_schema: dict[str, str] = {}
    size_before: int | None = None
    if to is None:
        target, exists = engine.describe(), True
        live = engine.facts()
        before_tables, before_schema, size_before = dict(live.tables), dict(live.schema), live.size_bytes
    else:
        path = _absolute(to)
        target, exists = str(path), path.exists()
        if path.is_file():
            size_before = path.stat().st_size
            with contextlib.suppress(TuiBackupError):  # not a database of this kind: size only
                existing = engine.facts(path)
                before_tables, before_schema = dict(existing.tables), dict(existing.schema)
    names = sorted(set(before_tables) | set(after_tables))
    return RestorePlan(
        snapshot=rec,
        target=target,
        in_place=to is None,
        tables=[TableChange(n, before_tables.get(n), after_tables.get(n)) for n in names],
        tables_added=[n for n in names if n not in before_tables],
        tables_removed=[n for n in names if n not in after_tables],
        schema_changes=diff_schema(before_schema, after_schema),
        size_before=size_before,
        size_after=rec.db_size_bytes,
        target_exists=exists,
    )


# ---- restoring ----


def _absolute(path: Path) -> Path:
    return Path(os.path.abspath(Path(path).expanduser()))


def _unpack(
    rec: SnapshotRecord,
    engine: DatabaseEngine,
    raw: Path,
    *,
    full: bool,
    stop: Stopper,
    progress: ProgressCallback = no_progress,
) -> None:
    """Steps 1 and 2: checksum (while decompressing into `raw`), then the integrity check."""
    artifact = artifact_path(rec)
    hint = "nothing was changed; pick another snapshot (`tui-backup snapshot list`)"
    if not artifact.is_file():
        raise SnapshotCorruptError(f"snapshot {rec.id} is missing its stored file {artifact}", hint)
    from tui_backup.service.snapshot_meta import metadata_disagreement

    lie = metadata_disagreement(rec)
    if lie is not None:
        raise SnapshotCorruptError(f"snapshot {rec.id} is damaged: {lie}", hint)

    def on_bytes(done: int) -> None:
        progress(Progress("checking", done / rec.size_bytes if rec.size_bytes else None, done, rec.size_bytes))

    try:
        size = decompress_file(artifact, raw, expected_sha256=rec.sha256, stop=stop, on_bytes=on_bytes)
    except ChecksumMismatch as exc:
        raise SnapshotCorruptError(
            f"snapshot {rec.id} is corrupt: its stored file hashes to {exc.actual[:16]}…, recorded {rec.sha256[:16]}…",
            hint,
        ) from None
    except zstandard.ZstdError as exc:
        raise SnapshotCorruptError(f"snapshot {rec.id} is corrupt: it does not decompress ({exc})", hint) from None
    if size != rec.db_size_bytes:
        raise SnapshotCorruptError(
            f"snapshot {rec.id} is corrupt: it decompresses to {size} bytes, recorded {rec.db_size_bytes}", hint
        )
    progress(Progress("checking", None, message="integrity check of the snapshot"))
    try:
        engine.check(raw, full=full)
    except SnapshotCorruptError as exc:
        raise SnapshotCorruptError(f"snapshot {rec.id} fails its integrity check: {exc.message}", hint) from None


def _mark_corrupt(svc: ProfileService, rec: SnapshotRecord, exc: SnapshotCorruptError) -> None:
    with contextlib.suppress(TuiBackupError):
        snapshot_rows.set_verification(svc.catalog, rec.id, utc_now(), VERIFY_CORRUPT, exc.message)


def _verify_live(engine: DatabaseEngine, tables: dict[str, int], *, full: bool, check: bool) -> int:
    """Step 5: the live database passes its integrity check and has the expected row counts."""
    if check and isinstance(engine, LiveCheckable):
        engine.check_live(full=full)
    live = engine.facts()
    # Only the snapshot's tables: PostgreSQL's pg_restore --clean leaves tables it does not know.
    diff = sorted(t for t in tables if live.tables.get(t) != tables[t])
    if diff:
        raise SnapshotError(
            f"row counts after writing differ from the snapshot's in {', '.join(diff[:5])}",
            "was the app writing during the restore?",
        )
    return live.row_count


def restore_snapshot(
    svc: ProfileService, snapshot_id: str, *, to: Path | None, force: bool, progress: ProgressCallback
) -> RestoreResult:
    """Raises SnapshotCorruptError (nothing touched), RestoreError(rolled_back=True/False), or
    UsageError when --to exists without force."""
    rec = snapshot_rows.get_snapshot(svc.catalog, snapshot_id)
    engine = engine_for_snapshot(svc, rec)
    if to is not None:
        return _restore_to(svc, rec, engine, _absolute(to), force=force, progress=progress)
    return _restore_in_place(svc, rec, engine, progress)


def _restore_to(
    svc: ProfileService, rec: SnapshotRecord, engine: DatabaseEngine, to: Path, *, force: bool, progress: ProgressCallback
) -> RestoreResult:
    live = svc.config.source.database.path
    if live is not None and _absolute(live) == to:
        raise UsageError(f"{to} is the live database", "restore in place (without --to): it is safer")
    if to.is_dir():
        raise UsageError(f"{to} is a directory", "give the path of the file to write")
    if to.exists() and not force:
        raise UsageError(f"{to} already exists", "add --force to overwrite it, or choose another path")
    if not to.parent.is_dir():
        raise UsageError(f"the directory {to.parent} does not exist", f"create it first (mkdir -p -- {to.parent})")
    require_volumes(svc, "snapshots")
    started = time.monotonic()
    stop = Stopper(None, svc.config.snapshots.timeout_seconds, "the restore")
    full = svc.config.snapshots.verify == "full"
    with recorded_job(svc.catalog, svc.paths.logs_dir, "restore", f"{rec.id} -> {to}", svc.interface) as job:
        tmp = temp_path_for(to)
        try:
            try:
                _unpack(rec, engine, tmp, full=full, stop=stop, progress=progress)
            except SnapshotCorruptError as exc:
                _mark_corrupt(svc, rec, exc)
                raise
            facts = engine.facts(tmp)
            if rec.tables and facts.tables != rec.tables:
                raise RestoreError(f"the copy of snapshot {rec.id} has other row counts than recorded", "")
            trashed = _trash_overwritten(svc, to, getattr(engine, "sidecar_suffixes", ()), job.id)
            # A stale WAL or journal beside a replaced SQLite file would be replayed into it.
            for suffix in getattr(engine, "sidecar_suffixes", ()):
                with contextlib.suppress(FileNotFoundError):
                    Path(f"{to}{suffix}").unlink()
            commit_temp(tmp, to)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        job.bytes_done = rec.db_size_bytes
        job.summary = f"restored {rec.id} to {to}"
    note = (
        f"the replaced {to} is in the trash: " + ", ".join(f"`tui-backup trash restore {i} --overwrite`" for i in trashed)
        if trashed
        else ""
    )
    _journal.try_record(svc, "restore", str(to), {"snapshot": rec.id, "in_place": False, "job_id": job.id, "trash_items": trashed})
    progress(Progress("done", 1.0, message=f"restored {rec.id} to {to}"))
    return RestoreResult(
        rec.id, str(to), False, None, round(time.monotonic() - started, 3), facts.row_count, note, trashed
    )


def _trash_overwritten(svc: ProfileService, to: Path, suffixes: tuple[str, ...], job_id: int) -> list[str]:
    """--to --force over an existing file: it (and its WAL / rollback journal, which hold
    part of its content) goes to the trash first; the -shm index is only rebuilt state."""
    from tui_backup.service import trash

    ids: list[str] = []
    for path in [to, *(Path(f"{to}{s}") for s in suffixes if s != "-shm")]:
        if os.path.lexists(path):
            item = trash.put(svc, path, kind="overwritten", reason=f"replaced by restore job {job_id}", job_id=job_id)
            ids.append(item.id)
    return ids


def _restore_in_place(
    svc: ProfileService, rec: SnapshotRecord, engine: DatabaseEngine, progress: ProgressCallback
) -> RestoreResult:
    require_volumes(svc, "source.database", "snapshots")
    make_private_dir(svc.paths.snapshots_dir)
    remove_stale_temporaries(svc.paths.snapshots_dir)
    started = time.monotonic()
    timeout = svc.config.snapshots.timeout_seconds
    full = svc.config.snapshots.verify == "full"
    target = engine.describe()
    raw = temp_path_for(svc.paths.snapshots_dir / f"{rec.id}.restore{engine.artifact_suffix}")
    with recorded_job(svc.catalog, svc.paths.logs_dir, "restore", f"{rec.id} -> {target}", svc.interface) as job:
        try:
            safety = _unpack_with_safety(svc, rec, engine, raw, job, full=full, progress=progress)
            safety_rec = safety.commit(svc, job.id)
            job.log(f"safety snapshot {safety_rec.id} taken")
            progress(Progress("safety", 1.0, message=f"safety snapshot {safety_rec.id} taken"))
            checkpoint("restore.before_swap")
            try:
                progress(Progress("restoring", None, message=f"writing snapshot {rec.id} into {target}"))
                job.log("writing the snapshot into the live database")
                engine.load(raw, timeout=timeout, progress=progress)
                raw.unlink()  # now, before its dirty pages are written back for nothing
                checkpoint("restore.after_swap")
                progress(Progress("verifying", None, message="verifying the restored database"))
                checkpoint("restore.verify")
                rows = _verify_live(engine, dict(rec.tables), full=full, check=True)
            except BaseException as exc:
                _roll_back(svc, rec, engine, safety, job, exc, progress)
            job.bytes_done = rec.db_size_bytes
            job.summary = f"restored {rec.id} (safety snapshot {safety_rec.id})"
        finally:
            with contextlib.suppress(FileNotFoundError):
                raw.unlink()
    note = (
        f"the replaced database is kept as safety snapshot {safety_rec.id} (a snapshot of kind \"safety\", "
        f"not a trash item): undo with `tui-backup snapshot restore {safety_rec.id}`"
    )
    _journal.try_record(svc, "restore", target, {"snapshot": rec.id, "in_place": True, "safety_snapshot": safety_rec.id, "job_id": job.id, "safety_note": note})
    progress(Progress("done", 1.0, message=f"restored {rec.id}"))
    return RestoreResult(rec.id, target, True, safety_rec.id, round(time.monotonic() - started, 3), rows, note)


def _unpack_with_safety(
    svc: ProfileService,
    rec: SnapshotRecord,
    engine: DatabaseEngine,
    raw: Path,
    job: JobContext,
    *,
    full: bool,
    progress: ProgressCallback,
) -> StagedSnapshot:
    """Steps 1-3 at once: the safety snapshot is staged in a thread while the snapshot is
    checksummed, decompressed and checked. If the snapshot is unsound the staged safety
    snapshot is discarded, so nothing at all changed."""
    timeout = svc.config.snapshots.timeout_seconds
    progress(Progress("safety", None, message="taking a safety snapshot of the live database"))
    cancel_safety = CancelToken()
    with ThreadPoolExecutor(1, thread_name_prefix="tui-backup-safety") as pool:

        def stage_safety() -> StagedSnapshot:
            safety = stage_snapshot(
                svc, engine, note=f"before restoring {rec.id}", kind="safety", progress=no_progress,
                stop=Stopper(cancel_safety, timeout, "the safety snapshot"), log=job.log, warnings=[],
                job_id=job.id, keep_damaged=True,
                level=min(SAFETY_COMPRESSION_LEVEL, svc.config.snapshots.compression_level),
            )  # fmt: skip
            # Its scratch copy goes now: kept, its 1.2 GB (say) of dirty pages get written back
            # to disk while the swap writes (one measured swap: 11.5 s with, 5.6-6.7 s
            # without). A rollback decompresses the stored safety snapshot instead — and
            # checks its checksum on the way.
            safety.drop_raw()
            return safety

        staged: Future[StagedSnapshot] = pool.submit(stage_safety)
        try:
            _unpack(rec, engine, raw, full=full, stop=Stopper(None, timeout, "checking the snapshot"), progress=progress)
        except BaseException as exc:
            cancel_safety.cancel()  # stops at its next safe point and cleans up after itself
            with contextlib.suppress(BaseException):
                staged.result().discard()
            if isinstance(exc, SnapshotCorruptError):
                _mark_corrupt(svc, rec, exc)
            raise
        try:
            return staged.result()
        except TuiBackupError as exc:
            raise RestoreError(
                f"could not take the safety snapshot: {exc.message}", "nothing was changed; " + (exc.hint or "")
            ) from None


def _roll_back(
    svc: ProfileService,
    rec: SnapshotRecord,
    engine: DatabaseEngine,
    safety: StagedSnapshot,
    job: JobContext,
    cause: BaseException,
    progress: ProgressCallback,
) -> NoReturn:
    reason = cause.message if isinstance(cause, TuiBackupError) else f"{type(cause).__name__}: {cause}"
    job.warn(f"restore of {rec.id} failed after the swap started ({reason}); rolling back to {safety.id}")
    progress(Progress("rolling back", None, message=f"rolling back to safety snapshot {safety.id}"))
    copy = temp_path_for(svc.paths.snapshots_dir / f"{safety.id}.rollback{engine.artifact_suffix}")
    try:
        checkpoint("restore.rollback")
        decompress_file(safety.final_dir / safety.artifact, copy, expected_sha256=safety.stored.sha256)
        engine.load(copy, timeout=svc.config.snapshots.timeout_seconds, progress=no_progress)
        _verify_live(engine, dict(safety.facts.tables), full=svc.config.snapshots.verify == "full", check=safety.sound)
    except BaseException as exc:
        again = exc.message if isinstance(exc, TuiBackupError) else f"{type(exc).__name__}: {exc}"
        raise RestoreError(
            f"restore of {rec.id} failed ({reason}) and rolling back failed too ({again})",
            f"the database may be damaged: restore the safety snapshot with `tui-backup snapshot restore {safety.id}`",
            rolled_back=False,
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            copy.unlink()
    job.log(f"rolled back to safety snapshot {safety.id}")
    raise RestoreError(
        f"restore of {rec.id} failed ({reason}); the database was rolled back to safety snapshot {safety.id}",
        "the database is as it was before the restore; see the job log for details",
        rolled_back=True,
    ) from None
