"""The restic destination: any repository restic accepts (path, sftp:, rest:, s3:, rclone:).

How a backup is stored: restic backs up the parts **where they live** (the snapshot in the
snapshots dir, the live files directories and config files) — no staging copy, so a
backup costs what a raw `restic backup` of the same data costs. restic keeps absolute
paths, so the map from each layout path ("files/library") to the absolute path it was
read from rides in one snapshot tag, `tui-backup-layout=<zlib+base64url JSON>` (tags may
not hold commas; base64url has none). `fetch` reads the map from the snapshot list, turns
layout paths into `--include` patterns, restores into a hidden dir of the staging dir and
renames each part into the backup layout (same filesystem: cheap).

Other tags: `tui-backup`, `profile=P`, `policy=X`, `type=T`; `--host` is this machine.
Snapshots without the `tui-backup` tag and a layout are **foreign**: listed, restorable
under `staging/foreign/` exactly as restic restores them.

Secrets: the repository location and the password reach restic through its environment
(RESTIC_REPOSITORY, RESTIC_PASSWORD_FILE / _COMMAND / RESTIC_PASSWORD), never argv.
Backend settings go in `env` (a table, for non-secret values such as AWS_DEFAULT_REGION;
names that look like secrets — *SECRET*, *PASSWORD*, *TOKEN*, *KEY — are refused there)
or `env_file` (a 0600 file of NAME=value lines: where AWS_SECRET_ACCESS_KEY belongs).

Incremental speed: restic only picks a parent snapshot with the very same paths, and ours
change each run, so the last snapshot id per (repository, host, profile, type) is kept in
the state dir and passed as `--parent` (a forgotten one is dropped and the run retried).
Errors are classified by `classify_restic`; a lock whose holder process is dead (on this
host) is removed with `restic unlock` and the command retried once; a missing repository
is initialised when `auto_init = true`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_backup.config._schema import Key
from tui_backup.config.locations import state_home
from tui_backup.destinations._restic_crash import RUN_VARIABLE, marker_name, unlock_after_crash
from tui_backup.destinations._restic_crash import running as crash_marker
from tui_backup.destinations._restic_password import PASSWORD_KEYS, PasswordSource
from tui_backup.destinations._source_check import changed_sources, raise_if_sources_changed
from tui_backup.destinations.base import (
    TOOL_TAG,
    TRASHED_TAG,
    BackupContent,
    BackupOutcome,
    DestinationConfigContext,
    RestorePoint,
)
from tui_backup.destinations.ssh import SSH_CONFIG_KEYS, RemotePath, remote_from_config
from tui_backup.errors import ConfigError
from tui_backup.fsutil import atomic_write_text, make_private_dir, pid_alive
from tui_backup.jobs.errors import Classification, ErrorKind, JobError, classify_restic
from tui_backup.jobs.events import Progress
from tui_backup.jobs.parsers.restic import ResticJsonParser
from tui_backup.jobs.process import build_env, run_process

if TYPE_CHECKING:
    from tui_backup.jobs.runner import JobContext
    from tui_backup.service.volumes import Volume

__all__ = ["KEYS", "LAYOUT_TAG", "ResticDestination", "from_config", "restic_version"]

LAYOUT_TAG = "tui-backup-layout="
FOREIGN_DIR = "foreign"
RAW_DIR = ".restic-restore"  # inside staging: restic's absolute-path tree, emptied by fetch
MIN_VERSION = (0, 14)
MAX_TESTED = (0, 18)
_VERSION_RE = re.compile(r"restic (\d+)\.(\d+)\.(\d+)")
_REMOTE_PREFIXES = ("sftp:", "rest:", "s3:", "rclone:", "b2:", "azure:", "gs:", "swift:")
_URL_CREDENTIALS = re.compile(r"(//)[^/@]+@")

KEYS: tuple[Key, ...] = (
    Key("repository", "str", None, "restic repository: a path, sftp:, rest:, s3:, rclone:, ...", required=True),
    Key("password_file", "path", "", "File holding the repository password (mode 0600)."),
    Key("password_command", "str", "", "Command printing the password (run by restic, no shell)."),
    Key("password_env", "str", "", "NAME of an environment variable holding the password."),
    Key("password_keyring", "str", "", 'System keyring entry "service/user" (needs the keyring package).'),
    Key("auto_init", "bool", False, "Initialise the repository on first use instead of failing."),
    Key("env", "str", None, "Table of extra environment for the backend (AWS_ACCESS_KEY_ID, ...); "
        "prefer env_file for secrets."),
    Key("env_file", "path", "", "File of NAME=value lines (0600) added to restic's environment."),
    Key("port", "int", None, SSH_CONFIG_KEYS["port"], minimum=1, maximum=65535),
    Key("identity_file", "path", "", SSH_CONFIG_KEYS["identity_file"]),
    Key("known_hosts_file", "path", "", SSH_CONFIG_KEYS["known_hosts_file"]),
    Key("ssh_options", "path_list", [], SSH_CONFIG_KEYS["ssh_options"]),
)
_KEY_NAMES = frozenset(k.name for k in KEYS) | {"name", "type"}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY\b|KEY$", re.IGNORECASE)
_RESERVED_ENV = ("RESTIC_PASSWORD", "RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD_COMMAND", "RESTIC_REPOSITORY",
                 "RESTIC_REPOSITORY_FILE")


# ---- version ----

_versions: dict[str, tuple[int, int, int]] = {}


async def restic_version(program: str = "restic") -> tuple[int, int, int]:
    """`restic version`, cached per process; raises JobError for a missing or too old restic."""
    path = shutil.which(program) or program
    cached = _versions.get(path)
    if cached is not None:
        return cached
    out: list[bytes] = []
    result = await run_process([path, "version"], env=build_env(), on_stdout=out.append)
    match = _VERSION_RE.search(b"\n".join(out).decode("utf-8", "replace"))
    if result.exit_code != 0 or match is None:
        raise JobError(ErrorKind.FAILED, f"cannot tell restic's version (`{path} version` exited {result.exit_code})",
                       "check the restic installation")
    version = (int(match[1]), int(match[2]), int(match[3]))
    if version[:2] < MIN_VERSION:
        raise JobError(ErrorKind.TOOL_MISSING, f"restic {'.'.join(map(str, version))} is too old (0.14 or newer needed)",
                       "install a newer restic (https://restic.net)")
    _versions[path] = version
    return version


# ---- layout map (the snapshot tag) ----


def encode_layout(parts: Mapping[str, str]) -> str:
    raw = json.dumps(dict(parts), separators=(",", ":"), sort_keys=True).encode()
    return LAYOUT_TAG + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def decode_layout(tags: Sequence[str]) -> dict[str, str] | None:
    for tag in tags:
        if tag.startswith(LAYOUT_TAG):
            data = tag[len(LAYOUT_TAG):]
            try:
                raw = zlib.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
                value = json.loads(raw)
            except (ValueError, zlib.error):
                return None
            if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
                return value
    return None


def _glob_escape(path: str) -> str:
    """restic's include patterns are globs: escape the glob characters of a literal path."""
    return re.sub(r"([*?\[\\])", r"\\\1", path)


