"""Layer 3: verified, compressed, checksummed snapshots of the database.

A snapshot is one directory ``<snapshots dir>/<id>/`` holding the compressed copy
(``<profile>.db.zst``, or ``.pgdump.zst``) and ``metadata.json``. It is built in a
temporary directory beside it (fsutil temp naming, so a dead process's leftovers are
recognised and removed by the next run), then renamed into place as a whole: a killed
snapshot never appears under a real name. The rename is the commit point; the catalog
row follows, and a directory whose row is missing (killed in between) is adopted from
its metadata.json by the next listing.

Creating overlaps the work to stay close to a bare copy's speed: after the one-step copy
the integrity check runs in a thread while zstd compresses and a second thread hashes
and writes the compressed stream (see service/artifacts.py); for SQLite a third thread
hashes every row of the copy into the row index ``rows.sqlite`` beside the artifact
(service/row_index.py; compared by service/db_changes.py) — unless `[snapshots] row_changes`
rules it out for this size (its cost grows with the database). The copy itself goes to tmpfs
when there is room (service/scratch.py): it is a private temporary, read and deleted, and
on a disk file system writing it cost as much kernel time as the copy.

Everything here is engine-generic: the engine (sources/) dumps, checks, loads and
describes the database; this module stores, lists, verifies, deletes and prunes.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import zstandard

from tui_backup import __version__, clock
from tui_backup.catalog import snapshots as snapshot_rows
from tui_backup.catalog import utc_now
from tui_backup.catalog.snapshots import SnapshotRecord
from tui_backup.errors import SnapshotCorruptError, SnapshotError, TuiBackupError, UsageError
from tui_backup.fsutil import (
    atomic_write_text,
    fsync_dir,
    make_private_dir,
    remove_stale_temporaries,
    temp_path_for,
)
from tui_backup.jobs.events import CancelToken, Progress, ProgressCallback, no_progress
from tui_backup.service import journal as _journal
from tui_backup.service.artifacts import (
    ChecksumMismatch,
    StoredArtifact,
    compress_file,
    compression_threads,
    decompress_file,
    decompresses_to,
)
from tui_backup.service.faults import checkpoint
from tui_backup.service.joblog import recorded_job
from tui_backup.service.row_index import RowIndexInfo, build_row_index, skip_reason
from tui_backup.service.scratch import remove_stale_scratch, scratch_dir
from tui_backup.sources.base import DatabaseEngine, DatabaseFacts

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService

METADATA_NAME = "metadata.json"
METADATA_FORMAT = 1
SNAPSHOT_KINDS = ("manual", "safety", "scheduled")
SNAPSHOT_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{4}$")
VERIFY_OK = "ok"
VERIFY_CORRUPT = "corrupt"
VERIFY_MISSING = "missing"


@dataclass(frozen=True)
class VerifyResult:
    snapshot_id: str
    ok: bool
    checksum_ok: bool
    integrity_ok: bool | None  # None when the checksum already failed
    detail: str  # "ok", or what is wrong

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PruneDecision:
    snapshot: SnapshotRecord
    keep: bool
    reason: str  # e.g. "newest 10", "newest verified", "beyond keep = 10"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.snapshot.id, "created_at": self.snapshot.created_at, "keep": self.keep, "reason": self.reason}


# ---- helpers shared with restore ----


def new_snapshot_id(now: datetime | None = None) -> str:
    """Sortable and typeable: ``20261121-224800-3f2a`` (UTC, plus 4 random hex digits)."""
    now = now or clock.now()
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def require_volumes(svc: ProfileService, *names: str) -> None:
    """Layer 0 before touching anything: each named volume the profile has must be usable."""
    for volume in svc.volumes():
        if volume.name in names:
            svc.guard.require(volume)


def artifact_path(rec: SnapshotRecord) -> Path:
    return Path(rec.path) / rec.artifact


def read_metadata(directory: Path) -> dict[str, Any]:
    data = json.loads((directory / METADATA_NAME).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("metadata.json is not an object")
    return data


def engine_for_snapshot(svc: ProfileService, rec: SnapshotRecord) -> DatabaseEngine:
    engine = svc.database
    if engine.kind != rec.source_kind:
        raise UsageError(
            f"snapshot {rec.id} is of a {rec.source_kind} database, the profile's database is {engine.kind}",
            "restore it with a profile for that database",
        )
    return engine


class Stopper:
    """Cancel token + overall deadline, checked at safe points (a StopCheck for pipelines)."""

    def __init__(self, cancel: CancelToken | None, timeout: float, what: str) -> None:
        self.cancel = cancel
        self.timeout = timeout
        self.end = time.monotonic() + timeout
        self.what = what

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def __call__(self) -> None:
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()
        if time.monotonic() > self.end:
            raise SnapshotError(
                f"{self.what} timed out after {self.timeout:.0f} s", "raise [snapshots] timeout_seconds, or retry"
            )


def _scratch_path(svc: ProfileService, label: str, suffix: str) -> Path:
    """A temporary file in the snapshots dir (recognised and removed if we die)."""
    return temp_path_for(svc.paths.snapshots_dir / f"{label}{suffix}")


@runtime_checkable
class _SizedCopy(Protocol):
    """An engine that can say how big its copy will be (SQLite: the file plus its WAL)."""

    def copy_size_estimate(self) -> int: ...


def _copy_scratch_path(svc: ProfileService, engine: DatabaseEngine, label: str) -> Path:
    """Where the dump goes: tmpfs when it has room for it (see service/scratch.py), else the
    snapshots dir. Either way an fsutil temporary, removed by the next run if we die."""
    need = engine.copy_size_estimate() if isinstance(engine, _SizedCopy) else None
    directory = scratch_dir(need, svc.paths.snapshots_dir)
    return temp_path_for(directory / f"{label}{engine.artifact_suffix}")


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")
    return cleaned or "database"


@dataclass
class StagedSnapshot:
    """A snapshot fully written and fsynced in its temporary directory, not yet visible.

    `raw` is the verified, uncompressed copy (restore keeps it to roll back from).
    """

    id: str
    created_at: str
    kind: str
    note: str
    source_kind: str
    source: str
    temp_dir: Path
    final_dir: Path
    artifact: str
    raw: Path
    stored: StoredArtifact
    facts: DatabaseFacts
    duration_s: float
    warnings: list[str] = field(default_factory=list)
    verify_status: str = "ok"  # "corrupt" only for a safety snapshot of a damaged database
    verify_detail: str = "checked at creation"
    row_index: RowIndexInfo | None = None  # the per-row hashes beside it (service/row_index.py)
    row_index_skipped: str = ""  # why there is none by design ([snapshots] row_changes)

    @property
    def sound(self) -> bool:
        return self.verify_status == VERIFY_OK

    def record(self, job_id: int | None) -> SnapshotRecord:
        # Checked at creation, so it counts as verified (prune keeps the newest verified).
        return SnapshotRecord(
            id=self.id,
            created_at=self.created_at,
            source_kind=self.source_kind,
            source=self.source,
            path=str(self.final_dir),
            artifact=self.artifact,
            size_bytes=self.stored.stored_bytes,
            db_size_bytes=self.stored.raw_bytes,
            sha256=self.stored.sha256,
            duration_s=round(self.duration_s, 3),
            note=self.note,
            kind=self.kind,
            page_size=self.facts.page_size,
            page_count=self.facts.page_count,
            tables=dict(self.facts.tables),
            row_count=self.facts.row_count,
            engine_version=self.facts.engine_version,
            verified_at=self.created_at,
            verify_status=self.verify_status,
            verify_detail=self.verify_detail,
            job_id=job_id,
        )

    def commit(self, svc: ProfileService, job_id: int | None) -> SnapshotRecord:
        """Rename the directory into place (the commit point), then record it in the catalog."""
        checkpoint("snapshot.before_rename")
        os.rename(self.temp_dir, self.final_dir)
        fsync_dir(self.final_dir.parent)
        checkpoint("snapshot.after_rename")
        rec = self.record(job_id)
        snapshot_rows.add_snapshot(svc.catalog, rec)
        return rec

    def discard(self) -> None:
        shutil.rmtree(self.temp_dir, ignore_errors=True)
        self.drop_raw()

    def drop_raw(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.raw.unlink()


def _metadata(staged: StagedSnapshot, level: int, verify: str, job_id: int | None) -> dict[str, Any]:
    f = staged.facts
    return {
        "format": METADATA_FORMAT,
        "id": staged.id,
        "kind": staged.kind,
        "note": staged.note,
        "created_at": staged.created_at,
        "duration_s": round(staged.duration_s, 3),
        "source": {"kind": staged.source_kind, "database": staged.source},
        "artifact": staged.artifact,
        "compression": {"algorithm": "zstd", "level": level},
        "sha256": staged.stored.sha256,
        "size_bytes": staged.stored.stored_bytes,
        "db_size_bytes": staged.stored.raw_bytes,
        "page_size": f.page_size,
        "page_count": f.page_count,
        "tables": f.tables,
        "row_count": f.row_count,
        "schema": f.schema,
        "engine_version": f.engine_version,
        "verify": verify,
        "warnings": staged.warnings,
        "job_id": job_id,
        "tool": f"tui-backup {__version__}",
        **({"row_index": staged.row_index.to_json()} if staged.row_index is not None else {}),
        **({"row_changes": {"computed": False, "reason": staged.row_index_skipped}} if staged.row_index_skipped else {}),
    }


def stage_snapshot(
    svc: ProfileService,
    engine: DatabaseEngine,
    *,
    note: str,
    kind: str,
    progress: ProgressCallback,
    stop: Stopper,
    log: Callable[[str], None],
    warnings: list[str],
    job_id: int | None,
    keep_damaged: bool = False,
    level: int | None = None,
) -> StagedSnapshot:
    """Dump, verify and compress into a temporary directory; nothing is visible yet.

    A copy that fails its integrity check fails the snapshot — unless `keep_damaged`
    (the safety snapshot before a restore: a damaged database is exactly what gets
    restored over, and what a rollback must put back), where it is kept marked corrupt.
    """
    cfg = svc.config.snapshots
    level = cfg.compression_level if level is None else level
    snapdir = svc.paths.snapshots_dir
    started = time.monotonic()
    created_at = utc_now()
    sid = new_snapshot_id(datetime.strptime(created_at, "%Y-%m-%dT%H:%M:%S.%fZ"))
    while (snapdir / sid).exists():
        sid = new_snapshot_id()
    final_dir = snapdir / sid
    temp_dir = temp_path_for(final_dir)
    temp_dir.mkdir(mode=0o700)
    artifact = f"{_safe_name(svc.config.name)}{engine.artifact_suffix}.zst"
    raw = _copy_scratch_path(svc, engine, sid)
    try:
        log(f"copying {engine.describe()}" + ("" if raw.parent == snapdir else f" (scratch copy in {raw.parent})"))
        try:
            engine.dump(raw, timeout=stop.remaining(), progress=progress, cancel=stop.cancel or CancelToken())
        except SnapshotError as exc:
            if raw.parent == snapdir or "full" not in exc.message or stop.remaining() <= 0:
                raise
            # "database or disk is full": the tmpfs filled up after all (others wrote to it, or
            # the WAL grew while copying): once more, on disk
            log(f"the scratch copy in {raw.parent} failed ({exc.message}); copying into {snapdir} instead")
            with contextlib.suppress(FileNotFoundError):
                raw.unlink()
            raw = _scratch_path(svc, sid, engine.artifact_suffix)
            engine.dump(raw, timeout=stop.remaining(), progress=progress, cancel=stop.cancel or CancelToken())
        stop()
        checkpoint("snapshot.after_dump")
        raw_size = raw.stat().st_size
        log(f"copied {raw_size} bytes; checking and compressing")
        progress(Progress("compressing", 0.0, 0, raw_size, "checking, compressing and hashing"))

        def check_copy() -> DatabaseFacts:
            engine.check(raw, full=cfg.verify == "full")
            return engine.facts(raw)

        def on_bytes(done: int) -> None:
            progress(Progress("compressing", done / raw_size if raw_size else None, done, raw_size))

        verdict, detail = VERIFY_OK, "checked at creation"
        row_index: RowIndexInfo | None = None
        with_rows = kind != "safety" and engine.kind == "sqlite"  # layer 2: db.changed
        skipped = (skip_reason(cfg.row_changes, raw_size) if with_rows else None) or ""
        if skipped:  # its cost grows with the size ([snapshots] row_changes)
            log(f"row changes not computed: {skipped}")
            with_rows = False
        with ThreadPoolExecutor(2 if with_rows else 1, thread_name_prefix="tui-backup-check") as pool:
            checked = pool.submit(check_copy)  # overlaps with compression (sqlite releases the GIL)
            # The row hashes are read from the same scratch copy, also while it compresses.
            indexed = pool.submit(build_row_index, raw, temp_dir, stop=stop) if with_rows else None
            stored = compress_file(
                raw, temp_dir / artifact, level=level, threads=compression_threads(),
                stop=stop, on_bytes=on_bytes,
            )
            try:
                facts = checked.result()
            except SnapshotError as exc:
                if not keep_damaged:
                    raise SnapshotError(
                        f"the copy of the database failed its integrity check: {exc.message}",
                        "the live database may be damaged: check it (e.g. PRAGMA integrity_check) before relying on it",
                    ) from None
                verdict, detail = VERIFY_CORRUPT, f"the database was already damaged: {exc.message}"
                warnings.append(f"the database fails its integrity check: {exc.message}")
                facts = DatabaseFacts(size_bytes=raw_size, tables={})
            if indexed is not None:
                try:
                    row_index = indexed.result()
                    log(f"row index: {row_index.rows} rows of {row_index.tables} tables in {row_index.duration_s:.2f} s")
                except TuiBackupError:
                    raise  # cancelled or timed out: the snapshot stops too
                except Exception as exc:  # the snapshot itself is sound: only its row changes are lost
                    warnings.append(f"row changes not recorded for this snapshot: {exc}")
                    log(warnings[-1])
        if cfg.verify == "full":  # also the round trip: what is stored decompresses to the copy
            progress(Progress("verifying", None, message="checking that the stored file decompresses to the copy"))
            if not decompresses_to(temp_dir / artifact, raw, stop):
                raise SnapshotError(
                    "the compressed snapshot does not decompress to the copy it was made from",
                    "this is a bug in compression: please report it; the snapshot was not stored",
                )
        checkpoint("snapshot.after_compress")
        log(f"verified ({cfg.verify}); stored {stored.stored_bytes} bytes, sha256 {stored.sha256}")
        staged = StagedSnapshot(
            id=sid,
            created_at=created_at,
            kind=kind,
            note=note,
            source_kind=engine.kind,
            source=engine.describe(),
            temp_dir=temp_dir,
            final_dir=final_dir,
            artifact=artifact,
            raw=raw,
            stored=stored,
            facts=facts,
            duration_s=time.monotonic() - started,
            warnings=list(warnings),
            verify_status=verdict,
            verify_detail=detail,
            row_index=row_index,
            row_index_skipped=skipped,
        )
        atomic_write_text(
            temp_dir / METADATA_NAME,
            json.dumps(_metadata(staged, level, cfg.verify, job_id), indent=2, sort_keys=True) + "\n",
        )
        fsync_dir(temp_dir)
        return staged
    except BaseException:
        shutil.rmtree(temp_dir, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            raw.unlink()
        raise


# ---- the contract ----


def create_snapshot(
    svc: ProfileService, *, note: str, kind: str, progress: ProgressCallback, cancel: CancelToken
) -> SnapshotRecord:
    """Guard volumes, clean stale temporaries, dump, verify, compress+hash, write metadata.json,
    rename into place, record in the catalog (as a job), then prune if configured.

    The returned record carries the warnings met on the way (e.g. rollback-journal mode);
    they are also in the job's log and in metadata.json.
    """
    if kind not in SNAPSHOT_KINDS:
        raise UsageError(f"unknown snapshot kind {kind!r}", f"use one of: {', '.join(SNAPSHOT_KINDS)}")
    engine = svc.database
    require_volumes(svc, "source.database", "snapshots")
    make_private_dir(svc.paths.snapshots_dir)
    remove_stale_temporaries(svc.paths.snapshots_dir)
    remove_stale_scratch()
    stop = Stopper(cancel, svc.config.snapshots.timeout_seconds, "the snapshot")
    with recorded_job(svc.catalog, svc.paths.logs_dir, "snapshot", engine.describe(), svc.interface) as job:
        for warning in engine.warnings():
            job.warn(warning)
            progress(Progress("warning", message=warning))
        staged = stage_snapshot(
            svc, engine, note=note, kind=kind, progress=progress, stop=stop, log=job.log,
            warnings=job.warnings, job_id=job.id,
        )
        try:
            progress(Progress("saving", message=f"saving snapshot {staged.id}"))
            rec = staged.commit(svc, job.id)
        except BaseException:
            if not staged.final_dir.exists():
                staged.discard()
            raise
        finally:
            staged.drop_raw()
        job.bytes_done = rec.size_bytes
        job.summary = f"snapshot {rec.id}: {rec.row_count} rows, {rec.size_bytes} bytes stored"
    if svc.config.snapshots.prune_after_create:
        try:
            prune_snapshots(svc, dry_run=False)
        except TuiBackupError as exc:  # the snapshot itself is safe; say why pruning did not happen
            progress(Progress("warning", message=f"automatic prune failed: {exc.message}"))
    _journal.try_record(svc, "snapshot.create", rec.id, {"kind": kind, "note": note, "size_bytes": rec.size_bytes, "job_id": job.id})
    if kind != "safety":  # layer 2: what changed in the protected files since the last look
        from tui_backup.service.changes import journal_file_changes

        journal_file_changes(svc)
        from tui_backup.service.db_changes import journal_db_changes

        journal_db_changes(svc, rec)
    progress(Progress("done", 1.0, rec.size_bytes, rec.size_bytes, f"snapshot {rec.id} created"))
    return replace(rec, warnings=tuple(job.warnings)) if job.warnings else rec


def _adopt_orphans(svc: ProfileService, known: set[str]) -> None:
    """A directory renamed into place whose catalog row never came (killed in between) is
    complete — its metadata.json was fsynced before the rename — so it is recorded now."""
    snapdir = svc.paths.snapshots_dir
    for entry in snapdir.iterdir():
        if entry.name in known or not SNAPSHOT_ID.match(entry.name) or not entry.is_dir():
            continue
        try:
            meta = read_metadata(entry)
            artifact = entry / str(meta["artifact"])
            if meta.get("id") != entry.name or artifact.stat().st_size != int(meta["size_bytes"]):
                continue
            rec = SnapshotRecord(
                id=entry.name,
                created_at=str(meta["created_at"]),
                source_kind=str(meta["source"]["kind"]),
                source=str(meta["source"]["database"]),
                path=str(entry),
                artifact=artifact.name,
                size_bytes=int(meta["size_bytes"]),
                db_size_bytes=int(meta["db_size_bytes"]),
                sha256=str(meta["sha256"]),
                duration_s=float(meta["duration_s"]),
                note=str(meta.get("note", "")),
                kind=str(meta.get("kind", "manual")),
                page_size=meta.get("page_size"),
                page_count=meta.get("page_count"),
                tables={str(k): int(v) for k, v in dict(meta.get("tables", {})).items()},
                row_count=int(meta.get("row_count", 0)),
                engine_version=str(meta.get("engine_version", "")),
                verified_at=str(meta["created_at"]),
                verify_status=VERIFY_OK,
                verify_detail="checked at creation",
            )
            snapshot_rows.add_snapshot(svc.catalog, rec)
        except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
            continue  # not ours, or unreadable: leave it alone


def _held_by_trash(svc: ProfileService) -> set[str]:
    """Ids of the snapshots whose directory is in the trash (moved there, row not yet dropped)."""
    from tui_backup.catalog import trash as trash_rows

    held: set[str] = set()
    for item in trash_rows.items_in_state(svc.catalog, trash_rows.TRASHED, trash_rows.MOVING, kind="snapshot"):
        if os.path.isdir(item.stored):
            held.add(str(item.details.get("snapshot")))
    return held


def list_snapshots(svc: ProfileService) -> list[SnapshotRecord]:
    """Newest first; cleans stale temporaries and never lists a half-written snapshot.

    Reconciles with the disk when the snapshots volume is online: a complete directory
    missing from the catalog is adopted, a row whose directory is in the trash is dropped
    (a delete killed before it dropped the row), any other row whose directory is gone is
    marked verify_status = "missing" (listed, so the user sees it, never a crash).
    """
    snapdir = svc.paths.snapshots_dir
    volume = next(v for v in svc.volumes() if v.name == "snapshots")
    remove_stale_scratch()
    if svc.guard.check(volume).ok and snapdir.is_dir():
        remove_stale_temporaries(snapdir)
        rows = snapshot_rows.list_snapshots(svc.catalog)
        _adopt_orphans(svc, {r.id for r in rows})
        held: set[str] | None = None
        for rec in rows:
            if Path(rec.path).parent == snapdir and not artifact_path(rec).is_file():
                held = _held_by_trash(svc) if held is None else held
                if rec.id in held:  # a delete/prune killed between its move and dropping the row
                    snapshot_rows.delete_snapshot_row(svc.catalog, rec.id)
                    continue
            if Path(rec.path).parent == snapdir and not artifact_path(rec).is_file() and rec.verify_status != VERIFY_MISSING:
                snapshot_rows.set_verification(
                    svc.catalog, rec.id, utc_now(), VERIFY_MISSING, f"{artifact_path(rec)} is gone"
                )
    return snapshot_rows.list_snapshots(svc.catalog)


def _verify(svc: ProfileService, rec: SnapshotRecord, progress: ProgressCallback) -> VerifyResult:
    artifact = artifact_path(rec)
    if not artifact.is_file():
        return VerifyResult(rec.id, False, False, None, f"the stored file {artifact} is missing")
    from tui_backup.service.snapshot_meta import metadata_disagreement

    lie = metadata_disagreement(rec)
    if lie is not None:
        return VerifyResult(rec.id, False, False, None, lie)
    engine = engine_for_snapshot(svc, rec)
    raw = _scratch_path(svc, f"{rec.id}.verify", engine.artifact_suffix)

    def on_bytes(done: int) -> None:
        progress(Progress("verifying", done / rec.size_bytes if rec.size_bytes else None, done, rec.size_bytes))

    try:
        try:
            size = decompress_file(artifact, raw, expected_sha256=rec.sha256, on_bytes=on_bytes)
        except ChecksumMismatch as exc:
            return VerifyResult(
                rec.id, False, False, None, f"checksum mismatch: the stored file hashes to {exc.actual}, recorded {rec.sha256}"
            )
        except zstandard.ZstdError as exc:
            return VerifyResult(rec.id, False, True, False, f"the stored file does not decompress: {exc}")
        if size != rec.db_size_bytes:
            return VerifyResult(rec.id, False, True, False, f"decompressed to {size} bytes, recorded {rec.db_size_bytes}")
        try:
            engine.check(raw, full=svc.config.snapshots.verify == "full")
            facts = engine.facts(raw)
        except (SnapshotCorruptError, SnapshotError) as exc:
            return VerifyResult(rec.id, False, True, False, exc.message)
        if rec.tables and facts.tables and facts.tables != rec.tables:
            return VerifyResult(rec.id, False, True, False, "row counts differ from those recorded at creation")
        return VerifyResult(rec.id, True, True, True, "ok")
    finally:
        with contextlib.suppress(FileNotFoundError):
            raw.unlink()


def verify_snapshot(svc: ProfileService, snapshot_id: str, *, progress: ProgressCallback) -> VerifyResult:
    """Recompute the checksum, decompress, run the integrity check; record the verdict."""
    rec = snapshot_rows.get_snapshot(svc.catalog, snapshot_id)
    require_volumes(svc, "snapshots")
    with recorded_job(svc.catalog, svc.paths.logs_dir, "verify", rec.id, svc.interface) as job:
        result = _verify(svc, rec, progress)
        if result.checksum_ok is False and not artifact_path(rec).is_file():
            status = VERIFY_MISSING
        else:
            status = VERIFY_OK if result.ok else VERIFY_CORRUPT
        snapshot_rows.set_verification(svc.catalog, rec.id, utc_now(), status, result.detail)
        job.bytes_done = rec.size_bytes
        job.summary = f"{rec.id}: {status}" + ("" if result.ok else f": {result.detail}")
        if not result.ok:
            job.warn(f"snapshot {rec.id} is {status}: {result.detail}")
    _journal.try_record(svc, "verify", rec.id, {"status": status, "detail": result.detail, "job_id": job.id})
    return result


def verify_all(svc: ProfileService, *, progress: ProgressCallback) -> list[VerifyResult]:
    return [verify_snapshot(svc, rec.id, progress=progress) for rec in list_snapshots(svc)]


def _remove_snapshot(
    svc: ProfileService, rec: SnapshotRecord, reason: str = "snapshot delete", job_id: int | None = None
) -> None:
    """Move the directory to the trash (layer 1: one rename, restorable until it expires),
    then drop the row; after a kill in between, `list_snapshots` drops the row (the snapshot
    is in the trash: never lost, never listed twice)."""
    from tui_backup.service import trash

    directory = Path(rec.path)
    if directory.is_dir():
        try:
            meta_id = read_metadata(directory).get("id")
        except (OSError, ValueError):
            meta_id = None
        if meta_id != rec.id:  # never remove a directory that is not this snapshot
            raise SnapshotError(
                f"{directory} does not hold snapshot {rec.id} (its metadata.json says otherwise)",
                "check the directory by hand",
            )
        trash.put(
            svc, directory, kind="snapshot", reason=reason, job_id=job_id, root=directory.parent,
            details={"snapshot": rec.id, "created_at": rec.created_at},
        )  # fmt: skip
    snapshot_rows.delete_snapshot_row(svc.catalog, rec.id)


def delete_snapshot(svc: ProfileService, snapshot_id: str) -> SnapshotRecord:
    """Move a snapshot to the trash (`tui-backup trash restore ID` brings it back)."""
    rec = snapshot_rows.get_snapshot(svc.catalog, snapshot_id)
    require_volumes(svc, "snapshots")
    _remove_snapshot(svc, rec)
    _journal.try_record(svc, "snapshot.delete", rec.id, {"reason": "by hand", "created_at": rec.created_at})
    return rec


def prune_snapshots(svc: ProfileService, *, dry_run: bool) -> list[PruneDecision]:
    """Apply [snapshots] keep: the newest N stay; the newest verified one is never removed."""
    from tui_backup.policies.model import RetentionSpec
    from tui_backup.policies.retention import PointInfo, plan_retention

    keep = svc.config.snapshots.keep
    snaps = list_snapshots(svc)
    # The one retention engine every kind of restore point goes through (keep-last here).
    points = [PointInfo(s.id, clock.from_catalog(s.created_at)) for s in snaps]
    kept = {d.id for d in plan_retention(points, RetentionSpec(keep_last=keep), clock.now()) if d.keep}
    newest_verified = next((s for s in snaps if s.verified), None)
    decisions: list[PruneDecision] = []
    for snap in snaps:
        if snap.id in kept:
            decisions.append(PruneDecision(snap, True, f"newest {keep}"))
        elif newest_verified is not None and snap.id == newest_verified.id:
            decisions.append(PruneDecision(snap, True, "newest verified"))
        else:
            decisions.append(PruneDecision(snap, False, f"beyond keep = {keep}"))
    doomed = [d.snapshot for d in decisions if not d.keep]
    if dry_run or not doomed:
        return decisions
    require_volumes(svc, "snapshots")
    with recorded_job(svc.catalog, svc.paths.logs_dir, "prune", f"keep {keep}", svc.interface) as job:
        for rec in doomed:
            _remove_snapshot(svc, rec, f"prune: beyond keep = {keep}", job.id)
            job.log(f"removed {rec.id} ({rec.created_at}) to the trash: beyond keep = {keep}")
            _journal.try_record(svc, "snapshot.delete", rec.id, {"reason": f"beyond keep = {keep}", "job_id": job.id})
            job.bytes_done += rec.size_bytes
        job.summary = f"removed {len(doomed)} snapshot(s), kept {len(decisions) - len(doomed)}"
    return decisions


__all__ = [
    "PruneDecision",
    "StagedSnapshot",
    "Stopper",
    "VerifyResult",
    "create_snapshot",
    "delete_snapshot",
    "list_snapshots",
    "no_progress",
    "prune_snapshots",
    "stage_snapshot",
    "verify_all",
    "verify_snapshot",
]
