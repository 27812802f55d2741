"""Restoring from a destination: fetch, check, then place elsewhere or swap in place.

Destination-agnostic: it uses only the Destination protocol (`list_points`, `fetch`) and
the backup layout (tui_backup.destinations.base). As a job of kind "restore":

 1. the restore point (an id, a unique id prefix, or "latest") is fetched into a private
    staging directory on the target's filesystem (so moving the result is a rename);
 2. every fetched artifact is checked against metadata.json (size + SHA-256; a file that
    metadata.json does not list is refused too); the database snapshot is decompressed,
    checksummed, integrity-checked and its row counts compared. Foreign restic snapshots
    carry no metadata.json (restic checked its own data): they are restored with --to only.
    Any mismatch refuses the restore before anything changed;
 3. with `to`: the checked tree (in the backup layout, plus the decompressed database) is
    placed in that directory, which must be empty unless `force`;
 4. in place: a safety snapshot of the live database is taken (layer 3, kind "safety");
    cancellation is honoured up to here — nothing has changed yet. Then each unit (a files
    source, a config file, or a --path) is swapped by renames, the live one going to a
    safety area next to it (tree_swap.py), the database is written through the engine's
    `load` (SQLite: the backup API), and the result verified (every restored file's hash,
    the database's integrity and row counts). Any failure from the swap on renames every
    file back and reloads the safety snapshot: RestoreError(rolled_back=True).
 5. after success, what the restore replaced (in place, or in a --to directory with
    `force`) moves from the safety area to the trash, one item of kind "safety" per
    replaced entry (service/safety_trash.py); the result names the items.

Failure injection (service/faults.py): backup_restore.fetched (pause/kill point: the
point is in staging, not yet checked), backup_restore.before_swap,
backup_restore.files_swapped, backup_restore.after_swap, backup_restore.verify,
backup_restore.rollback.

Staging directories carry the pid that made them (``.tui-backup-staging-<pid>-<hex>``, the
fsutil temporary convention) and are registered in ``<state>/staging/`` before they are
created, wherever they are (beside the files, beside --to, in the snapshots dir): a killed
restore's leftovers are removed by the next restore or backup (`remove_stale_staging`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import zstandard

from tui_backup.destinations._manifest import links_of, unsafe_path
from tui_backup.destinations.base import METADATA_NAME, Destination, RestorePoint
from tui_backup.errors import CancelledError as UserCancelled
from tui_backup.errors import (
    NotFoundError,
    RestoreError,
    SnapshotCorruptError,
    TuiBackupError,
    UsageError,
)
from tui_backup.fsutil import make_private_dir, temp_path_for
from tui_backup.jobs.events import Finished, Progress, no_progress
from tui_backup.jobs.runner import JobContext, JobRunner, JobSpec, Subscriber, run_job_sync
from tui_backup.service import journal as _journal
from tui_backup.service.artifacts import ChecksumMismatch, decompress_file
from tui_backup.service.faults import checkpoint
from tui_backup.service.restore import SAFETY_COMPRESSION_LEVEL, TableChange, _verify_live
from tui_backup.service.safety_trash import (
    recover_safety_areas,
    register_area,
    trash_replaced,
    unregister_area,
)
from tui_backup.service.snapshots import Stopper, require_volumes, stage_snapshot
from tui_backup.service.staging import drop_staging, new_staging, remove_stale_staging
from tui_backup.service.tree_swap import (
    TreeSwap,
    Unit,
    copy_entry,
    differs,
    record_unit,
    safety_area,
    same_filesystem,
    sha256_file,
    walk_entries,
)

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService
    from tui_backup.service.snapshots import StagedSnapshot

T = TypeVar("T")
CORRUPT_HINT = "nothing was changed; pick another restore point (`tui-backup backup list DEST`)"


@dataclass(frozen=True)
class RestoreScope:
    """What to restore; all unset means everything the restore point holds."""

    database: bool = False
    files: bool = False
    paths: tuple[str, ...] = ()

    @property
    def everything(self) -> bool:
        return not (self.database or self.files or self.paths)


@dataclass(frozen=True)
class BackupRestorePlan:
    """What a restore would change (the dry run): layout paths of files, row counts."""

    destination: str
    point: str
    target: str  # "in place" or the --to directory
    in_place: bool
    foreign: bool
    added: list[str] = field(default_factory=list)
    overwritten: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    database: bool = False
    tables: list[TableChange] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BackupRestoreResult:
    destination: str
    point: str
    target: str
    in_place: bool
    files_restored: int
    database_restored: bool
    safety_snapshot_id: str | None = None
    safety_areas: list[str] = field(default_factory=list)  # only what could not go to the trash
    duration_s: float = 0.0
    # The replaced entries, now trash items: id, original (the live path), stored, restore (the command).
    safety_items: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# ---- metadata.json ----


@dataclass(frozen=True)
class _Artifact:
    size: int
    sha256: str


def _artifacts(meta: dict[str, Any]) -> dict[str, _Artifact]:
    """metadata.json's artifacts, as a list of {path, size, sha256} or a {path: {...}} map."""
    raw = meta.get("artifacts", [])
    items: Iterable[tuple[str, Any]]
    if isinstance(raw, dict):
        items = raw.items()
    else:
        items = ((str(a.get("path", "")), a) for a in raw if isinstance(a, dict))
    out: dict[str, _Artifact] = {}
    for path, a in items:
        size = a.get("size", a.get("size_bytes"))
        if path and isinstance(size, int) and isinstance(a.get("sha256"), str):
            out[path.strip("/")] = _Artifact(size, a["sha256"])
    return out