def _tag_value(text: str) -> str:
    # restic splits --tag values on commas
    return text.replace(",", "_")


def _utc(restic_time: str) -> str:
    """restic's RFC 3339 time (nanoseconds, any offset) → the catalog's UTC format."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?", restic_time)
    if m is None:
        return restic_time
    frac = (m[2] or "0")[:6].ljust(6, "0")
    tz = m[3] or "Z"
    dt = datetime.fromisoformat(f"{m[1]}.{frac}{'+00:00' if tz == 'Z' else tz}")
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _restic_time(catalog_time: str) -> str:
    """The catalog's UTC time as `restic backup --time` takes it: local wall-clock time."""
    at = datetime.strptime(catalog_time, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return at.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _hide_credentials(location: str) -> str:
    """rest:https://user:pass@host/ → rest:https://***@host/ (for messages and logs)."""
    return _URL_CREDENTIALS.sub(r"\1***@", location)


def _tree_size(root: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


# ---- the destination ----


@dataclass
class ResticDestination:
    name: str
    repository: str
    password: PasswordSource
    auto_init: bool = False
    extra_env: dict[str, str] = field(default_factory=dict)
    remote: RemotePath | None = None  # sftp: with the table's ssh settings
    program: str = "restic"
    host: str = field(default_factory=socket.gethostname)
    profile: str = ""  # snapshots of another profile are listed as foreign ("" = any profile's)
    type: str = "restic"

    # -- description --

    @property
    def is_local(self) -> bool:
        return not self.repository.startswith(_REMOTE_PREFIXES)

    def describe(self) -> str:
        return f"restic repository {_hide_credentials(self.repository)}"

    def volume(self) -> Volume | None:
        if not self.is_local:
            return None
        from tui_backup.service.volumes import Volume

        # The marker file at the repository's root is ignored by restic (`restic check` passes).
        return Volume(name=f"destination.{self.name}", path=Path(self.repository.removeprefix("local:")),
                      role="destination")

    # -- running restic --

    def env(self) -> dict[str, str]:
        extra = dict(self.extra_env)
        extra.update(self.password.env())
        # may hold rest: credentials: env, not argv; with sftp.command restic uses only the path
        extra["RESTIC_REPOSITORY"] = self.remote.restic_repository() if self.remote else self.repository
        extra[RUN_VARIABLE] = marker_name(self.repository)  # found and stopped if we die (_restic_crash)
        return build_env(extra)

    def _argv(self, *args: str) -> list[str]:
        options = self.remote.restic_options() if self.remote is not None else []
        return [self.program, *options, *args]

    def _context(self) -> dict[str, object]:
        return {"destination": self.name, "repository": _hide_credentials(self.repository)}

    async def _unlock(self, env: dict[str, str], note: Callable[[str], None] | None = None) -> None:
        result = await run_process(self._argv("unlock"), env=env, on_note=note)
        if note is not None:
            note(f"restic unlock exited with code {result.exit_code}")

    async def _locks_left(self) -> int:
        """How many locks the repository holds (any host; 0 when listing fails)."""
        code, out, _err = await self._capture(self._argv("list", "locks", "--no-lock"), self.env())
        return len(out.split()) if code == 0 else 0

    async def _capture(self, argv: Sequence[str], env: dict[str, str]) -> tuple[int, bytes, tuple[str, ...]]:
        """Run restic for its whole stdout (snapshots/stats JSON can be one long line)."""
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=env, start_new_session=True)
        except FileNotFoundError:
            raise JobError(ErrorKind.TOOL_MISSING, "restic is not installed (not found on PATH)",
                           "install it: `apt install restic` (Debian/Ubuntu), `brew install restic`") from None
        try:
            out, err = await proc.communicate()
        except asyncio.CancelledError:
            # read-only commands (--no-lock): SIGINT, then SIGKILL if it lingers
            for sig in (signal.SIGINT, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), 5)
                    break
            raise
        return proc.returncode or 0, out, tuple(err.decode("utf-8", "replace").splitlines())

    async def _run(
        self,
        ctx: JobContext | None,
        args: Sequence[str],
        *,
        parser: ResticJsonParser | None = None,
        capture: bool = False,
        initialise: bool = True,
    ) -> tuple[Classification, bytes]:
        """`_run_marked` under a marker, after removing what a killed earlier run left (_restic_crash.py)."""
        note = ctx.log if ctx is not None else None
        await unlock_after_crash(self.repository, lambda: self._unlock(self.env(), note), self._locks_left, note)
        with crash_marker(self.repository):
            return await self._run_marked(ctx, args, parser=parser, capture=capture, initialise=initialise)

    async def _run_marked(
        self,
        ctx: JobContext | None,
        args: Sequence[str],
        *,
        parser: ResticJsonParser | None = None,
        capture: bool = False,
        initialise: bool = True,
    ) -> tuple[Classification, bytes]:
        """Run `restic ARGS`: classify; unlock a dead holder's lock and retry once; auto_init."""
        await restic_version(self.program)
        env = self.env()
        warning = self.password.file_warning()
        if warning and ctx is not None and warning not in ctx.warnings:  # once per job
            ctx.warn(warning)
        note = ctx.log if ctx is not None else None
        retried_lock = retried_init = False
        while True:
            argv = self._argv(*args)
            out = b""
            if capture or ctx is None:
                code, out, stderr = await self._capture(argv, env)
                if ctx is not None:
                    for line in stderr:
                        ctx.log(line, "stderr")
            else:
                async def on_killed() -> None:
                    await self._unlock(env, note)

                result = await ctx.run(argv, env=env, parser=parser, on_killed=on_killed)
                code, stderr = result.exit_code, result.stderr_lines
            c = classify_restic(code, stderr, self._context())
            if c.kind is ErrorKind.REPO_LOCKED and not retried_lock and c.lock is not None:
                if c.lock.host == self.host and not pid_alive(c.lock.pid):
                    retried_lock = True
                    if note:
                        note(f"the lock of PID {c.lock.pid} is stale (process gone): running restic unlock")
                    await self._unlock(env, note)
                    continue
            if c.kind is ErrorKind.REPO_NOT_INITIALISED and self.auto_init and initialise and not retried_init:
                retried_init = True
                if note:
                    note("the repository does not exist yet: initialising it (auto_init = true)")
                await self._init(ctx, env)
                continue
            return c, out

    async def _init(self, ctx: JobContext | None, env: dict[str, str]) -> None:
        argv = self._argv("init")
        if ctx is not None:
            result = await ctx.run(argv, env=env)
            code, stderr = result.exit_code, result.stderr_lines
        else:
            code, _out, stderr = await self._capture(argv, env)
        c = classify_restic(code, stderr, self._context())
        if c.failed and c.kind is ErrorKind.REPO_NOT_INITIALISED:  # classified by "config file" text
            c = Classification(c.status, ErrorKind.FAILED, f"restic init failed: {' '.join(stderr[-2:])}", c.hint)
        c.raise_if_failed()

    # -- the protocol --

    async def init(self, ctx: JobContext) -> None:
        await restic_version(self.program)
        await self._init(ctx, self.env())
        ctx.summary = f"initialised {self.describe()}"

    async def backup(self, ctx: JobContext, content: BackupContent) -> BackupOutcome:
        layout = {part.path: os.path.realpath(part.source) for part in content.parts}
        tags = [TOOL_TAG, f"profile={_tag_value(content.profile)}", f"policy={_tag_value(content.policy)}",
                f"type={content.type}", encode_layout(layout)]
        # The snapshot's time is the backup's (clock.now(): simulated days in tests), in the
        # local time restic reads --time in; retention decides by these times.
        args = ["backup", "--json", "--host", self.host, "--time", _restic_time(content.created_at)]
        for tag in tags:
            args += ["--tag", tag]
        paths = ["--", *sorted(set(layout.values()))]
        parent = self._cached_parent(content.profile, content.type)
        parser = ResticJsonParser()
        c, _ = await self._run(ctx, [*args, "--parent", parent, *paths] if parent else [*args, *paths], parser=parser)
        if parent and c.kind is ErrorKind.FAILED and "no matching ID" in c.message:
            ctx.log(f"the last snapshot {parent[:8]} is gone (forgotten?): backing up without a parent")
            parser = ResticJsonParser()
            c, _ = await self._run(ctx, [*args, *paths], parser=parser)
        c.raise_if_failed()
        if c.kind is not None:  # files unreadable (exit 3) or a missing path: kept, with warnings
            ctx.warn(c.message, c.paths)
        summary = parser.summary or {}
        sid = parser.snapshot_id
        if sid is None:
            raise JobError(ErrorKind.FAILED, "restic finished without reporting a snapshot",
                           "see the job's log: `tui-backup jobs log ID`")
        if await ctx.in_thread(changed_sources, content):
            # a source file changed or vanished after its hash: the snapshot's metadata.json
            # would lie about it, so it is not kept (forgotten; its data goes at the next prune)
            forgot, _ = await self._run(ctx, ["forget", "--", sid], initialise=False)
            forgot.raise_if_failed()
            raise_if_sources_changed(content)
        size = int(summary.get("total_bytes_processed") or 0)
        point = RestorePoint(id=sid, destination=self.name, created_at=content.created_at, type=content.type,
                             size_bytes=size, host=self.host, location=f"{self.describe()} {sid[:8]}",
                             tags=tuple(t for t in tags if not t.startswith(LAYOUT_TAG)))
        self._remember_parent(content.profile, content.type, sid)
        ctx.summary = f"snapshot {sid[:8]}: {summary.get('data_added', 0)} bytes added"
        ctx.details["snapshot_id"] = sid
        return BackupOutcome(point, bytes_sent=int(summary.get("data_added") or 0),
                             files=int(summary.get("total_files_processed") or 0))

    def _parent_file(self, profile: str, type_: str) -> Path:
        # per type too: a database-only parent would make a full backup re-read every file
        key = "\0".join((self.repository, self.host, profile, type_)).encode()
        return state_home() / "restic-parents" / hashlib.sha256(key).hexdigest()[:32]

    def _cached_parent(self, profile: str, type_: str) -> str | None:
        """The last snapshot this machine made of `profile` here, for `--parent`.

        restic picks a parent itself only among snapshots of exactly the same paths, and
        ours change every time (a new database artifact, a fresh metadata.json dir), so
        without `--parent` every backup would read every file again. Remembering the id
        locally costs nothing (asking the repository would cost a restic run, ~0.5 s of key
        derivation); with no record the first backup just reads everything once.
        """
        with contextlib.suppress(OSError, UnicodeDecodeError):
            sid = self._parent_file(profile, type_).read_text().strip()
            if re.fullmatch(r"[0-9a-f]{8,64}", sid):
                return sid
        return None

    def _remember_parent(self, profile: str, type_: str, sid: str) -> None:
        path = self._parent_file(profile, type_)
        with contextlib.suppress(OSError):
            make_private_dir(path.parent)
            atomic_write_text(path, sid + "\n")

    async def _snapshots(self, ctx: JobContext | None) -> list[dict[str, Any]]:
        c, out = await self._run(ctx, ["snapshots", "--json", "--no-lock"], capture=True, initialise=False)
        c.raise_if_failed()
        data = json.loads(out or b"[]")
        return [s for s in data if isinstance(s, dict)] if isinstance(data, list) else []

    def _ours(self, tags: Sequence[str]) -> bool:
        """Made by this tool for this profile (tool tag, profile tag, a readable layout)."""
        if TOOL_TAG not in tags or decode_layout(tags) is None:
            return False
        return not self.profile or f"profile={_tag_value(self.profile)}" in tags

    def _point(self, snap: dict[str, Any]) -> RestorePoint:
        tags = tuple(str(t) for t in snap.get("tags") or ())
        fields = dict(t.split("=", 1) for t in tags if "=" in t and not t.startswith(LAYOUT_TAG))
        ours = self._ours(tags)
        summary = snap.get("summary") if isinstance(snap.get("summary"), dict) else {}
        size = summary.get("total_bytes_processed") if summary else None
        sid = str(snap.get("id", ""))
        return RestorePoint(
            id=sid, destination=self.name, created_at=_utc(str(snap.get("time", ""))),
            type=fields.get("type", "full") if ours else "foreign",
            size_bytes=int(size) if isinstance(size, int) else None, host=snap.get("hostname"),
            foreign=not ours, location=f"{self.describe()} {sid[:8]}",
            tags=tuple(t for t in tags if not t.startswith(LAYOUT_TAG)),
            details={"paths": list(snap.get("paths") or ()), "profile": fields.get("profile"),
                     "policy": fields.get("policy"), "short_id": snap.get("short_id"), "key": _key(snap)},
        )

    async def list_points(self, ctx: JobContext | None) -> list[RestorePoint]:
        """Every snapshot but those in the trash (layer 1: tagged `tui-backup-trashed=…`)."""
        snaps = await self._snapshots(ctx)
        trashed = {_key(s) for s in snaps if _trashed(s)}
        points = [self._point(s) for s in snaps if _key(s) not in trashed]
        return sorted(points, key=lambda p: p.created_at, reverse=True)

    async def _find(self, ctx: JobContext, point_id: str) -> dict[str, Any]:
        snaps = await self._snapshots(ctx)
        if point_id == "latest":
            found = sorted(snaps, key=lambda s: _utc(str(s.get("time", ""))))[-1:] if snaps else []
        else:
            found = [s for s in snaps if point_id and str(s.get("id", "")).startswith(point_id)]
        if len(found) != 1:
            problem = "matches several snapshots" if found else "is not in the repository"
            raise JobError(ErrorKind.FAILED, f"restore point {point_id!r} {problem}",
                           f"list them with `tui-backup backup list {self.name}`")
        return found[0]

    async def fetch(self, ctx: JobContext, point_id: str, staging: Path, paths: tuple[str, ...] | None = None) -> Path:
        snap = await self._find(ctx, point_id)
        sid = str(snap["id"])
        tags = [str(t) for t in snap.get("tags") or ()]
        layout = decode_layout(tags)
        ours = self._ours(tags)
        target = staging / (RAW_DIR if ours else FOREIGN_DIR)
        includes: list[str] = []
        if paths:
            includes = [self._include(layout, p) for p in paths] if ours and layout else list(paths)
        args = ["restore", sid, "--target", str(target)]
        for pattern in includes:
            args += ["--include", _glob_escape(pattern) if ours else pattern]
        total = None if includes else await self._restore_size(ctx, sid)
        poller = asyncio.create_task(self._poll_restore(ctx, target, total))
        try:
            c, _ = await self._run(ctx, args, initialise=False)
        finally:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
        c.raise_if_failed()
        if ours and layout is not None:
            await ctx.in_thread(_arrange, target, staging, layout)
        ctx.progress(Progress("restoring", 1.0, total or 0, total))
        ctx.summary = f"fetched snapshot {sid[:8]}"
        return staging

    def _include(self, layout: Mapping[str, str] | None, rel: str) -> str:
        rel = rel.strip("/")
        for part, source in sorted((layout or {}).items(), key=lambda kv: -len(kv[0])):
            if rel == part or rel.startswith(part + "/"):
                return source + rel[len(part):]
        raise JobError(ErrorKind.FAILED, f"{rel!r} is not in this restore point",
                       "use a path of the backup layout, e.g. files/<label>/... or database/...")

    async def _restore_size(self, ctx: JobContext, sid: str) -> int | None:
        """restic 0.14 prints no restore progress: the total to measure restored bytes against."""
        c, out = await self._run(ctx, ["stats", "--json", "--no-lock", "--mode", "restore-size", sid],
                                 capture=True, initialise=False)
        if c.failed:
            return None
        with contextlib.suppress(ValueError, AttributeError):
            size = json.loads(out).get("total_size")
            return int(size) if isinstance(size, int) else None
        return None

    async def _poll_restore(self, ctx: JobContext, target: Path, total: int | None) -> None:
        started = time.monotonic()
        while True:
            await asyncio.sleep(1.0)
            done = await asyncio.to_thread(_tree_size, target) if target.exists() else 0
            elapsed = time.monotonic() - started
            rate = done / elapsed if elapsed > 0 and done else None
            fraction = min(done / total, 1.0) if total else None
            eta = (total - done) / rate if total and rate and total >= done else None
            ctx.progress(Progress("restoring", fraction, done, total, "", 0, None, rate, eta, ""))

    # -- retention, through the trash (base.py) --
    #
    # A doomed snapshot is TAGGED `tui-backup-trashed=<expires stamp>` (restic rewrites a
    # snapshot to re-tag it: a new id, `original` = the first id). Its ref is that first id
    # (`_key`), stable across re-tagging. Every snapshot of a key that carries the tag is
    # hidden from `list_points` (a `tag` killed between writing the new snapshot and removing
    # the old one leaves both: both are hidden, both are forgotten by the purge).

    def trash_ref(self, point: RestorePoint, item_id: str) -> str:
        return str(point.details.get("key") or point.id)

    def trash_location(self, ref: str) -> str:
        return f"{self.describe()} {ref[:8]} (tagged {TRASHED_TAG})"

    async def trash_points(self, ctx: JobContext, moves: Sequence[tuple[RestorePoint, str]], *,
                           expires_at: str) -> None:
        """One `restic tag --add tui-backup-trashed=<expires>` for all of them. The newest
        snapshot of this profile is refused."""
        ids = [p.id for p, _ in moves]
        if not ids:
            return
        snaps = await self._snapshots(ctx)
        full = {str(s.get("id", "")) for s in snaps}
        for sid in ids:
            if not re.fullmatch(r"[0-9a-f]{64}", sid) or sid not in full:
                raise JobError(ErrorKind.FAILED, f"no snapshot {sid!r} in {self.describe()}",
                               f"list them with `tui-backup backup list {self.name}`")
        ours = [s for s in snaps if self._ours([str(t) for t in s.get("tags") or ()]) and not _trashed(s)]
        if ours:
            newest = max(ours, key=lambda s: _utc(str(s.get("time", ""))))
            if str(newest.get("id")) in ids:
                raise JobError(ErrorKind.FAILED, f"refusing to forget {str(newest.get('id'))[:8]}: it is the newest "
                               f"backup in {self.describe()}", "the newest backup is never removed (this is a bug)")
        stamp = expires_at[:19].replace("-", "").replace(":", "") + "Z"
        c, _ = await self._run(ctx, ["tag", "--add", f"{TRASHED_TAG}={stamp}", "--", *ids], initialise=False)
        c.raise_if_failed()
        ctx.log(f"tagged {len(ids)} snapshot(s) {TRASHED_TAG}={stamp}: {', '.join(sid[:8] for sid in ids)}")
        ctx.summary = f"moved {len(ids)} snapshot(s) to the trash (tagged) in {self.describe()}"

    async def trashed_refs(self, ctx: JobContext | None) -> set[str]:
        return {_key(s) for s in await self._snapshots(ctx) if _trashed(s)}

    async def restore_trashed(self, ctx: JobContext, ref: str) -> str:
        snaps = [s for s in await self._snapshots(ctx) if _key(s) == ref]
        tagged = [s for s in snaps if _trashed(s)]
        if not tagged:
            raise JobError(ErrorKind.FAILED, f"no trashed snapshot {ref[:8]} in {self.describe()}",
                           "it was forgotten outside the tool")
        tags = sorted({str(t) for s in tagged for t in s.get("tags") or () if str(t).startswith(TRASHED_TAG + "=")})
        args = ["tag"]
        for tag in tags:
            args += ["--remove", tag]
        c, _ = await self._run(ctx, [*args, "--", *(str(s["id"]) for s in tagged)], initialise=False)
        c.raise_if_failed()
        back = [s for s in await self._snapshots(ctx) if _key(s) == ref and not _trashed(s)]
        if not back:
            raise JobError(ErrorKind.FAILED, f"snapshot {ref[:8]} did not come back", "see the job's log")
        sid = str(back[0]["id"])
        ctx.summary = f"snapshot {sid[:8]} is back in {self.describe()}"
        return sid

    async def purge_trashed(self, ctx: JobContext, refs: Sequence[str]) -> None:
        """`restic forget` every snapshot of these refs (only refs still tagged), then `restic prune`."""
        wanted = set(refs)
        snaps = await self._snapshots(ctx)
        trashed_keys = {_key(s) for s in snaps if _trashed(s)} & wanted
        doomed = [str(s["id"]) for s in snaps if _key(s) in trashed_keys]
        if not doomed:
            return
        c, _ = await self._run(ctx, ["forget", "--", *doomed], initialise=False)
        c.raise_if_failed()
        ctx.log(f"forgot {len(doomed)} snapshot(s): {', '.join(sid[:8] for sid in doomed)}")
        c, _ = await self._run(ctx, ["prune"], initialise=False)
        c.raise_if_failed()
        ctx.summary = f"forgot {len(doomed)} trashed snapshot(s) and pruned {self.describe()}"

    async def check(self, ctx: JobContext, *, read_data_subset: str | None = None) -> None:
        args = ["check"] + (["--read-data-subset", read_data_subset] if read_data_subset else [])
        c, _ = await self._run(ctx, args, initialise=False)
        c.raise_if_failed()
        ctx.summary = "no errors were found" + (f" (read data subset {read_data_subset})" if read_data_subset else "")


