"""The local destination: plain copies (or one .tar.zst per backup) in a local directory.

Layout: `DEST/<profile>/<stamp>-<type>/` holding the backup layout (see base.py) with
permissions and times kept and symlinks kept as symlinks; or, with `archive = true`, one
`DEST/<profile>/<stamp>-<type>.tar.zst` whose first member is metadata.json.

A run writes under `.incomplete-<pid>-<name>`, re-hashes what it wrote against
metadata.json, and only then renames it to its final name: a cancelled, failed or
crashed run never leaves anything that looks like a restore point (`list_points` skips
`.incomplete-*`; the next run removes those whose process is gone).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
import tarfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import zstandard

from tui_backup.config._schema import Key
from tui_backup.destinations import check_table, config_error
from tui_backup.destinations._manifest import (
    CHUNK,
    artifacts_of,
    links_of,
    read_metadata,
    unlisted_entries,
    unsafe_path,
    verify_tree,
)
from tui_backup.destinations._trash_dir import check_ref, purge_trashed_in, trashed_refs_in
from tui_backup.destinations.base import (
    BACKUP_TYPES,
    DEST_TRASH_DIR,
    METADATA_NAME,
    BackupContent,
    BackupOutcome,
    ContentPart,
    DestinationConfigContext,
    RestorePoint,
)
from tui_backup.fsutil import FILE_MODE, fsync_dir, make_private_dir, pid_alive
from tui_backup.jobs.errors import ErrorKind, JobError, describe
from tui_backup.jobs.events import CancelToken, Progress
from tui_backup.service.faults import checkpoint
from tui_backup.service.volumes import Volume

if TYPE_CHECKING:
    from tui_backup.jobs.runner import JobContext

KEYS: tuple[Key, ...] = (
    Key("path", "path", None, "Directory that receives the backups (DEST/<profile>/<time>-<type>).", required=True),
    Key("archive", "bool", False, "Write each backup as one portable <time>-<type>.tar.zst file instead of a directory."),
    Key("compression_level", "int", 3, "zstd level of archives, 1 (fastest) to 19 (smallest).", minimum=1, maximum=19),
)

INCOMPLETE = ".incomplete-"
REMOVING = ".removing-"  # leftovers of the old rename-then-delete removal: cleaned up
ARCHIVE_SUFFIX = ".tar.zst"


def from_config(name: str, table: dict[str, Any], ctx: DestinationConfigContext) -> LocalDestination:
    values = check_table(table, KEYS, ctx)
    if not ctx.profile:
        raise config_error(ctx, "path", "a local destination needs the profile's name", "this is a bug")
    path: Path = values["path"]
    if path == Path("/"):
        raise config_error(ctx, "path", "refusing to use / as a destination", "point it at a directory of its own")
    return LocalDestination(name, path, ctx.profile, values["archive"], values["compression_level"])


# ---- progress ----


class _Meter:
    """Counts bytes and files; reports fraction, rate and ETA; stops on cancellation."""

    def __init__(self, ctx: JobContext, stage: str, bytes_total: int, files_total: int) -> None:
        self.ctx = ctx
        self.token: CancelToken = ctx.cancel_token
        self.stage = stage
        self.bytes_total = bytes_total
        self.files_total = files_total
        self.bytes_done = 0
        self.files_done = 0
        self.current = ""
        self.t0 = time.monotonic()

    def add(self, n: int) -> None:
        self.bytes_done += n
        self.token.raise_if_cancelled()
        self.emit()

    def file(self, rel: str) -> None:
        self.current = rel
        self.token.raise_if_cancelled()

    def file_done(self) -> None:
        self.files_done += 1
        self.emit()

    def emit(self) -> None:
        elapsed = time.monotonic() - self.t0
        rate = self.bytes_done / elapsed if elapsed > 0.2 else None
        left = max(self.bytes_total - self.bytes_done, 0)
        eta = left / rate if rate else None
        fraction = min(self.bytes_done / self.bytes_total, 1.0) if self.bytes_total else None
        self.ctx.progress(
            Progress(
                self.stage, fraction, self.bytes_done, self.bytes_total, files_done=self.files_done,
                files_total=self.files_total, rate=rate, eta_s=eta, current=self.current,
            )
        )


# ---- walking the content ----


@dataclass(frozen=True)
class _Entry:
    rel: str  # layout path
    source: Path
    kind: str  # "dir" | "file" | "link"
    size: int = 0


def _entries(parts: tuple[ContentPart, ...]) -> Iterator[_Entry]:
    """Every directory, regular file and symlink of the content, parents first."""
    for part in parts:
        if not part.is_dir:
            yield _Entry(part.path, part.source, "file", part.source.stat().st_size)
            continue
        yield _Entry(part.path, part.source, "dir")
        for dirpath, dirnames, filenames in os.walk(part.source):
            base = Path(dirpath)
            rel_base = part.path + "/" + base.relative_to(part.source).as_posix() if base != part.source else part.path
            dirnames.sort()
            for d in list(dirnames):
                p = base / d
                if p.is_symlink():  # os.walk lists links to dirs as dirs: keep them as links
                    dirnames.remove(d)
                    yield _Entry(f"{rel_base}/{d}", p, "link")
                else:
                    yield _Entry(f"{rel_base}/{d}", p, "dir")
            for f in sorted(filenames):
                p = base / f
                st = p.lstat()
                if stat.S_ISLNK(st.st_mode):
                    yield _Entry(f"{rel_base}/{f}", p, "link")
                elif stat.S_ISREG(st.st_mode):
                    yield _Entry(f"{rel_base}/{f}", p, "file", st.st_size)
                # sockets, fifos and devices are not backed up


def _copy_file(src: Path, dst: Path, meter: _Meter) -> None:
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
    with open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
        while chunk := fin.read(CHUNK):
            fout.write(chunk)
            meter.add(len(chunk))
        fout.flush()
        os.fsync(fout.fileno())
    shutil.copystat(src, dst)  # permissions and times kept


class _CountingReader:
    """A file object for tarfile that reports what it reads."""

    def __init__(self, f: IO[bytes], meter: _Meter) -> None:
        self.f = f
        self.meter = meter

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.meter.add(len(data))
        return data


def _safe_member(m: tarfile.TarInfo, links: dict[str, str] | None = None) -> str | None:
    """Why an archive member must not be extracted (None: it is safe).

    A symlink pointing outside the backup (absolute, or up out of it) is the user's own data
    when the point's metadata.json lists it with that target (`links`): it is stored and
    restored as a link, never followed (the "tar" extraction filter refuses writing through a
    link out of the target). Unlisted, it is refused."""
    name = m.name
    parts = Path(name).parts
    if name.startswith("/") or ".." in parts or not parts:
        return f"unsafe path {name!r}"
    if m.islnk():
        return f"hard link {name!r}"
    if m.issym():
        target = m.linkname
        outside = target.startswith("/") or os.path.normpath(
            os.path.join(os.path.dirname(name), target)).startswith("..")
        if outside and (links is None or links.get(name) != target):
            return f"link {name!r} points outside the backup ({target!r})"
    if not (m.isfile() or m.isdir() or m.issym()):
        return f"special file {name!r}"
    return None


def _wanted(rel: str, paths: tuple[str, ...] | None) -> bool:
    if paths is None or rel == METADATA_NAME:
        return True
    for p in paths:
        p = p.strip("/")
        if rel == p or rel.startswith(p + "/") or p.startswith(rel + "/"):
            return True
    return False


def _selected(rel: str, paths: tuple[str, ...] | None) -> bool:
    """`rel` itself is asked for (not only a parent directory of something asked for)."""
    if paths is None or rel == METADATA_NAME:
        return True
    return any(rel == p.strip("/") or rel.startswith(p.strip("/") + "/") for p in paths)


class LocalDestination:
    """A directory on this machine (often a mounted external drive)."""

    type = "local"

    def __init__(self, name: str, path: Path, profile: str, archive: bool = False, level: int = 3) -> None:
        self.name = name
        self.path = path
        self.profile = profile
        self.archive = archive
        self.level = level

    @property
    def root(self) -> Path:
        return self.path / self.profile

    def describe(self) -> str:
        return f"local {'archives' if self.archive else 'copies'} in {self.root}"

    def volume(self) -> Volume:
        return Volume(f"destination.{self.name}", self.path, "destination")

    # ---- backup ----

    async def backup(self, ctx: JobContext, content: BackupContent) -> BackupOutcome:
        make_private_dir(self.root)
        self._remove_stale()
        final_name = f"{content.stamp}-{content.type}" + (ARCHIVE_SUFFIX if self.archive else "")
        final = self.root / final_name
        if final.exists() or final.is_symlink():
            raise JobError(ErrorKind.FAILED, f"{final} already exists", "wait a second and run the backup again")
        temp = self.root / f"{INCOMPLETE}{os.getpid()}-{final_name}"
        try:
            try:
                outcome = await ctx.in_thread(self._write_and_verify, ctx, content, temp)
                os.rename(temp, final)
                fsync_dir(self.root)
            except OSError as exc:
                raise _classify_os_error(exc, self.name) from exc
        except BaseException:
            await _remove_quietly(ctx, temp)
            raise
        point = self._point(final, content.metadata)
        ctx.summary = f"backup {final_name} written to {self.root}"
        return BackupOutcome(point, outcome[0], files=outcome[1])

    def _write_and_verify(self, ctx: JobContext, content: BackupContent, temp: Path) -> tuple[int, int]:
        # Only what the manifest lists: a file skipped as unreadable there (a warning) is not copied.
        listed = artifacts_of(content.metadata)
        entries = [e for e in _entries(content.parts) if e.kind != "file" or e.rel in listed or e.rel == METADATA_NAME]
        total = sum(e.size for e in entries)
        files = sum(1 for e in entries if e.kind == "file")
        meter = _Meter(ctx, "copying", total, files)
        meter.emit()
        if self.archive:
            self._write_archive(content, entries, temp, meter)
        else:
            self._write_tree(entries, temp, meter)
        ctx.thread_log(f"wrote {meter.bytes_done} bytes in {meter.files_done} files; verifying")
        check = _Meter(ctx, "verifying", total, files)
        problems = self._verify(temp, content.metadata, check)
        if problems:
            raise JobError(
                ErrorKind.FAILED,
                f"the copy does not match the source ({len(problems)} problem(s), first: {problems[0]})",
                "a file changed while the backup ran, or the destination drive is failing: run the backup again",
            )
        return meter.bytes_done, meter.files_done

    def _write_tree(self, entries: list[_Entry], temp: Path, meter: _Meter) -> None:
        temp.mkdir(mode=0o700)
        dirs: list[_Entry] = []
        for e in entries:
            dst = temp / e.rel
            meter.file(e.rel)
            if e.kind == "dir":
                make_private_dir(dst)
                dirs.append(e)
            elif e.kind == "link":
                make_private_dir(dst.parent)
                os.symlink(os.readlink(e.source), dst)
                with contextlib.suppress(OSError, NotImplementedError):
                    os.utime(dst, ns=(e.source.lstat().st_atime_ns, e.source.lstat().st_mtime_ns), follow_symlinks=False)
            else:
                make_private_dir(dst.parent)
                _copy_file(e.source, dst, meter)
                meter.file_done()
                checkpoint("local.file_copied")  # tests: pause mid-copy (see service/faults.py)
        for e in reversed(dirs):  # after their contents, so the times stay as they were
            shutil.copystat(e.source, temp / e.rel, follow_symlinks=False)
        for d in sorted({p.parent for p in (temp / e.rel for e in entries)} | {temp}, key=lambda p: -len(p.parts)):
            with contextlib.suppress(OSError):
                fsync_dir(d)

    def _write_archive(self, content: BackupContent, entries: list[_Entry], temp: Path, meter: _Meter) -> None:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
        with os.fdopen(fd, "wb") as raw:
            # stream_writer, not read_to_iter with threads (that corrupts output in zstandard 0.25)
            zw = zstandard.ZstdCompressor(level=self.level).stream_writer(raw, closefd=False)
            with zw, tarfile.open(fileobj=zw, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                meta = next(p for p in content.parts if p.path == METADATA_NAME)
                tar.add(meta.source, arcname=METADATA_NAME, recursive=False)  # first: cheap to list
                for e in entries:
                    if e.rel == METADATA_NAME:
                        continue
                    meter.file(e.rel)
                    info = tar.gettarinfo(str(e.source), arcname=e.rel)
                    if e.kind == "file":
                        with open(e.source, "rb") as f:
                            tar.addfile(info, _CountingReader(f, meter))
                        meter.file_done()
                    else:
                        tar.addfile(info)
            raw.flush()
            os.fsync(raw.fileno())

    def _verify(self, where: Path, metadata: dict[str, Any], meter: _Meter) -> list[str]:
        if where.is_dir():
            problems = verify_tree(where, metadata, on_bytes=meter.add, on_file=lambda rel: meter.file_done())
            problems += unlisted_entries(where, metadata)  # what the point holds beyond its manifest
            try:
                if read_metadata(where) != metadata:
                    problems.append("metadata.json: differs from what was sent")
            except (OSError, ValueError):
                problems.append("metadata.json: missing or unreadable")
            return problems
        expected = artifacts_of(metadata)
        seen: set[str] = set()
        problems = []
        import hashlib

        links = links_of(metadata)
        for member, f in _iter_archive(where):
            why = _safe_member(member, links)
            if why is not None:
                problems.append(why)
            if member.issym() and links is not None and links.get(member.name) != member.linkname:
                problems.append(f"{member.name}: a symlink {METADATA_NAME} does not list")
            if f is None:
                continue
            h = hashlib.sha256()
            size = 0
            while chunk := f.read(CHUNK):
                h.update(chunk)
                size += len(chunk)
                meter.add(len(chunk))
            if member.name == METADATA_NAME:
                continue
            meter.file_done()
            a = expected.get(member.name)
            if a is None and member.name != f"database/{METADATA_NAME}":
                problems.append(f"{member.name}: not listed in {METADATA_NAME}")
            if a is not None:
                seen.add(member.name)
                if a.get("size") != size or a.get("sha256") != h.hexdigest():
                    problems.append(f"{member.name}: checksum mismatch")
        problems.extend(f"{rel}: missing" for rel in expected if rel not in seen)
        problems.extend(f"{rel}: unsafe path in {METADATA_NAME}" for rel in expected if unsafe_path(rel))
        return problems

    # ---- listing ----

    def _remove_stale(self) -> None:
        """Leftovers of runs whose process is gone (a crash or a power cut)."""
        for p in self.root.glob(INCOMPLETE + "*"):
            pid = p.name[len(INCOMPLETE):].split("-", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
                _remove(p)

    def _point(self, p: Path, metadata: dict[str, Any] | None) -> RestorePoint:
        name = p.name
        base = name[: -len(ARCHIVE_SUFFIX)] if name.endswith(ARCHIVE_SUFFIX) else name
        stamp, _, type_ = base.partition("-")
        md = metadata or {}
        size = p.stat().st_size if p.is_file() else sum(int(a.get("size", 0)) for a in artifacts_of(md).values())
        created = md.get("created_at") or _stamp_to_time(stamp)
        return RestorePoint(
            id=name,
            destination=self.name,
            created_at=str(created),
            type=str(md.get("type", type_)),
            size_bytes=size,
            host=md.get("host"),
            complete=True,
            location=str(p),
            details={"archive": p.is_file(), "policy": md.get("policy")},
        )

    async def list_points(self, ctx: JobContext | None) -> list[RestorePoint]:
        return self._list()

    def _list(self) -> list[RestorePoint]:
        if not self.root.is_dir():
            return []
        points: list[RestorePoint] = []
        for p in self.root.iterdir():
            name = p.name
            if name.startswith(".") or p.is_symlink():
                continue  # .incomplete-*, the volume marker
            base = name[: -len(ARCHIVE_SUFFIX)] if name.endswith(ARCHIVE_SUFFIX) else name
            stamp, _, type_ = base.partition("-")
            if type_ not in BACKUP_TYPES or len(stamp) != 16:
                continue
            try:
                md = read_metadata(p) if p.is_dir() else _archive_metadata(p)
            except (OSError, ValueError, tarfile.TarError, zstandard.ZstdError):
                md = None
            points.append(self._point(p, md))
        points.sort(key=lambda r: r.id, reverse=True)
        return points

    def _find(self, point_id: str) -> Path:
        if point_id == "latest":
            pts = self._list()
            if not pts:
                raise JobError(ErrorKind.FAILED, f"no backups at {self.root}", "run `tui-backup backup run` first")
            point_id = pts[0].id
        if "/" in point_id or point_id.startswith("."):
            raise JobError(ErrorKind.FAILED, f"bad restore point id {point_id!r}", "use an id from `backup list`")
        p = self.root / point_id
        if not p.exists():
            raise JobError(ErrorKind.FAILED, f"no restore point {point_id!r} at {self.root}", "see `tui-backup backup list`")
        return p

    # ---- retention, through the trash (base.py) ----

    @property
    def trash_dir(self) -> Path:
        return self.root / DEST_TRASH_DIR

    def trash_ref(self, point: RestorePoint, item_id: str) -> str:
        return f"{item_id}/{point.id}"

    def trash_location(self, ref: str) -> str:
        return str(self.trash_dir / ref)

    async def trash_points(self, ctx: JobContext, moves: Sequence[tuple[RestorePoint, str]], *,
                           expires_at: str) -> None:
        """Each point leaves in one rename into `<root>/.tui-backup-trash/<item>/`; the
        newest point is refused. Leftovers of the old `.removing-*` path go first."""
        await ctx.in_thread(self._trash_points, ctx, [(p.id, ref) for p, ref in moves])
        ctx.summary = f"moved {len(moves)} restore point(s) to the trash at {self.trash_dir}"

    def _trash_points(self, ctx: JobContext, moves: list[tuple[str, str]]) -> None:
        for leftover in self.root.glob(REMOVING + "*"):
            _remove(leftover)
        points = self._list()
        known = {p.id for p in points}
        newest = next((p.id for p in points if p.complete), None)
        for pid, ref in moves:
            if "/" in pid or pid.startswith(".") or pid not in known:
                raise JobError(ErrorKind.FAILED, f"no restore point {pid!r} at {self.root}",
                               "list them with `tui-backup backup list`")
            if pid == newest:
                raise JobError(ErrorKind.FAILED, f"refusing to remove {pid}: it is the newest backup at {self.root}",
                               "the newest backup is never removed (this is a bug)")
            check_ref(ref)
        make_private_dir(self.trash_dir)
        for pid, ref in moves:
            ctx.cancel_token.raise_if_cancelled()
            holder = self.trash_dir / ref.split("/", 1)[0]
            try:
                make_private_dir(holder)
                os.rename(self.root / pid, holder / pid)  # gone from the listing in one step
                fsync_dir(self.root)
                fsync_dir(holder)
            except OSError as exc:
                raise _classify_os_error(exc, self.name) from exc
            checkpoint("dest_trash.moved")  # tests: a kill between two moves
            ctx.thread_log(f"moved {pid} to the trash ({holder.name})")

    async def trashed_refs(self, ctx: JobContext | None) -> set[str]:
        return trashed_refs_in(self.trash_dir)

    async def restore_trashed(self, ctx: JobContext, ref: str) -> str:
        check_ref(ref)
        item, pid = ref.split("/", 1)
        src, dst = self.trash_dir / ref, self.root / pid
        if not os.path.lexists(src):
            raise JobError(ErrorKind.FAILED, f"{src} is gone", "it was deleted outside the tool")
        if os.path.lexists(dst):
            raise JobError(ErrorKind.FAILED, f"a restore point {pid} already exists at {self.root}",
                           "remove or rename it first")
        os.rename(src, dst)
        fsync_dir(self.root)
        with contextlib.suppress(OSError):
            (self.trash_dir / item).rmdir()
        ctx.summary = f"restore point {pid} is back at {self.root}"
        return pid

    async def purge_trashed(self, ctx: JobContext, refs: Sequence[str]) -> None:
        await ctx.in_thread(purge_trashed_in, self.trash_dir, list(refs))
        ctx.summary = f"deleted {len(refs)} restore point(s) from the trash at {self.trash_dir}"

    # ---- fetch ----

    async def fetch(
        self, ctx: JobContext, point_id: str, staging: Path, paths: tuple[str, ...] | None = None
    ) -> Path:
        src = self._find(point_id)
        await ctx.in_thread(self._fetch, ctx, src, staging, paths)
        return staging

    def _fetch(self, ctx: JobContext, src: Path, staging: Path, paths: tuple[str, ...] | None) -> None:
        make_private_dir(staging)
        if src.is_dir():
            try:
                md = read_metadata(src)
            except (OSError, ValueError) as exc:
                raise JobError(ErrorKind.FAILED, f"{METADATA_NAME} of {src.name} is unreadable: {exc}",
                               "pick another restore point (`tui-backup backup list`)") from None
            total = sum(int(a.get("size", 0)) for rel, a in artifacts_of(md).items() if _selected(rel, paths))
            meter = _Meter(ctx, "fetching", total, 0)
            for dirpath, dirnames, filenames in os.walk(src):
                base = Path(dirpath)
                for name in sorted(dirnames) + sorted(filenames):
                    p = base / name
                    rel = p.relative_to(src).as_posix()
                    if not _wanted(rel, paths):
                        if name in dirnames:
                            dirnames.remove(name)
                        continue
                    dst = staging / rel
                    meter.file(rel)
                    if p.is_symlink():
                        if name in dirnames:
                            dirnames.remove(name)
                        if _selected(rel, paths):
                            make_private_dir(dst.parent)
                            os.symlink(os.readlink(p), dst)
                    elif p.is_dir():
                        make_private_dir(dst)
                    elif _selected(rel, paths):
                        make_private_dir(dst.parent)
                        _copy_file(p, dst, meter)
                        meter.file_done()
            for dirpath, _dirnames, _ in os.walk(staging, topdown=False):  # directory times as stored
                d = Path(dirpath)
                with contextlib.suppress(OSError):
                    shutil.copystat(src / d.relative_to(staging), d, follow_symlinks=False)
            return
        meter = _Meter(ctx, "fetching", src.stat().st_size, 0)
        with open(src, "rb") as raw:
            reader = zstandard.ZstdDecompressor().stream_reader(_CountingReader(raw, meter))  # type: ignore[arg-type]
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                listed: dict[str, str] | None = None  # from metadata.json, always the first member
                for m in tar:
                    why = _safe_member(m, listed)
                    if why is not None:
                        raise JobError(ErrorKind.FAILED, f"refusing to extract {src.name}: {why}",
                                       "this archive was not made by tui-backup or was tampered with")
                    if not _wanted(m.name, paths) or (not m.isdir() and not _selected(m.name, paths)):
                        continue
                    meter.file(m.name)
                    # tarfile makes missing parents with the umask's mode: make them private first
                    make_private_dir((staging / m.name).parent)
                    try:
                        tar.extract(m, staging, filter="tar")
                    except tarfile.FilterError as exc:  # e.g. written through a link out of the target
                        raise JobError(ErrorKind.FAILED, f"refusing to extract {src.name}: {exc}",
                                       "this archive was not made by tui-backup or was tampered with") from None
                    if m.name == METADATA_NAME and listed is None:
                        with contextlib.suppress(OSError, ValueError):
                            listed = links_of(read_metadata(staging)) or {}
                    meter.file_done()

    # ---- init / check ----

    async def init(self, ctx: JobContext) -> None:
        make_private_dir(self.root)
        ctx.summary = f"{self.root} is ready"

    async def check(self, ctx: JobContext, *, read_data_subset: str | None = None) -> None:
        points = self._list()
        bad: list[str] = []
        for pt in points:
            p = self.root / pt.id
            try:
                md = read_metadata(p) if p.is_dir() else _archive_metadata(p)
            except (OSError, ValueError, tarfile.TarError, zstandard.ZstdError) as exc:
                bad.append(f"{pt.id}: no readable metadata.json ({exc})")
                continue
            total = sum(int(a.get("size", 0)) for a in artifacts_of(md).values())
            meter = _Meter(ctx, f"checking {pt.id}", total, len(artifacts_of(md)))
            try:
                problems = await ctx.in_thread(self._verify, p, md, meter)
            except (OSError, tarfile.TarError, zstandard.ZstdError) as exc:
                problems = [f"unreadable: {exc}"]
            for problem in problems:
                ctx.log(f"{pt.id}: {problem}")
            if problems:
                bad.append(f"{pt.id}: {problems[0]}" + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""))
        if bad:
            raise JobError(ErrorKind.FAILED, f"{len(bad)} of {len(points)} backup(s) at {self.root} are damaged: {bad[0]}",
                           "see the job's log for every problem; run a new backup")
        ctx.summary = f"{len(points)} backup(s) at {self.root} checked: all good"
        ctx.details["checked"] = len(points)


def _iter_archive(path: Path) -> Iterator[tuple[tarfile.TarInfo, IO[bytes] | None]]:
    with open(path, "rb") as raw:
        reader = zstandard.ZstdDecompressor().stream_reader(raw)
        with tarfile.open(fileobj=reader, mode="r|") as tar:
            for m in tar:
                yield m, tar.extractfile(m) if m.isfile() else None


def _archive_metadata(path: Path) -> dict[str, Any]:
    for m, f in _iter_archive(path):
        if m.name == METADATA_NAME and f is not None:
            data = json.loads(f.read().decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("metadata.json is not an object")
            return data
        break  # metadata.json is always the first member
    raise ValueError("no metadata.json at the start of the archive")


def _stamp_to_time(stamp: str) -> str:
    s = stamp.rstrip("Z")
    if len(s) != 15:
        return stamp
    return f"{s[0:4]}-{s[4:6]}-{s[6:8]}T{s[9:11]}:{s[11:13]}:{s[13:15]}.000000Z"


def _classify_os_error(exc: OSError, name: str) -> JobError:
    """A failed copy as one of the error kinds (disk full, a source that vanished, ...)."""
    where = exc.filename or ""
    if exc.errno == errno.ENOSPC:
        message, hint = describe(ErrorKind.DISK_FULL, destination=name, detail=str(where))
        return JobError(ErrorKind.DISK_FULL, message, hint)
    if isinstance(exc, FileNotFoundError):
        return JobError(ErrorKind.FAILED, f"{where} vanished while the backup ran",
                        "files deleted during a backup are normal for a running application: run it again")
    if isinstance(exc, PermissionError):
        return JobError(ErrorKind.FAILED, f"permission denied: {where}", "check the permissions of that path")
    return JobError(ErrorKind.FAILED, f"copying to {name} failed: {exc.strerror or exc} ({where})",
                    "check the destination drive")


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


async def _remove_quietly(ctx: JobContext, p: Path) -> None:
    import asyncio

    # Cancellation may arrive again while cleaning up: finish removing first.
    await asyncio.shield(asyncio.get_running_loop().run_in_executor(None, _remove, p))


__all__ = ["KEYS", "LocalDestination", "from_config"]