def _source_map(meta: dict[str, Any], svc: ProfileService) -> dict[str, Path]:
    """Layout path of each source ("files/library", "config/app.conf") -> its live path.

    From metadata.json's sources map (str or {source|path|original: str} values, or a list
    of {path, source}); the profile's own sources fill in what it lacks (label = basename)."""
    out: dict[str, Path] = {}
    raw = meta.get("sources", {})
    pairs: list[tuple[str, Any]] = []
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        pairs = [(str(e.get("path", "")), e) for e in raw if isinstance(e, dict)]
    for rel, value in pairs:
        original = value
        if isinstance(value, dict):
            original = value.get("source", value.get("original", value.get("path")))
        if isinstance(original, str) and original.startswith("/") and rel.startswith(("files/", "config/")):
            out[rel.strip("/")] = Path(original)
    src = svc.config.source
    for prefix, paths in (("files", src.files), ("config", src.config_files)):
        for p in paths:
            if Path(p) not in out.values():
                out.setdefault(f"{prefix}/{Path(p).name}", Path(p))
    return out


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


# ---- resolving the point and the scope ----


def _pick_point(points: list[RestorePoint], wanted: str, dest: str) -> RestorePoint:
    usable = [p for p in points if p.complete]
    if not usable:
        raise NotFoundError(f"destination {dest} holds no complete restore point", "run `tui-backup backup run DEST` first")
    if wanted == "latest":
        own = [p for p in usable if not p.foreign]
        return max(own or usable, key=lambda p: p.created_at)
    exact = [p for p in usable if p.id == wanted]
    if exact:
        return exact[0]
    matches = [p for p in usable if wanted and p.id.startswith(wanted)]  # "" is no prefix
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UsageError(f"{wanted!r} matches {len(matches)} restore points at {dest}", "give more of the id")
    raise NotFoundError(f"no restore point {wanted!r} at {dest}", f"list them: tui-backup backup list {dest}")


def _resolve_path(p: str, sources: dict[str, Path]) -> str:
    """A --path: layout-relative ("files/library/a.jpg") or an original absolute path."""
    if not p.startswith("/"):
        rel = os.path.normpath(p).strip("/")
        if rel.startswith("..") or rel == ".":
            raise UsageError(f"--path {p}: not a path inside the backup", "e.g. files/library/a.jpg")
        return rel
    absolute = Path(os.path.abspath(p))
    for rel, live in sorted(sources.items(), key=lambda kv: -len(str(kv[1]))):
        if absolute == live:
            return rel
        if absolute.is_relative_to(live):
            return f"{rel}/{absolute.relative_to(live).as_posix()}"
    raise UsageError(f"--path {p} is in none of the backed-up sources", "give a path like files/LABEL/NAME")


def _fetch_paths(scope: RestoreScope, foreign: bool) -> tuple[str, ...] | None:
    if scope.everything:
        return None
    wanted: list[str] = [] if foreign else [METADATA_NAME]
    if scope.database:
        wanted.append("database")
    if scope.files:
        wanted.append("files")
    # Absolute (original) paths are mapped through metadata.json's sources map once it is
    # read (_Restore._concrete); a foreign snapshot takes them as they are.
    wanted += [p if p.startswith("/") else _resolve_path(p, {}) for p in scope.paths]
    return tuple(dict.fromkeys(wanted))


# ---- the work ----