def _key(snap: Mapping[str, Any]) -> str:
    """A snapshot's id before any re-tagging (stable while it moves in and out of the trash)."""
    return str(snap.get("original") or snap.get("id", ""))


def _trashed(snap: Mapping[str, Any]) -> bool:
    return any(str(t).startswith(TRASHED_TAG + "=") for t in snap.get("tags") or ())


def _arrange(raw: Path, staging: Path, layout: Mapping[str, str]) -> None:
    """Move each restored part from restic's absolute-path tree into the backup layout.

    A part whose source lies inside another part's source is copied (the outer one still needs
    it); the others are renamed. Then restic's tree is removed.
    """
    wanted = dict(layout)
    ordered = sorted(wanted.items(), key=lambda kv: -len(kv[1]))  # innermost first
    for rel, source in ordered:
        src = raw / source.lstrip("/")
        if not os.path.lexists(src):
            continue  # not selected by `paths` (or missing in the snapshot)
        dest = staging / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        nested = any(other != rel and (source == osrc or source.startswith(osrc.rstrip("/") + "/"))
                     for other, osrc in wanted.items())
        if nested:
            if src.is_dir() and not src.is_symlink():
                shutil.copytree(src, dest, symlinks=True)
            else:
                shutil.copy2(src, dest, follow_symlinks=False)
        else:
            os.replace(src, dest)
    shutil.rmtree(raw, ignore_errors=True)


