"""The rsync destination: dated directories, hard links to the previous backup, `latest`.

At the destination (a local directory or `[user@]host:path` over ssh):

    BASE/20261121T224800Z/            one restore point, in the backup layout (base.py)
    BASE/20261122T010000Z.inprogress/ a run that has not finished (never listed)
    BASE/latest -> 20261122T010000Z   switched atomically after a run succeeded

A run goes into `<stamp>.inprogress` with `--link-dest` to the previous complete point
(so unchanged files are hard links and cost no space), is renamed to `<stamp>` when every
part arrived, and only then is `latest` switched (a temp symlink renamed over it).
A cancelled or failed run's `.inprogress` directory is removed (best effort; listing
ignores it anyway), and `latest` is untouched; a killed run's is removed by the next backup.

The content parts are sent by a few rsync runs (`--mkpath`; see `_plan`): that gives the
exact layout without staging copies and without following the user's symlinks; progress
is added up over the runs against the total size scanned first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shlex
import shutil
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_backup.config import Key
from tui_backup.destinations import check_table, config_error, key_line
from tui_backup.destinations._manifest import read_metadata, verify_tree
from tui_backup.destinations._rsync_site import LATEST, RsyncSite
from tui_backup.destinations._source_check import raise_if_sources_changed
from tui_backup.destinations._trash_dir import PURGING, check_ref, purge_trashed_in, trashed_refs_in
from tui_backup.destinations.base import (
    DEST_TRASH_DIR,
    METADATA_NAME,
    BackupContent,
    BackupOutcome,
    ContentPart,
    DestinationConfigContext,
    RestorePoint,
)
from tui_backup.destinations.ssh import SSH_CONFIG_KEYS, is_remote, remote_from_config
from tui_backup.fsutil import fsync_dir, make_private_dir
from tui_backup.jobs.errors import ErrorKind, JobError, classify_rsync
from tui_backup.jobs.events import Progress
from tui_backup.jobs.parsers import OutputParser
from tui_backup.jobs.parsers.rsync import RsyncParser, RsyncStats
from tui_backup.jobs.process import ProcessResult, run_process
from tui_backup.service.faults import checkpoint
from tui_backup.service.volumes import Volume

if TYPE_CHECKING:
    from tui_backup.jobs.runner import JobContext

RSYNC = "rsync"
INPROGRESS = ".inprogress"
REMOVING = ".removing-"  # leftovers of the old rename-then-delete removal: cleaned up
T = DEST_TRASH_DIR  # BASE/.tui-backup-trash/<item id>/<point id>: points removed by retention
STAMP_RE = re.compile(r"\d{8}T\d{6}Z\Z")
_BWLIMIT_RE = re.compile(r"\d+(\.\d+)?[KMGkmg]?\Z")
# Always: archive mode (perms, times, links), progress2 with the full file list known up
# front (so the percentage is final), itemized changes for the log, totals for the outcome.
# No fifos, sockets or device files (as the local destination): the point's metadata.json
# lists none, so a copied one would make the restore point unrestorable.
_COMMON = ("-a", "--no-specials", "--no-devices", "--info=progress2", "--no-inc-recursive", "--stats")

KEYS: tuple[Key, ...] = (
    Key("path", "str", None, "A local directory, or [user@]host:path (rsync over ssh).", required=True),
    Key("port", "int", None, SSH_CONFIG_KEYS["port"], minimum=1, maximum=65535),
    Key("identity_file", "path", "", SSH_CONFIG_KEYS["identity_file"]),
    Key("known_hosts_file", "path", "", SSH_CONFIG_KEYS["known_hosts_file"]),
    Key("ssh_options", "path_list", [], SSH_CONFIG_KEYS["ssh_options"]),
    Key("bwlimit", "str", "", 'Bandwidth limit for rsync, e.g. "5M" (KiB/s without a unit; "" = none).'),
)


def from_config(name: str, table: dict[str, Any], ctx: DestinationConfigContext) -> RsyncDestination:
    """An `RsyncDestination` from a `[[destination]]` table; ConfigError naming key and line."""
    values = check_table(table, KEYS, ctx)  # unknown keys, missing path, types and bounds
    spec: str = values["path"]
    if not spec.strip():
        raise config_error(ctx, "path", "must not be empty", KEYS[0].help)
    if any(ord(c) < 32 or ord(c) == 127 for c in spec):
        raise config_error(ctx, "path", "contains a control character", KEYS[0].help)
    bwlimit: str = values["bwlimit"]
    if bwlimit and not _BWLIMIT_RE.match(bwlimit):
        raise config_error(ctx, "bwlimit", f'must be a rate like "500" or "5M", not {bwlimit!r}', KEYS[-1].help)
    if is_remote(spec):
        remote = remote_from_config(
            spec, table, file=ctx.file, where=ctx.where, spec_key="path", base=ctx.base,
            line=key_line(ctx, "path"),
        )
        site = RsyncSite(remote=remote)
    else:
        if any(k in table for k in SSH_CONFIG_KEYS):
            key = next(k for k in SSH_CONFIG_KEYS if k in table)
            raise config_error(ctx, key, "is only used with a remote path ([user@]host:path)",
                               "remove it, or write path as [user@]host:path")
        path = Path(spec).expanduser()
        if not path.is_absolute():
            path = ctx.base / path
        site = RsyncSite(local=path)
    return RsyncDestination(name=name, site=site, bwlimit=bwlimit or None)


# ---- progress over several rsync runs ----


class _PartParser:
    """An RsyncParser for one part whose progress is reported against the whole backup."""

    def __init__(self, inner: RsyncParser, offset: int, total: int) -> None:
        self.inner = inner
        self.offset = offset
        self.total = total
        self.stdout_line = inner.stdout_line
        self.stderr_line = inner.stderr_line

    def progress(self) -> Progress | None:
        p = self.inner.progress()
        if p is None:
            return None
        done = self.offset + p.bytes_done
        total = self.total
        eta = (total - done) / p.rate if p.rate and total > done else p.eta_s
        fraction = min(done / total, 1.0) if total else p.fraction
        return replace(p, fraction=fraction, bytes_done=done, bytes_total=total or None, eta_s=eta)


def _size_of(part: ContentPart) -> int:
    """Bytes of regular files in a part (without following symlinks inside it)."""
    if not part.is_dir:
        with contextlib.suppress(OSError):
            return part.source.stat().st_size
        return 0
    total = 0
    for root, _dirs, files in os.walk(part.source):
        for name in files:
            with contextlib.suppress(OSError):
                st = os.lstat(os.path.join(root, name))
                if stat.S_ISREG(st.st_mode):
                    total += st.st_size
    return total


def _make_private(path: Path) -> None:
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    path.chmod(0o700)


@dataclass
class _Transfer:
    """One rsync run: `sources` into `dest` (layout components) as a directory (`into_dir`)
    or, for one renamed file, as that file itself."""

    sources: list[str]
    dest: tuple[str, ...]
    into_dir: bool
    size: int = 0


def _plan(parts: Sequence[ContentPart], skeleton: Path) -> list[_Transfer]:
    """The fewest rsync runs giving the exact layout: parts already named like their layout
    path go together into their parent directory (one run each for metadata.json, database/,
    files/, config/ as the backups service builds them); any other part gets its own run,
    renamed through the destination argument. A symlinked source is followed (its content is
    backed up, as the user means), a symlink *inside* a files directory stays a symlink.

    The first run sends `skeleton/` (an empty 0700 directory) with the top-level parts: the
    point's directory and the layout's directories (files/, config/, database/) are then
    private like everything the tool creates, whatever the receiving side's umask."""
    root = _Transfer([f"{skeleton}/"], (), True)
    transfers: list[_Transfer] = [root]
    groups: dict[tuple[str, ...], _Transfer] = {(): root}
    for part in parts:
        comps = tuple(_safe_rel(c) for c in part.path.split("/") if c)
        if not comps:
            raise JobError(ErrorKind.FAILED, f"backup part {part.path!r} has no path")
        size = _size_of(part)
        for i in range(1, len(comps)):
            _make_private(skeleton.joinpath(*comps[:i]))
        if part.source.name == comps[-1] and not part.source.is_symlink():
            t = groups.get(comps[:-1])
            if t is None:
                t = groups[comps[:-1]] = _Transfer([], comps[:-1], True)
                transfers.append(t)
            t.sources.append(str(part.source))
        elif part.is_dir:
            t = _Transfer([f"{part.source}/"], comps, True)  # trailing '/': its content, followed
            transfers.append(t)
        else:
            t = _Transfer([os.path.realpath(part.source)], comps, False)
            transfers.append(t)
        t.size += size
    return transfers