@dataclass
class _Fetched:
    point: RestorePoint
    staging: Path  # the private staging dir (removed at the end)
    root: Path  # the fetched tree inside it
    meta: dict[str, Any] | None  # None: foreign
    in_scope: dict[str, _Artifact]  # checked artifacts
    db_artifact: str | None = None
    db_raw: Path | None = None  # decompressed + checked copy
    db_tables: dict[str, int] = field(default_factory=dict)
    units: list[Unit] = field(default_factory=list)
    extra_dirs: list[Path] = field(default_factory=list)  # second staging copies


class _Restore:
    """One restore (or dry run) of one point from one destination."""

    def __init__(
        self, svc: ProfileService, dest: Destination, point: str, scope: RestoreScope, to: Path | None, force: bool
    ) -> None:
        self.svc = svc
        self.dest = dest
        self.wanted = point
        self.scope = scope
        self.to = Path(os.path.abspath(to.expanduser())) if to is not None else None
        self.force = force
        self.full_check = svc.config.snapshots.verify == "full"
        self.timeout = float(svc.config.snapshots.timeout_seconds)

    # -- before fetching --

    def check_target(self) -> None:
        to = self.to
        if to is None:
            return
        if to.exists() and not to.is_dir():
            raise UsageError(f"{to} is not a directory", "give a directory for --to")
        if to.is_dir() and any(to.iterdir()) and not self.force:
            raise UsageError(f"{to} is not empty", "add --force to restore into it anyway, or choose an empty directory")
        if not to.parent.is_dir():
            raise UsageError(f"the directory {to.parent} does not exist", f"create it first (mkdir -p -- {to.parent})")

    def staging_parent(self) -> Path:
        if self.to is not None:
            return self.to.parent
        if self.scope.everything or self.scope.files or self.scope.paths:
            for p in (*self.svc.config.source.files, *self.svc.config.source.config_files):
                if Path(p).parent.is_dir():
                    return Path(p).parent
        make_private_dir(self.svc.paths.snapshots_dir)
        return self.svc.paths.snapshots_dir

    async def fetch(self, ctx: JobContext) -> _Fetched:
        volume = self.dest.volume()
        if volume is not None:
            self.svc.guard.require_readable(volume)  # restoring from a write-protected drive
        ctx.progress(Progress("listing", None, message=f"finding {self.wanted} at {self.dest.name}"))
        point = _pick_point(await self.dest.list_points(ctx), self.wanted, self.dest.name)
        ctx.log(f"restore point {point.id} ({point.type}, {point.created_at})")
        staging = new_staging(self.svc, self.staging_parent())
        try:
            ctx.progress(Progress("fetching", None, message=f"fetching {point.id}"))
            paths = _fetch_paths(self.scope, point.foreign)
            if paths is not None and not point.foreign:
                paths = await self._concrete(ctx, point, staging, paths)
            root = await self.dest.fetch(ctx, point.id, staging, paths)
            checkpoint("backup_restore.fetched")
            fetched = _Fetched(point, staging, root, None, {})
            await ctx.in_thread(self.check, ctx, fetched, paths)
            return fetched
        except BaseException:
            drop_staging(self.svc, staging)
            raise

    async def _concrete(
        self, ctx: JobContext, point: RestorePoint, staging: Path, paths: tuple[str, ...]
    ) -> tuple[str, ...]:
        """Some destinations (restic) fetch only parts of the layout ("files/library") and
        what is below them, not "files" or "database": read metadata.json first and turn
        each such prefix into the parts it holds."""
        probe = staging / ".metadata"
        try:
            await self.dest.fetch(ctx, point.id, probe, (METADATA_NAME,))
            meta = json.loads((probe / METADATA_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return paths  # the full fetch will say what is wrong
        finally:
            shutil.rmtree(probe, ignore_errors=True)
        if not isinstance(meta, dict):
            return paths
        sources = _source_map(meta, self.svc)
        known = sorted(sources) + sorted(_artifacts(meta))
        out: list[str] = []
        for p in (_resolve_path(p, sources) for p in paths):
            below = [k for k in known if k.startswith(p + "/")]
            parts = [k for k in below if not any(k != o and _under(k, o) for o in below)]
            out += parts or [p]
        return tuple(dict.fromkeys(out))

    # -- checking what was fetched --

    def check(self, ctx: JobContext, f: _Fetched, paths: tuple[str, ...] | None) -> None:
        meta_file = f.root / METADATA_NAME
        if not meta_file.is_file():
            if not f.point.foreign:
                raise SnapshotCorruptError(f"restore point {f.point.id} has no {METADATA_NAME}", CORRUPT_HINT)
            if self.to is None or self.scope.database:
                raise UsageError(
                    f"restore point {f.point.id} was made by another tool: it has no database and no {METADATA_NAME}",
                    "restore its files with --to DIR",
                )
            return
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            if not isinstance(meta, dict):
                raise ValueError("not an object")
        except (OSError, ValueError) as exc:
            raise SnapshotCorruptError(f"{METADATA_NAME} of {f.point.id} is unreadable: {exc}", CORRUPT_HINT) from None
        f.meta = meta
        unsafe = [str(a.get("path")) for a in meta.get("artifacts", []) if isinstance(a, dict) and unsafe_path(str(a.get("path", "")))]
        if unsafe:  # a lying metadata.json must not make the checks read (or the swap reach) outside the point
            raise SnapshotCorruptError(f"{METADATA_NAME} of {f.point.id} lists an unsafe path: {unsafe[0]}", CORRUPT_HINT)
        artifacts = _artifacts(meta)
        prefixes = [p for p in paths if p != METADATA_NAME] if paths is not None else None
        f.in_scope = {
            a: v for a, v in artifacts.items() if prefixes is None or any(_under(a, p) for p in prefixes)
        }
        self._check_files(ctx, f, prefixes)
        self._check_database(ctx, f)
        if self.to is None:
            f.units = self._units(f)

    def _check_files(self, ctx: JobContext, f: _Fetched, prefixes: list[str] | None) -> None:
        total = sum(a.size for a in f.in_scope.values()) or 1
        done = 0
        unstored: list[str] = []
        for rel, art in sorted(f.in_scope.items()):
            ctx.cancel_token.raise_if_cancelled()
            path = f.root / rel
            if not path.is_file() or path.is_symlink():
                if self.dest.type == "restic" and not rel.startswith("database/"):
                    # metadata.json goes first, before restic reads the tree: a file that
                    # became unreadable meanwhile (restic exit 3, the backup "succeeded with
                    # warnings") is listed but was never stored. restic's own checks vouch
                    # for what it did store, so this is what that backup holds.
                    unstored.append(rel)
                    continue
                raise SnapshotCorruptError(f"{rel} is missing from restore point {f.point.id}", CORRUPT_HINT)
            size = path.stat().st_size
            if size != art.size:
                raise SnapshotCorruptError(
                    f"{rel} in restore point {f.point.id} has {size} bytes, {METADATA_NAME} records {art.size}",
                    CORRUPT_HINT,
                )
            if rel.startswith("database/") and rel.endswith(".zst"):
                continue  # hashed while it is decompressed (_check_database): read once, not twice
            digest = sha256_file(path)
            if digest != art.sha256:
                raise SnapshotCorruptError(
                    f"{rel} in restore point {f.point.id} is corrupt: it hashes to {digest[:16]}…, "
                    f"recorded {art.sha256[:16]}…",
                    CORRUPT_HINT,
                )
            done += art.size
            ctx.progress(Progress("checking", done / total, done, total, current=rel))
        if unstored:
            for rel in unstored:
                del f.in_scope[rel]
            shown = ", ".join(unstored[:3]) + (f" (+{len(unstored) - 3} more)" if len(unstored) > 3 else "")
            ctx.warn(
                f"{len(unstored)} file(s) listed in {METADATA_NAME} were not stored by restic (unreadable "
                f"when restore point {f.point.id} was made), so they are not restored: {shown}",
                unstored,
            )
        # A file metadata.json does not know is not what was backed up.
        links = links_of(f.meta or {})
        for top in ("files", "config", "database"):
            for name, path in walk_entries(f.root / top):
                rel = f"{top}/{name}" if name else top
                if path.is_symlink() and links is not None and links.get(rel) != os.readlink(path):
                    if prefixes is None or any(_under(rel, p) for p in prefixes):
                        raise SnapshotCorruptError(
                            f"restore point {f.point.id} holds a symlink {rel}, which its {METADATA_NAME} does not list",
                            CORRUPT_HINT,
                        )
                if rel == "database/metadata.json" or rel in f.in_scope or path.is_symlink():
                    continue  # listed symlinks are restored as they were stored (no content to hash)
                if prefixes is None or any(_under(rel, p) for p in prefixes):
                    raise SnapshotCorruptError(
                        f"restore point {f.point.id} holds {rel}, which its {METADATA_NAME} does not list", CORRUPT_HINT
                    )

    def _check_database(self, ctx: JobContext, f: _Fetched) -> None:
        dbs = [a for a in f.in_scope if a.startswith("database/") and a.endswith(".zst")]
        if not dbs:
            if self.scope.database:
                raise UsageError(f"restore point {f.point.id} holds no database", "restore its files with --files")
            return
        rel = dbs[0]
        art = f.in_scope[rel]
        engine = self.svc.database
        try:
            snapmeta = json.loads((f.root / "database" / METADATA_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SnapshotCorruptError(f"database/{METADATA_NAME} of {f.point.id} is unreadable: {exc}", CORRUPT_HINT) from None
        kind = (snapmeta.get("source") or {}).get("kind", engine.kind)
        if self.to is None and kind != engine.kind:
            raise UsageError(
                f"restore point {f.point.id} holds a {kind} database, the profile's database is {engine.kind}",
                "restore it with --to DIR, or with a profile for that database",
            )
        if self.to is None:
            raw = temp_path_for(self.svc.paths.snapshots_dir / f"backup-restore{engine.artifact_suffix}")
        else:
            raw = f.root / rel.removesuffix(".zst")
        ctx.progress(Progress("checking", None, message=f"checking the database snapshot {rel}"))
        try:
            size = decompress_file(
                f.root / rel, raw, expected_sha256=art.sha256, stop=Stopper(ctx.cancel_token, self.timeout, "checking")
            )
            if size != snapmeta.get("db_size_bytes", size):
                raise SnapshotCorruptError(
                    f"{rel} decompresses to {size} bytes, recorded {snapmeta.get('db_size_bytes')}", CORRUPT_HINT
                )
            if kind == engine.kind:
                engine.check(raw, full=self.full_check)
                tables = dict(engine.facts(raw).tables)
                recorded = snapmeta.get("tables")
                if isinstance(recorded, dict) and tables != recorded:
                    raise SnapshotCorruptError(f"{rel} has other row counts than recorded", CORRUPT_HINT)
                f.db_tables = tables
        except ChecksumMismatch as exc:
            raw.unlink(missing_ok=True)
            raise SnapshotCorruptError(
                f"{rel} in restore point {f.point.id} is corrupt: it hashes to {exc.actual[:16]}…", CORRUPT_HINT
            ) from None
        except zstandard.ZstdError as exc:
            raw.unlink(missing_ok=True)
            raise SnapshotCorruptError(f"{rel} does not decompress ({exc})", CORRUPT_HINT) from None
        except BaseException:
            raw.unlink(missing_ok=True)
            raise
        f.db_artifact, f.db_raw = rel, raw

    def _units(self, f: _Fetched) -> list[Unit]:
        assert f.meta is not None
        sources = _source_map(f.meta, self.svc)
        units: list[Unit] = []
        if self.scope.everything or self.scope.files:
            for rel, live in sorted(sources.items()):
                wanted_kind = rel.startswith("files/") or (self.scope.everything and rel.startswith("config/"))
                holds = os.path.lexists(f.root / rel) or any(_under(a, rel) for a in f.in_scope)
                if wanted_kind and holds:
                    units.append(Unit(rel, live, live))
        for p in self.scope.paths:
            rel = _resolve_path(p, sources)
            root = next(((r, live) for r, live in sources.items() if _under(rel, r)), None)
            if root is None:
                raise UsageError(f"--path {p} is in none of the backed-up sources", "give a path like files/LABEL/NAME")
            if not os.path.lexists(f.root / rel):
                raise UsageError(f"--path {p}: {rel} is not in restore point {f.point.id}", "check the path")
            live = root[1] / rel[len(root[0]) :].lstrip("/")
            if not any(_under(rel, u.rel) for u in units):
                units.append(Unit(rel, live, root[1]))
        own = {Path(p) for p in (*self.svc.config.source.files, *self.svc.config.source.config_files)}
        for u in units:  # metadata.json says where each source lived: in place, only the profile's own are written
            if u.root not in own:
                raise UsageError(
                    f"restore point {f.point.id} puts {u.rel} at {u.root}, which is not a source of profile "
                    f"{self.svc.config.name}",
                    "restore it elsewhere with --to DIR, or add that source back to the profile",
                )
        return units

    # -- the dry run --

    def plan(self, f: _Fetched) -> BackupRestorePlan:
        added: list[str] = []
        overwritten: list[str] = []
        deleted: list[str] = []
        if self.to is not None:
            for top in sorted(os.listdir(f.root)):
                for name, _path in walk_entries(f.root / top):
                    rel = f"{top}/{name}" if name else top
                    (overwritten if os.path.lexists(self.to / rel) else added).append(rel)
        for unit in f.units:
            staged = dict(walk_entries(f.root / unit.rel))
            live = dict(walk_entries(unit.live))
            for name in sorted(set(staged) | set(live)):
                rel = f"{unit.rel}/{name}" if name else unit.rel
                if name not in live:
                    added.append(rel)
                elif name not in staged:
                    deleted.append(rel)
                elif differs(staged[name], live[name]):
                    overwritten.append(rel)
        tables: list[TableChange] = []
        if f.db_raw is not None and self.to is None:
            before = dict(self.svc.database.facts().tables)
            tables = [TableChange(t, before.get(t), f.db_tables.get(t)) for t in sorted(set(before) | set(f.db_tables))]
        return BackupRestorePlan(
            self.dest.name, f.point.id, str(self.to) if self.to else "in place", self.to is None, f.point.foreign,
            added, overwritten, deleted, f.db_raw is not None, tables,
        )  # fmt: skip

    # -- placing elsewhere --

    def place(self, ctx: JobContext, f: _Fetched) -> BackupRestoreResult:
        assert self.to is not None
        ctx.cancel_token.raise_if_cancelled()
        moved_aside: list[tuple[Path, Path]] = []  # (where it was, where it is now)
        if not self.to.exists():
            os.rename(f.root, self.to)
            count = sum(1 for top in os.listdir(self.to) for _ in walk_entries(self.to / top))
        else:
            count = 0
            for top in sorted(os.listdir(f.root)):
                dst = self.to / top
                if os.path.lexists(dst):  # only with --force: kept, never deleted
                    area = safety_area(self.to / "x", ctx.job_id)
                    register_area(self.svc, area)  # a kill from here on: the next run finishes it
                    make_private_dir(area)
                    record_unit(area, Unit(top, dst, dst))
                    os.rename(dst, area / top)
                    moved_aside.append((dst, area / top))
                    checkpoint("backup_restore.placing")
                count += sum(1 for _ in walk_entries(f.root / top))
                os.rename(f.root / top, dst)
        ctx.summary = f"restored {f.point.id} from {self.dest.name} to {self.to}"
        handoff = trash_replaced(
            self.svc, moved_aside, [p.parent for _d, p in moved_aside], job_id=ctx.job_id, log=ctx.thread_log
        )
        for area in dict.fromkeys(p.parent for _d, p in moved_aside):
            unregister_area(self.svc, area)
        return BackupRestoreResult(
            self.dest.name, f.point.id, str(self.to), False, count, f.db_raw is not None,
            safety_areas=handoff.left_in, safety_items=handoff.items,
        )  # fmt: skip

    # -- in place --

    def _staged_for(self, ctx: JobContext, f: _Fetched, unit: Unit) -> Path:
        staged = f.root / unit.rel
        if same_filesystem(staged, unit.root.parent):
            return staged
        # Another filesystem: copy it next to the source first, so the swap stays renames.
        second = new_staging(self.svc, unit.root.parent)
        f.extra_dirs.append(second)
        copy_entry(staged, second / unit.rel)
        ctx.thread_log(f"copied {unit.rel} to {second} (another filesystem)")
        return second / unit.rel

    def swap_in_place(self, ctx: JobContext, f: _Fetched) -> BackupRestoreResult:
        svc = self.svc
        engine = svc.database
        for v in svc.volumes():
            if any(Path(v.path) == u.root for u in f.units):
                # A deleted config file is restored into its directory; a missing files
                # directory may be an unmounted drive: the guard refuses it.
                if not (v.is_file and not os.path.lexists(v.path) and Path(v.path).parent.is_dir()):
                    svc.guard.require(v)
        if f.db_raw is not None:
            require_volumes(svc, "source.database", "snapshots")
        staged_paths = [self._staged_for(ctx, f, u) for u in f.units]
        safety: StagedSnapshot | None = None
        if f.db_raw is not None:
            ctx.progress(Progress("safety", None, message="taking a safety snapshot of the live database"))
            safety = stage_snapshot(
                svc, engine, note=f"before restoring {f.point.id} from {self.dest.name}", kind="safety",
                progress=no_progress, stop=Stopper(ctx.cancel_token, self.timeout, "the safety snapshot"),
                log=ctx.thread_log, warnings=[], job_id=ctx.job_id, keep_damaged=True,
                level=min(SAFETY_COMPRESSION_LEVEL, svc.config.snapshots.compression_level),
            )  # fmt: skip
            safety.drop_raw()
            try:
                ctx.cancel_token.raise_if_cancelled()
            except BaseException:
                safety.discard()
                raise
            safety_rec = safety.commit(svc, ctx.job_id)
            ctx.thread_log(f"safety snapshot {safety_rec.id} taken")
        ctx.cancel_token.raise_if_cancelled()  # the last point where cancelling changes nothing
        checkpoint("backup_restore.before_swap")
        swap = TreeSwap(ctx.job_id)
        db_loaded = False
        ctx.progress(Progress("restoring", None, message=f"swapping in {f.point.id}"))
        try:
            for unit, staged in zip(f.units, staged_paths, strict=True):
                swap.swap(unit, staged)
            checkpoint("backup_restore.files_swapped")
            if f.db_raw is not None:
                db_loaded = True
                engine.load(f.db_raw, timeout=self.timeout, progress=ctx.progress)
            checkpoint("backup_restore.after_swap")
            ctx.progress(Progress("verifying", None, message="verifying the restored files and database"))
            checkpoint("backup_restore.verify")
            count = self._verify(f)
            if f.db_raw is not None:
                _verify_live(engine, f.db_tables, full=self.full_check, check=True)
        except BaseException as exc:
            self._roll_back(ctx, f, swap, safety if db_loaded else None, exc)
        ctx.summary = f"restored {f.point.id} from {self.dest.name} in place"
        # Succeeded: from here on the safety area is no longer needed for a rollback.
        handoff = trash_replaced(
            svc, [(u.live, copy) for u, copy in swap.replaced()], swap.safety_areas, job_id=ctx.job_id,
            log=ctx.thread_log,
        )  # fmt: skip
        return BackupRestoreResult(
            self.dest.name, f.point.id, "in place", True, count, f.db_raw is not None,
            safety.id if safety is not None else None, handoff.left_in, safety_items=handoff.items,
        )  # fmt: skip

    def _verify(self, f: _Fetched) -> int:
        count = 0
        for unit in f.units:
            for rel, art in f.in_scope.items():
                if _under(rel, unit.rel):
                    live = unit.live / rel[len(unit.rel) :].lstrip("/") if rel != unit.rel else unit.live
                    if not live.is_file() or sha256_file(live) != art.sha256:
                        raise RestoreError(f"{live} does not match the backup after restoring it", "")
                    count += 1
        return count

    def _roll_back(
        self, ctx: JobContext, f: _Fetched, swap: TreeSwap, safety: StagedSnapshot | None, cause: BaseException
    ) -> NoReturn:
        reason = cause.message if isinstance(cause, TuiBackupError) else f"{type(cause).__name__}: {cause}"
        ctx.thread_log(f"restore failed after the swap started ({reason}); rolling back")
        ctx.progress(Progress("rolling back", None, message="rolling back"))
        problems: list[str] = []
        try:
            checkpoint("backup_restore.rollback")
            swap.roll_back()
        except BaseException as exc:
            problems.append(f"files: {exc}")
        if safety is not None:
            engine = self.svc.database
            copy = temp_path_for(self.svc.paths.snapshots_dir / f"{safety.id}.rollback{engine.artifact_suffix}")
            try:
                decompress_file(safety.final_dir / safety.artifact, copy, expected_sha256=safety.stored.sha256)
                engine.load(copy, timeout=self.timeout, progress=no_progress)
                _verify_live(engine, dict(safety.facts.tables), full=self.full_check, check=safety.sound)
            except BaseException as exc:
                problems.append(f"database: {exc}")
            finally:
                copy.unlink(missing_ok=True)
        if problems:
            areas = ", ".join(str(a) for a in swap.safety_areas) or "none"
            hint = f"live files moved aside are in {areas}"
            if safety is not None:
                hint += f"; the database is in safety snapshot {safety.id} (`tui-backup snapshot restore {safety.id}`)"
            raise RestoreError(
                f"restore of {f.point.id} failed ({reason}) and rolling back failed too ({'; '.join(problems)})",
                hint,
                rolled_back=False,
            ) from None
        ctx.thread_log("rolled back: files and database are as they were")
        raise RestoreError(
            f"restore of {f.point.id} failed ({reason}); files and database were rolled back",
            "everything is as it was before the restore; see the job log for details",
            rolled_back=True,
        ) from None


async def _past_cancel(ctx: JobContext, fn: Callable[..., T], *args: Any) -> T:
    """`ctx.in_thread` for the swap: the thread honours cancellation only up to the swap;
    a cancel arriving after that lets it finish (or roll back) and reports what it did,
    never "cancelled, nothing changed" over a restore that happened."""
    fut = asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args))
    try:
        return await asyncio.shield(fut)
    except asyncio.CancelledError:
        ctx.cancel_token.cancel()
        result = await fut  # raises UserCancelled when the thread stopped before the swap
        ctx.warn("the cancel request came after the swap had begun: the restore was completed")
        return result


def _cleanup(svc: ProfileService, f: _Fetched) -> None:
    drop_staging(svc, f.staging)
    for d in f.extra_dirs:
        drop_staging(svc, d)
    if f.db_raw is not None:
        with contextlib.suppress(FileNotFoundError):
            f.db_raw.unlink()


def _run(
    svc: ProfileService,
    restore: _Restore,
    dry_run: bool,
    subscribers: Iterable[Subscriber],
) -> BackupRestorePlan | BackupRestoreResult:
    """Run the restore (or the dry run) as a job; raise its error if it did not succeed."""
    restore.check_target()
    out: list[BackupRestorePlan | BackupRestoreResult] = []
    error: list[BaseException] = []

    async def body(ctx: JobContext) -> None:
        started = time.monotonic()
        try:
            for gone in await ctx.in_thread(remove_stale_staging, svc):
                ctx.log(f"removed {gone}, left by an earlier restore that did not finish")
            for line in await ctx.in_thread(recover_safety_areas, svc):  # a killed restore's swap
                ctx.log(line)
            f = await restore.fetch(ctx)
            try:
                if dry_run:
                    plan = await ctx.in_thread(restore.plan, f)
                    ctx.summary = (
                        f"dry run of {f.point.id}: {len(plan.added)} added, {len(plan.overwritten)} overwritten, "
                        f"{len(plan.deleted)} deleted"
                    )
                    out.append(plan)
                    return
                if restore.to is not None:
                    result = await ctx.in_thread(restore.place, ctx, f)
                else:
                    result = await _past_cancel(ctx, restore.swap_in_place, ctx, f)
                result = BackupRestoreResult(**{**asdict(result), "duration_s": round(time.monotonic() - started, 3)})
                ctx.details.update(result.to_json())
                out.append(result)
            finally:
                await ctx.in_thread(_cleanup, svc, f)
        except BaseException as exc:
            error.append(exc)
            raise

    target = f"{restore.dest.name}:{restore.wanted}" + (" (dry run)" if dry_run else "")
    finished = run_job_sync(
        JobRunner.for_profile(svc), JobSpec("restore", target, body, lock=restore.dest.name), *subscribers
    )
    return _outcome(finished, out, error)


def _outcome(
    finished: Finished, out: list[BackupRestorePlan | BackupRestoreResult], error: list[BaseException]
) -> BackupRestorePlan | BackupRestoreResult:
    if finished.ok and out:
        return out[0]
    if error and isinstance(error[0], TuiBackupError):
        raise error[0]
    if finished.status == "cancelled":
        raise UserCancelled(finished.error_message or "the restore was cancelled", "nothing was changed")
    raise TuiBackupError(finished.error_message or "the restore failed", finished.hint or "")


def plan_backup_restore(
    svc: ProfileService,
    dest: Destination,
    point: str = "latest",
    *,
    scope: RestoreScope = RestoreScope(),
    to: Path | None = None,
    subscribers: Iterable[Subscriber] = (),
) -> BackupRestorePlan:
    """Fetch and check the point, then list what a restore would change; change nothing."""
    plan = _run(svc, _Restore(svc, dest, point, scope, to, force=True), True, subscribers)
    assert isinstance(plan, BackupRestorePlan)
    return plan


def restore_backup(
    svc: ProfileService,
    dest: Destination,
    point: str = "latest",
    *,
    scope: RestoreScope = RestoreScope(),
    to: Path | None = None,
    force: bool = False,
    subscribers: Iterable[Subscriber] = (),
) -> BackupRestoreResult:
    """Raises SnapshotCorruptError / UsageError (nothing changed), CancelledError (nothing
    changed), RestoreError(rolled_back=True|False)."""
    result = _run(svc, _Restore(svc, dest, point, scope, to, force), False, subscribers)
    assert isinstance(result, BackupRestoreResult)
    _journal.try_record(svc, "restore", result.target, {"source": "backup", **result.to_json()})
    return result