# ---- config ----


def from_config(name: str, table: dict[str, Any], ctx: DestinationConfigContext) -> ResticDestination:
    from tui_backup.destinations import config_error  # the registry imports this module lazily

    where = ctx.where

    def wrong(key: str, problem: str, hint: str = "") -> ConfigError:
        # Every error gets a hint: the key's own help line when there is no better one.
        return config_error(ctx, key, problem, hint or next((k.help for k in KEYS if k.name == key), ""))

    for key in table:
        if key not in _KEY_NAMES:
            raise wrong(key, f"unknown key {key!r} for a restic destination",
                        "keys: " + ", ".join(k.name for k in KEYS))
    repository = table.get("repository")
    if not isinstance(repository, str) or not repository.strip():
        raise wrong("repository", "a restic destination needs a repository (a path, sftp:, rest:, s3:, rclone:)",
                    'e.g. repository = "/mnt/backup/restic" or "sftp:backup@nas:/srv/restic"')
    if repository.startswith(("-", "local:-")) or "\n" in repository or "\0" in repository:
        raise wrong("repository", f"{repository!r} is not a usable repository location")
    remote_prefix = repository.startswith(_REMOTE_PREFIXES)
    if not remote_prefix:
        path = Path(repository.removeprefix("local:")).expanduser()
        if not path.is_absolute():
            path = ctx.base / path
        repository = str(path)
    remote: RemotePath | None = None
    if repository.startswith("sftp:"):
        remote = remote_from_config(repository, table, file=ctx.file, where=where, spec_key="repository",
                                    base=ctx.base, line=ctx.line, restic=True)
    else:
        for key in SSH_CONFIG_KEYS:
            # Present and not this key's own "unset" value ("" / []): a wrong type is refused too.
            unset: object = next(([] if k.type == "path_list" else "" if k.type == "path" else None)
                         for k in KEYS if k.name == key)
            if key in table and table[key] != unset:
                raise wrong(key, f"{key} applies only to sftp: repositories", "remove it")

    given = [k for k in PASSWORD_KEYS if table.get(k) not in (None, "")]
    if len(given) != 1:
        raise wrong(given[1] if len(given) > 1 else "password_file",
                    "give exactly one of password_file, password_command, password_env, password_keyring"
                    + (f" (found {', '.join(given)})" if given else ""),
                    "e.g. password_file = \"~/.config/tui-backup/restic.pw\" (mode 0600)")
    key = given[0]
    value = table[key]
    if not isinstance(value, str):
        raise wrong(key, f"must be a string, not {type(value).__name__}")
    kind = key.removeprefix("password_")
    if kind == "file":
        pw_path = Path(value).expanduser()
        value = str(pw_path if pw_path.is_absolute() else ctx.base / pw_path)
    elif kind == "env" and not _ENV_NAME.match(value):
        raise wrong(key, f"{value!r} is not an environment variable name",
                    "give the NAME of the variable (e.g. RESTIC_PW), never the password itself")
    elif kind == "keyring" and ("/" not in value or value.startswith("/") or value.endswith("/")):
        raise wrong(key, f"{value!r} is not \"service/user\"", 'e.g. password_keyring = "tui-backup/offsite"')
    password = PasswordSource(kind, value)  # type: ignore[arg-type]

    auto_init = table.get("auto_init", False)
    if not isinstance(auto_init, bool):
        raise wrong("auto_init", f"must be true or false, not {auto_init!r}")

    extra: dict[str, str] = {}
    raw_env = table.get("env", {})  # not `or {}`: env = 0 / false / "" must be refused
    if not isinstance(raw_env, Mapping):
        raise wrong("env", "must be a table of NAME = \"value\"", 'e.g. env = { AWS_DEFAULT_REGION = "eu-west-1" }')
    env_file = table.get("env_file", "")
    if env_file:
        if not isinstance(env_file, str):
            raise wrong("env_file", "must be a path")
        ef = Path(env_file).expanduser()
        extra.update(_read_env_file(ef if ef.is_absolute() else ctx.base / ef, wrong))
    for env_name, env_value in raw_env.items():
        if not isinstance(env_name, str) or not _ENV_NAME.match(env_name) or not isinstance(env_value, str):
            raise wrong("env", f"{env_name!r}: names must be variable names and values strings")
        if env_name in _RESERVED_ENV:
            raise wrong("env", f"{env_name} is set by the tool", "use the repository / password_* keys")
        if _SECRET_NAME.search(env_name) and env_name != "AWS_ACCESS_KEY_ID":
            raise wrong("env", f"{env_name} looks like a secret: keep secrets out of the config file",
                        "put it in env_file (a 0600 file of NAME=value lines)")
        extra[env_name] = env_value
    return ResticDestination(name=name, repository=repository, password=password, auto_init=auto_init,
                             extra_env=extra, remote=remote, profile=ctx.profile)


def _read_env_file(path: Path, wrong: Callable[[str, str, str], ConfigError]) -> dict[str, str]:
    try:
        text = path.read_text()
        mode = path.stat().st_mode & 0o777
    except OSError as exc:
        raise wrong("env_file", f"cannot read {path}: {exc.strerror}", "") from None
    if mode & 0o077:
        raise wrong("env_file", f"{path} is readable by other users (mode {mode:04o})", f"chmod 600 {path}")
    out: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        env_name, eq, env_value = line.removeprefix("export ").partition("=")
        env_name = env_name.strip()
        if not eq or not _ENV_NAME.match(env_name) or env_name in _RESERVED_ENV:
            raise wrong("env_file", f"{path}:{n}: expected NAME=value", "")
        out[env_name] = env_value.strip().strip("'\"")
    return out