# ---- metadata of restore points ----


def _artifacts(meta: dict[str, Any]) -> list[tuple[str, int | None, str | None]]:
    """(path, size, sha256) of every artifact in a metadata.json (list or mapping form)."""
    raw = meta.get("artifacts", [])
    items: list[tuple[str, int | None, str | None]] = []
    if isinstance(raw, dict):
        raw = [{"path": k, **v} for k, v in raw.items() if isinstance(v, dict)]
    if isinstance(raw, list):
        for a in raw:
            if isinstance(a, dict) and isinstance(a.get("path"), str):
                size = a.get("size", a.get("size_bytes"))
                digest = a.get("sha256")
                items.append(
                    (a["path"], size if isinstance(size, int) else None, digest if isinstance(digest, str) else None)
                )
    return items


def _stamp_time(stamp: str) -> str:
    s = stamp
    return f"{s[0:4]}-{s[4:6]}-{s[6:8]}T{s[9:11]}:{s[11:13]}:{s[13:15]}.000000Z"


def _points_in(root: Path, destination: str, location: str) -> list[RestorePoint]:
    """The restore points under `root` (a local base, or the metadata fetched from a remote one)."""
    points: list[RestorePoint] = []
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return []
    for entry in entries:
        if not STAMP_RE.match(entry.name) or not entry.is_dir(follow_symlinks=False):
            continue
        meta: dict[str, Any] | None = None
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads((Path(entry.path) / METADATA_NAME).read_text("utf-8"))
            meta = loaded if isinstance(loaded, dict) else None
        if meta is None:  # renamed only after success, so this was damaged afterwards
            points.append(RestorePoint(entry.name, destination, _stamp_time(entry.name), "unknown",
                                       complete=False, location=f"{location}/{entry.name}"))
            continue
        sizes = [s for _, s, _ in _artifacts(meta) if s is not None]
        created = meta.get("created_at")
        points.append(
            RestorePoint(
                id=entry.name,
                destination=destination,
                created_at=created if isinstance(created, str) else _stamp_time(entry.name),
                type=str(meta.get("type", "unknown")),
                size_bytes=sum(sizes) if sizes else None,
                host=meta.get("host") if isinstance(meta.get("host"), str) else None,
                location=f"{location}/{entry.name}",
                details={"profile": meta.get("profile"), "policy": meta.get("policy")},
            )
        )
    points.sort(key=lambda p: p.id, reverse=True)
    return points


def _trash_local(ctx: JobContext, base: Path, moves: list[tuple[str, str]]) -> None:
    for leftover in base.glob(REMOVING + "*"):  # the old rename-then-delete removal's leftovers
        shutil.rmtree(leftover, ignore_errors=True)
    with contextlib.suppress(OSError):
        target = os.readlink(base / LATEST)
        if target in {pid for pid, _ in moves}:
            raise JobError(ErrorKind.FAILED, f"refusing to remove {target}: `latest` points at it",
                           "the newest backup is never removed (this is a bug)")
    trash = base / DEST_TRASH_DIR
    make_private_dir(trash)
    for pid, ref in moves:
        ctx.cancel_token.raise_if_cancelled()
        holder = trash / ref.split("/", 1)[0]
        make_private_dir(holder)
        os.rename(base / pid, holder / pid)  # gone from the listing in one step
        fsync_dir(base)
        fsync_dir(holder)
        checkpoint("dest_trash.moved")  # tests: a kill between two moves
        ctx.thread_log(f"moved {pid} to the trash ({holder.name})")


def _restore_local(base: Path, ref: str) -> None:
    item, pid = ref.split("/", 1)
    src, dst = base / DEST_TRASH_DIR / ref, base / pid
    if not os.path.lexists(src):
        raise JobError(ErrorKind.FAILED, f"{src} is gone", "it was deleted outside the tool")
    if os.path.lexists(dst):
        raise JobError(ErrorKind.FAILED, f"a restore point {pid} already exists at {base}", "remove or rename it first")
    os.rename(src, dst)
    fsync_dir(base)
    with contextlib.suppress(OSError):
        (base / DEST_TRASH_DIR / item).rmdir()


def _verify_tree(root: Path) -> list[str]:
    """Problems found checking every artifact under `root` against its metadata.json."""
    try:
        meta = read_metadata(root)
    except (OSError, ValueError) as exc:
        return [f"{METADATA_NAME}: cannot be read ({exc})"]
    return verify_tree(root, meta)


def _safe_rel(path: str) -> str:
    p = Path(path)
    if p.is_absolute() or ".." in p.parts or not path or "\n" in path or "\0" in path:
        raise JobError(ErrorKind.FAILED, f"{path!r} is not a path inside a backup",
                       'give paths like "files/library/a.jpg"')
    return path


@dataclass(frozen=True)
class RsyncDestination:
    name: str
    site: RsyncSite
    bwlimit: str | None = None
    type: str = "rsync"

    def describe(self) -> str:
        return f"rsync to {self.site.display}"

    def volume(self) -> Volume | None:
        if self.site.local is None:
            return None
        return Volume(name=f"destination.{self.name}", path=self.site.local, role="destination")

    # ---- running rsync / ssh ----

    def _rsync(self, *args: str) -> list[str]:
        argv = [RSYNC, *_COMMON, *self.site.rsh()]
        if self.bwlimit:
            argv.append(f"--bwlimit={self.bwlimit}")
        return [*argv, *args]

    async def _run(self, ctx: JobContext | None, argv: Sequence[str], parser: OutputParser | None = None) -> ProcessResult:
        if ctx is not None:
            return await ctx.run(argv, parser=parser)
        return await run_process(argv)

    def _classify(self, result: ProcessResult, ctx: JobContext | None) -> None:
        c = classify_rsync(result.exit_code, result.stderr_lines, {"destination": self.name})
        c.raise_if_failed()
        if c.kind is not None and ctx is not None:
            ctx.warn(c.message, c.paths)

    # ---- the protocol ----

    async def backup(self, ctx: JobContext, content: BackupContent) -> BackupOutcome:
        stamp = content.stamp
        inprogress = stamp + INPROGRESS
        points = await self.list_points(ctx)
        if any(p.id == stamp for p in points):
            raise JobError(ErrorKind.FAILED, f"a restore point {stamp} already exists at {self.site.display}",
                           "run the backup again in a second")
        previous = next((p.id for p in points if p.complete and p.id < stamp), None)
        await self.site.remove_stale(ctx, INPROGRESS)  # what killed runs left (we hold the lock)
        stats: list[RsyncStats] = []
        try:
            with tempfile.TemporaryDirectory(prefix="tui-backup-rsync-") as skeleton:  # 0700
                transfers = await ctx.in_thread(_plan, content.parts, Path(skeleton))
                total = sum(t.size for t in transfers)
                offset = 0
                for t in transfers:
                    stats.append(await self._send(ctx, t, inprogress, previous, offset, total))
                    offset += t.size
            # a source file changed or vanished after its hash: the point's metadata would lie
            await ctx.in_thread(raise_if_sources_changed, content)
            await self.site.commit(ctx, inprogress, stamp)
        except asyncio.CancelledError:
            ctx.log(f"cancelled: removing {inprogress}")
            await self.site.remove(ctx, inprogress)
            raise
        except Exception:
            await self.site.remove(ctx, inprogress)
            raise
        sent = sum(s.total_transferred_file_size for s in stats)
        # Without --link-dest nothing is linked (rsync counts symlinks' sizes as not transferred).
        linked = sum(s.bytes_linked for s in stats) if previous is not None else 0
        files = sum(s.regular_files_transferred for s in stats)
        size = sum(s.total_file_size for s in stats)
        ctx.log(f"{stamp}: {size} bytes in {len(content.parts)} parts; {sent} sent, {linked} hard-linked to "
                f"{previous or 'nothing (first backup)'}")
        host = content.metadata.get("host")
        point = RestorePoint(
            id=stamp,
            destination=self.name,
            created_at=content.created_at,
            type=content.type,
            size_bytes=size,
            host=host if isinstance(host, str) else None,
            location=f"{self.site.display}/{stamp}",
            details={"profile": content.profile, "policy": content.policy, "link_dest": previous},
        )
        return BackupOutcome(point=point, bytes_sent=sent, bytes_linked=linked, files=files)

    async def _send(
        self, ctx: JobContext, t: _Transfer, inprogress: str, previous: str | None, offset: int, total: int
    ) -> RsyncStats:
        args: list[str] = ["-i", "--mkpath"]
        if not t.dest or t.dest[0] == "database":
            # metadata.json files are rewritten each run: two runs in the same second (same size,
            # same mtime) would otherwise get the previous one hard-linked by --link-dest.
            args.append("--ignore-times")
        if t.into_dir:
            dest, landing = self.site.arg(inprogress, *t.dest, slash=True), t.dest
        else:
            dest, landing = self.site.arg(inprogress, *t.dest), t.dest[:-1]
        if previous is not None:
            # Relative to the directory the files land in, on the receiving side (local or remote).
            args.append("--link-dest=" + "/".join([*[".."] * (len(landing) + 1), previous, *landing]))
        parser = RsyncParser("copying")
        result = await ctx.run(self._rsync(*args, "--", *t.sources, dest), parser=_PartParser(parser, offset, total))
        self._classify(result, ctx)
        return parser.stats or RsyncStats()

    async def list_points(self, ctx: JobContext | None) -> list[RestorePoint]:
        display = self.site.display
        if self.site.local is not None:
            return _points_in(self.site.local, self.name, display)
        with tempfile.TemporaryDirectory(prefix="tui-backup-rsync-") as tmp:
            argv = [RSYNC, "-a", *self.site.rsh(), f"--exclude=/*{INPROGRESS}", f"--exclude=/{REMOVING}*", f"--exclude=/{DEST_TRASH_DIR}",
                    "--include=/*/",
                    f"--include=/*/{METADATA_NAME}", "--exclude=*", "--", self.site.arg(slash=True), f"{tmp}/"]
            result = await self._run(ctx, argv)
            if result.exit_code == 23 and any("No such file or directory" in line for line in result.stderr_lines):
                return []  # nothing was ever backed up there
            self._classify(result, None)
            return _points_in(Path(tmp), self.name, display)

    async def _resolve(self, ctx: JobContext | None, point_id: str) -> str:
        if point_id == LATEST:
            points = [p for p in await self.list_points(ctx) if p.complete]
            if not points:
                raise JobError(ErrorKind.FAILED, f"no restore point at {self.site.display}",
                               f"run a backup first: `tui-backup backup run {self.name}`")
            return points[0].id
        if not STAMP_RE.match(point_id):
            raise JobError(ErrorKind.FAILED, f"{point_id!r} is not a restore point of {self.name}",
                           f"list them with `tui-backup backup list {self.name}`")
        return point_id

    async def fetch(
        self, ctx: JobContext, point_id: str, staging: Path, paths: tuple[str, ...] | None = None
    ) -> Path:
        point = await self._resolve(ctx, point_id)
        parser = RsyncParser("fetching")
        source = self.site.arg(point, slash=True)
        if not paths:
            result = await ctx.run(self._rsync("--", source, f"{staging}/"), parser=parser)
            self._classify(result, ctx)
            return staging
        with tempfile.TemporaryDirectory(prefix="tui-backup-rsync-") as tmp:
            listing = Path(tmp) / "files-from"
            fd = os.open(listing, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(b"".join(_safe_rel(p.strip("/")).encode() + b"\0" for p in paths))
            argv = self._rsync("-r", "--from0", f"--files-from={listing}", "--", source, f"{staging}/")
            result = await ctx.run(argv, parser=parser)
        self._classify(result, ctx)
        return staging

    # ---- retention, through the trash (base.py; refs are `<item id>/<point id>`) ----

    def trash_ref(self, point: RestorePoint, item_id: str) -> str:
        return f"{item_id}/{point.id}"

    def trash_location(self, ref: str) -> str:
        return f"{self.site.display}/{DEST_TRASH_DIR}/{ref}"

    async def trash_points(self, ctx: JobContext, moves: Sequence[tuple[RestorePoint, str]], *,
                           expires_at: str) -> None:
        """Each point leaves in one rename into `BASE/.tui-backup-trash/<item>/` (its files'
        other hard links, in the other points, are untouched). The newest complete point and
        the one `latest` points at are refused."""
        pairs = [(p.id, ref) for p, ref in moves]
        points = await self.list_points(ctx)
        known = {p.id for p in points}
        newest = next((p.id for p in points if p.complete), None)
        for pid, ref in pairs:
            if not STAMP_RE.match(pid) or pid not in known:
                raise JobError(ErrorKind.FAILED, f"no restore point {pid!r} at {self.site.display}",
                               f"list them with `tui-backup backup list {self.name}`")
            if pid == newest:
                raise JobError(ErrorKind.FAILED, f"refusing to remove {pid}: it is the newest backup at "
                               f"{self.site.display}", "the newest backup is never removed (this is a bug)")
            check_ref(ref)
            if ref.split("/", 1)[1] != pid:
                raise JobError(ErrorKind.FAILED, f"bad trash reference {ref!r} for {pid}", "this is a bug")
        if not pairs:
            return
        if self.site.local is not None:
            await ctx.in_thread(_trash_local, ctx, self.site.local, pairs)
        else:
            await self._trash_remote(ctx, pairs)
        ctx.summary = f"moved {len(pairs)} restore point(s) to the trash at {self.site.display}"

    async def _trash_remote(self, ctx: JobContext, pairs: list[tuple[str, str]]) -> None:
        """One ssh command: refuse if `latest` points at one of them, then move each into the
        trash with `mv` (same filesystem: a rename). The ids are checked stamps; quoted all the same."""
        q = shlex.quote
        cases = " | ".join(q(pid) for pid, _ in pairs)
        moves = " && ".join(f"mkdir -m 700 -- {q(T + '/' + ref.split('/', 1)[0])} && mv -T -- {q(pid)} {q(T + '/' + ref)}"
                            for pid, ref in pairs)
        script = (
            f"rm -rf -- ./{q(REMOVING)}* && "
            f'case "$(readlink -- {LATEST} 2>/dev/null)" in {cases}) echo "latest points at it" >&2; exit 3;; esac && '
            f"mkdir -p -m 700 -- {T} && {moves}"
        )
        result = await ctx.run(self._ssh(script))
        if result.exit_code == 3:
            raise JobError(ErrorKind.FAILED, f"refusing to remove the restore point `latest` points at "
                           f"({self.site.display})", "the newest backup is never removed (this is a bug)")
        self._raise_ssh(result)
        for pid, ref in pairs:
            ctx.log(f"moved {pid} to the trash ({ref.split('/', 1)[0]})")

    def _ssh(self, script: str) -> list[str]:
        assert self.site.remote is not None
        return self.site.remote.target.ssh_command(f"cd -- {shlex.quote(self.site.remote.path)} && {script}")

    def _raise_ssh(self, result: ProcessResult) -> None:
        if result.exit_code != 0:
            c = classify_rsync(result.exit_code if result.exit_code in (12, 255) else 1, result.stderr_lines,
                               {"destination": self.name, "tool": "ssh"})
            c.raise_if_failed()

    async def trashed_refs(self, ctx: JobContext | None) -> set[str]:
        if self.site.local is not None:
            return trashed_refs_in(self.site.local / DEST_TRASH_DIR)
        # `*` never matches the hidden .purging-* directories
        script = f'for d in {T}/*/*; do [ -e "$d" ] && printf "%s\\n" "${{d#{T}/}}"; done; true'
        out: list[bytes] = []
        result = await run_process(self._ssh(script), on_stdout=out.append)
        self._raise_ssh(result)
        return {line for line in b"\n".join(out).decode("utf-8", "replace").splitlines() if "/" in line}

    async def restore_trashed(self, ctx: JobContext, ref: str) -> str:
        check_ref(ref)
        item, pid = ref.split("/", 1)
        if self.site.local is not None:
            await ctx.in_thread(_restore_local, self.site.local, ref)
        else:
            q = shlex.quote
            script = (f"{{ [ -e {q(T + '/' + ref)} ] || exit 5; }} && {{ [ ! -e {q(pid)} ] || exit 4; }} && "
                      f"mv -T -- {q(T + '/' + ref)} {q(pid)} && {{ rmdir -- {q(T + '/' + item)} || true; }}")
            result = await ctx.run(self._ssh(script))
            if result.exit_code == 5:
                raise JobError(ErrorKind.FAILED, f"{self.trash_location(ref)} is gone", "it was deleted outside the tool")
            if result.exit_code == 4:
                raise JobError(ErrorKind.FAILED, f"a restore point {pid} already exists at {self.site.display}",
                               "remove or rename it first")
            self._raise_ssh(result)
        ctx.summary = f"restore point {pid} is back at {self.site.display}"
        return pid

    async def purge_trashed(self, ctx: JobContext, refs: Sequence[str]) -> None:
        """Each item is renamed to `.purging-<item>` (gone from the trash in one step), then deleted."""
        for ref in refs:
            check_ref(ref)
        if self.site.local is not None:
            await ctx.in_thread(purge_trashed_in, self.site.local / DEST_TRASH_DIR, list(refs))
        elif refs:
            q = shlex.quote
            items = sorted({ref.split("/", 1)[0] for ref in refs})
            renames = " && ".join(f"{{ [ ! -e {q(i)} ] || mv -T -- {q(i)} {q(PURGING + i)}; }}" for i in items)
            script = (f"cd -- {T} && rm -rf -- ./{q(PURGING)}* && {renames} && "
                      "rm -rf -- " + " ".join(q(PURGING + i) for i in items))
            self._raise_ssh(await ctx.run(self._ssh(script)))
        ctx.summary = f"deleted {len(refs)} restore point(s) from the trash at {self.site.display}"

    async def init(self, ctx: JobContext) -> None:
        await self.site.make_base(ctx)
        ctx.log(f"{self.site.display} is ready")

    async def check(self, ctx: JobContext, *, read_data_subset: str | None = None) -> None:
        point = await self._resolve(ctx, LATEST)
        if self.site.local is not None:
            problems = await ctx.in_thread(_verify_tree, self.site.local / point)
        else:
            with tempfile.TemporaryDirectory(prefix="tui-backup-rsync-check-") as tmp:
                await self.fetch(ctx, point, Path(tmp))
                problems = await ctx.in_thread(_verify_tree, Path(tmp))
        for problem in problems:
            ctx.log(f"check {point}: {problem}")
        if problems:
            raise JobError(ErrorKind.FAILED, f"restore point {point} at {self.site.display} is damaged: "
                           f"{len(problems)} problem(s), first: {problems[0]}",
                           "run a new backup; the damaged point's files are listed in the job's log")
        ctx.summary = f"restore point {point}: every artifact matches its metadata.json"


__all__ = ["KEYS", "RsyncDestination", "from_config"]
