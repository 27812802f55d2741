"""A file's history: every recorded version and what still holds each one.

`file_history(svc, path)` answers "what changed, when, and where can I get the old version
back?" for one file of the [source] files (or config files). It is read from:
- the change journal's `file.added/modified/deleted/renamed` entries for the path (and,
  through renames, for the paths it had before), see service/changes.py for their details;
- the first scan's state, which the journal does not list file by file: the `before` of
  the path's first entry, or the manifest row (table `file_manifest`) when the path never
  changed since.

Each version lists its HOLDERS, oldest version first:
- restore points of `full`/`files` backups: a point holds the version that was current at
  its `backup.run` journal entry (the scan runs before the backup). Points that are gone
  are left out; a point retention moved to the trash is a TRASH holder with its trash
  item; with `check=True` each point's metadata.json is read and decides which version
  the point holds (then `confirmed` is True);
- trash items (kinds file/user/safety/overwritten) of the same content at the same
  original path, or of a trashed directory holding the path (content only the trash
  knows — changed, then trashed before a scan — becomes a TRASH_ONLY version);
- the live file itself.

Every holder carries the exact CLI command that brings its version back; `bring_back`
does the same from the service (the TUI's Journal pane calls it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_backup.errors import TuiBackupError, UsageError

if TYPE_CHECKING:
    from tui_backup.destinations.base import RestorePoint
    from tui_backup.service.profile import ProfileService
    from tui_backup.service.trash import TrashItem

# VersionHolder.kind
LIVE = "live"  # the live file is this version
RESTORE_POINT = "restore-point"  # a restore point at a destination holds it
TRASH = "trash"  # a trash item holds it (the file itself, or a trashed directory with it)
HOLDER_KINDS = (LIVE, RESTORE_POINT, TRASH)

FILE_ACTIONS = ("file.added", "file.modified", "file.deleted", "file.renamed")
FIRST_SCAN = "file.scan"  # FileVersion.action of a version that was there at the first scan
TRASH_ONLY = "trash.put"  # FileVersion.action of content only the trash knows (changed, then trashed unscanned)


@dataclass(frozen=True)
class VersionHolder:
    """Something that still holds one version of the file."""

    kind: str  # LIVE | RESTORE_POINT | TRASH
    label: str  # one line for humans: "restore point 20261121T224800Z at nas (full)"
    command: str  # the exact CLI command that brings this version back ("" for LIVE)
    location: str  # the live path; "DEST/POINT"; the trash item's stored path
    # RESTORE_POINT, and TRASH when the trash item is a restore point retention removed:
    destination: str | None = None  # the destination's name
    point_id: str | None = None  # the restore point's id
    layout_path: str | None = None  # "files/<label>/<rel>" (or "config/<label>") inside the point
    trash_id: str | None = None  # TRASH: the item's id
    inner_path: str | None = None  # TRASH: the file's path inside a trashed directory ("" = the item itself)
    created_at: str | None = None  # when the holder was made (point / trashed at), catalog format
    confirmed: bool | None = None  # check=True: content's sha256 confirmed (None: not checked)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FileVersion:
    """One state of the file. A `file.deleted` version marks its absence: no content,
    no holders. Renames give a version at the new path with the same content."""

    seq: int | None  # the journal entry that recorded it (the first-scan entry for FIRST_SCAN; None if none)
    at: str  # when it was recorded, catalog format (UTC)
    action: str  # FIRST_SCAN | "file.added" | "file.modified" | "file.deleted" | "file.renamed" | TRASH_ONLY
    path: str  # the file's path in this version (differs from FileHistory.path before a rename)
    size: int | None
    sha256: str | None  # None: deleted (or a version whose content was never hashed)
    holders: tuple[VersionHolder, ...]
    reasons: tuple[str, ...] = ()  # file.modified: "content", "mode"

    @property
    def deleted(self) -> bool:
        return self.action == "file.deleted"

    @property
    def current(self) -> bool:
        """The live file is this version."""
        return any(h.kind == LIVE for h in self.holders)

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "at": self.at, "action": self.action, "path": self.path, "size": self.size,
            "sha256": self.sha256, "reasons": list(self.reasons), "current": self.current,
            "holders": [h.to_json() for h in self.holders],
        }  # fmt: skip


@dataclass(frozen=True)
class FileHistory:
    path: str  # absolute
    versions: tuple[FileVersion, ...]  # oldest first
    checked: bool = False  # holders confirmed from metadata.json / trash content
    warnings: tuple[str, ...] = ()  # e.g. a destination that could not be listed

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "checked": self.checked, "warnings": list(self.warnings),
                "versions": [v.to_json() for v in self.versions]}  # fmt: skip


class NotInSourcesError(UsageError):
    """The path is not (and never was) a protected file of the profile."""


class HistoryConflictError(TuiBackupError):
    """Something is already where a version would be brought back."""


# ---- reading the journal ----

_MAX_RENAMES = 50  # how far back a chain of renames is followed


@dataclass(frozen=True)
class _Event:
    seq: int
    at: str
    action: str
    target: str
    details: dict[str, Any]


@dataclass
class _Draft:
    """A version being built: holders are added once the timeline is known."""

    seq: int | None
    at: str
    action: str
    path: str
    size: int | None
    sha256: str | None
    reasons: tuple[str, ...] = ()
    holders: list[VersionHolder] = field(default_factory=list)

    def freeze(self) -> FileVersion:
        return FileVersion(self.seq, self.at, self.action, self.path, self.size, self.sha256, tuple(self.holders), self.reasons)


def _printable(path: str) -> str:
    from tui_backup.service.changes import printable

    return printable(path)


def _events_for(svc: ProfileService, path: str, before_seq: int | None, seen: set[tuple[str, int | None]]) -> list[_Event]:
    """The journal's file.* entries of `path` before `before_seq`: its own (target = path),
    renames away from it, and — through renames into it — those of its earlier names."""
    if (path, before_seq) in seen or len(seen) > _MAX_RENAMES:
        return []
    seen.add((path, before_seq))
    limit = before_seq if before_seq is not None else 1 << 62
    marks = ", ".join("?" for _ in FILE_ACTIONS)
    conn = svc.catalog.conn
    rows = conn.execute(
        f"SELECT seq, at, action, target, details_json FROM journal WHERE target = ? AND action IN ({marks})"
        " AND seq < ? ORDER BY seq",
        (path, *FILE_ACTIONS, limit),
    ).fetchall()
    rows += conn.execute(
        "SELECT seq, at, action, target, details_json FROM journal WHERE action = 'file.renamed' AND seq < ?"
        " AND target != ? AND json_extract(details_json, '$.from') = ? ORDER BY seq",
        (limit, path, path),
    ).fetchall()
    out: list[_Event] = []
    for seq, at, action, target, details_json in rows:
        try:
            details = json.loads(details_json)
        except ValueError:
            continue
        if not isinstance(details, dict):
            continue
        ev = _Event(int(seq), str(at), str(action), str(target), details)
        out.append(ev)
        old = details.get("from")
        if action == "file.renamed" and target == path and isinstance(old, str) and old != path:
            out += _events_for(svc, old, ev.seq, seen)
    unique = {e.seq: e for e in out}
    return [unique[k] for k in sorted(unique)]


def _first_scan(svc: ProfileService) -> tuple[int | None, str]:
    row = svc.catalog.conn.execute(
        "SELECT seq, at FROM journal WHERE action = ? AND json_extract(details_json, '$.first_scan') = 1"
        " ORDER BY seq LIMIT 1",
        (FIRST_SCAN,),
    ).fetchone()
    return (int(row[0]), str(row[1])) if row else (None, "")


def _manifest_row(svc: ProfileService, path: str) -> tuple[int, str | None, str] | None:
    """(size, sha256, seen_at) of the path in the file manifest, or None."""
    from tui_backup.service.changes import _key

    row = svc.catalog.conn.execute(
        "SELECT size, sha256, seen_at FROM file_manifest WHERE path = ?", (_key(path),)
    ).fetchone()
    return (int(row[0]), row[1], str(row[2])) if row else None


def _state(details: Any) -> tuple[str | None, int | None, str | None]:
    """(path, size, sha256) of a FileState's to_json()."""
    if not isinstance(details, dict):
        return None, None, None
    size = details.get("size")
    sha = details.get("sha256")
    path = details.get("path")
    return (
        path if isinstance(path, str) else None,
        size if isinstance(size, int) else None,
        sha if isinstance(sha, str) else None,
    )


def _timeline(svc: ProfileService, path: str) -> list[_Draft]:
    """Versions of `path` (printable form), oldest first, from the journal and the manifest."""
    events = _events_for(svc, path, None, set())
    scan_seq, scan_at = _first_scan(svc)
    versions: list[_Draft] = []

    def current() -> _Draft | None:
        return versions[-1] if versions and not versions[-1].action == "file.deleted" else None

    def first_seen(p: str | None, size: int | None, sha: str | None, ev: _Event) -> None:
        """The state before `ev` was never journaled: it is the first scan's (or older)."""
        now = current()
        if now is not None and now.sha256 == sha and now.path == (p or now.path):
            return
        versions.append(_Draft(scan_seq if scan_seq is not None and scan_seq < ev.seq else None,
                               scan_at if scan_seq is not None and scan_seq < ev.seq else ev.at,
                               FIRST_SCAN, p or ev.target, size, sha))  # fmt: skip

    for ev in events:
        d = ev.details
        if ev.action == "file.added":
            p, size, sha = _state(d)
            versions.append(_Draft(ev.seq, ev.at, ev.action, p or ev.target, size, sha))
        elif ev.action == "file.modified":
            p, size, sha = _state(d.get("before"))
            first_seen(p, size, sha, ev)
            p, size, sha = _state(d.get("after"))
            reasons = tuple(str(r) for r in d.get("reasons", []) if isinstance(r, str))
            versions.append(_Draft(ev.seq, ev.at, ev.action, p or ev.target, size, sha, reasons))
        elif ev.action == "file.deleted":
            p, size, sha = _state(d)
            first_seen(p, size, sha, ev)
            versions.append(_Draft(ev.seq, ev.at, ev.action, p or ev.target, None, None))
        elif ev.action == "file.renamed":
            old, new = d.get("from"), d.get("to")
            sha = d.get("sha256") if isinstance(d.get("sha256"), str) else None
            before = current()
            if before is None or before.path != old:
                first_seen(old if isinstance(old, str) else None, None, sha, ev)
                before = current()
            size = before.size if before is not None and before.sha256 == sha else None
            versions.append(_Draft(ev.seq, ev.at, ev.action, new if isinstance(new, str) else ev.target, size, sha))
    # a first-scan state found late (a rename from an untouched file) goes where its seq puts it
    versions.sort(key=lambda v: -1 if v.seq is None else v.seq)
    if not versions:
        row = _manifest_row(svc, path)
        if row is not None:
            size, sha, seen_at = row
            versions.append(_Draft(scan_seq, scan_at or seen_at, FIRST_SCAN, path, size, sha))
    return versions


def _at_seq(versions: Sequence[_Draft], seq: int) -> _Draft | None:
    """The version that was current when journal entry `seq` was written."""
    found: _Draft | None = None
    for v in versions:
        if v.seq is None or v.seq <= seq:
            found = v
        else:
            break
    return None if found is None or found.action == "file.deleted" else found


def _best(versions: Sequence[_Draft], *, path: str | None, sha: str | None, at: str | None = None) -> _Draft | None:
    """The newest version of this content (at this path), preferring those recorded by `at`."""
    same = [v for v in versions if v.sha256 is not None and v.sha256 == sha and (path is None or v.path == path)]
    if not same:
        return None
    early = [v for v in same if at is None or v.at <= at]
    return (early or same)[-1]


# ---- the sources ----


def _roots(svc: ProfileService) -> list[tuple[str, str]]:
    """(layout prefix, live path) of every files source and config file, e.g. ("files/lib", "/srv/lib")."""
    from tui_backup.service.backups import unique_labels

    src = svc.config.source
    out = [(f"files/{label}", os.path.abspath(p)) for label, p in unique_labels(src.files)]
    out += [(f"config/{label}", os.path.abspath(p)) for label, p in unique_labels(src.config_files)]
    return out


def _layout_path(roots: Sequence[tuple[str, str]], path: str) -> str | None:
    for prefix, live in sorted(roots, key=lambda r: -len(r[1])):
        if path == live:
            return prefix
        if path.startswith(live.rstrip(os.sep) + os.sep):
            return f"{prefix}/{Path(path).relative_to(live).as_posix()}"
    return None


def _absolute(path: Path | str) -> str:
    return os.path.abspath(os.path.expanduser(os.fspath(path)))


# ---- holders ----


def _cmd(*args: str) -> str:
    return shlex.join(["tui-backup", *args])


def _sha256_file(path: str) -> str | None:
    try:
        if os.path.islink(path):
            return hashlib.sha256(os.fsencode(os.readlink(path))).hexdigest()
        if not os.path.isfile(path):
            return None
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None


def _live_holder(svc: ProfileService, versions: Sequence[_Draft]) -> None:
    last = versions[-1] if versions else None
    if last is None or last.action == "file.deleted" or last.sha256 is None:
        return
    try:
        st = os.lstat(last.path)
    except OSError:
        return
    row = _manifest_row(svc, last.path)
    # The manifest's digest stands while the file's size is the one it recorded; else hash it now.
    sha = row[1] if row is not None and row[0] == st.st_size and row[1] == last.sha256 else _sha256_file(last.path)
    if sha == last.sha256:
        last.holders.append(VersionHolder(LIVE, f"the live file {last.path}", "", last.path, confirmed=True))


def _backup_runs(svc: ProfileService) -> list[tuple[int, str, dict[str, Any]]]:
    rows = svc.catalog.conn.execute(
        "SELECT seq, at, details_json FROM journal WHERE action = 'backup.run' ORDER BY seq"
    ).fetchall()
    out: list[tuple[int, str, dict[str, Any]]] = []
    for seq, at, details_json in rows:
        try:
            details = json.loads(details_json)
        except ValueError:
            continue
        if isinstance(details, dict) and isinstance(details.get("destination"), str) and isinstance(details.get("point"), str):
            out.append((int(seq), str(at), details))
    return out


def _holds(type_: str, layout: str) -> bool:
    """Whether a backup of this type holds the layout path."""
    if layout.startswith("files/"):
        return type_ in ("full", "files")
    return type_ in ("full", "config")


def _list_points(svc: ProfileService, dest: str, warnings: list[str]) -> list[RestorePoint] | None:
    try:
        return svc.list_restore_points(dest)
    except TuiBackupError as exc:
        warnings.append(f"could not list the restore points at {dest}: {exc.message} (its points are shown unchecked)")
        return None


def _point_metadata(svc: ProfileService, dest_name: str, point_ids: Sequence[str], warnings: list[str]) -> dict[str, dict[str, str]]:
    """point id -> {layout path: sha256} from each point's metadata.json (one fetch job per destination)."""
    from tui_backup.destinations import destination_named
    from tui_backup.destinations.base import METADATA_NAME
    from tui_backup.jobs.runner import JobContext, JobRunner, JobSpec, run_job_sync
    from tui_backup.service.backup_restore import _artifacts

    dest = destination_named(svc.config, dest_name)
    found: dict[str, dict[str, str]] = {}

    async def body(ctx: JobContext) -> None:
        for point_id in point_ids:
            staging = Path(tempfile.mkdtemp(prefix="history-", dir=svc.paths.state_dir))  # 0700
            try:
                root = await dest.fetch(ctx, point_id, staging / "point", (METADATA_NAME,))
                meta = json.loads((root / METADATA_NAME).read_text(encoding="utf-8"))
                found[point_id] = {p: a.sha256 for p, a in _artifacts(meta).items()}
            except (OSError, ValueError, TuiBackupError) as exc:
                warnings.append(f"could not read metadata.json of {dest_name}/{point_id}: {exc}")
            finally:
                shutil.rmtree(staging, ignore_errors=True)

    finished = run_job_sync(JobRunner(max_concurrent=svc.config.jobs.max_concurrent),
                            JobSpec("list", dest_name, body, uses_slot=False), handle_signals=False)  # fmt: skip
    if not finished.ok:
        warnings.append(f"could not read the restore points' metadata at {dest_name}: {finished.error_message}")
    return found


_POINT_TRASH_KINDS = ("restore-point", "restic-snapshot")  # destination items (trash_points)
_NOT_FILES = ("snapshot", "policy", *_POINT_TRASH_KINDS)  # trash kinds that never hold a source file


def _trashed_points(items: Sequence[TrashItem]) -> dict[tuple[str, str], TrashItem]:
    out: dict[tuple[str, str], TrashItem] = {}
    for item in items:
        if item.kind in _POINT_TRASH_KINDS:
            d = item.details
            dest = d.get("destination")
            point = d.get("point_id", d.get("point"))
            if isinstance(dest, str) and isinstance(point, str):
                out[(dest, point)] = item
    return out


def _point_holders(
    svc: ProfileService, versions: Sequence[_Draft], trash_items: Sequence[TrashItem], *, check: bool,
    warnings: list[str],
) -> None:  # fmt: skip
    roots = _roots(svc)
    configured = {d.name for d in svc.config.destinations}
    runs = [r for r in _backup_runs(svc) if r[2]["destination"] in configured]
    trashed = _trashed_points(trash_items)
    listed: dict[str, set[str] | None] = {}
    for dest in sorted({r[2]["destination"] for r in runs}):
        points = _list_points(svc, dest, warnings)
        listed[dest] = None if points is None else {p.id for p in points if p.complete}
    meta: dict[str, dict[str, dict[str, str]]] = {}
    if check:
        for dest, ids in listed.items():
            wanted = [r[2]["point"] for r in runs if r[2]["destination"] == dest and (ids is None or r[2]["point"] in ids)]
            if wanted and ids is not None:
                meta[dest] = _point_metadata(svc, dest, wanted, warnings)
    for seq, at, d in runs:
        dest, point, type_ = d["destination"], d["point"], str(d.get("type", ""))
        alive = listed.get(dest)
        in_trash = trashed.get((dest, point))
        if alive is not None and point not in alive and in_trash is None:
            continue  # pruned or removed: it holds nothing any more
        version = _at_seq(versions, seq)
        confirmed: bool | None = None
        artifacts = meta.get(dest, {}).get(point)
        if artifacts is not None:
            # metadata.json is the truth: find the version whose content it lists
            candidates = [v for v in versions if v.sha256 and artifacts.get(_layout_path(roots, v.path) or "") == v.sha256]
            if version is None or version not in candidates:
                version = next((v for v in reversed(candidates) if v.seq is None or v.seq <= seq), None) or (
                    candidates[-1] if candidates else None
                )
            if version is None:
                continue
            confirmed = True
        if version is None or version.sha256 is None:
            continue
        layout = _layout_path(roots, version.path)
        if layout is None or not _holds(type_, layout):
            continue
        restore = _cmd("backup", "restore", dest, point, "--path", layout, "--to", "DIR")
        if in_trash is not None and (alive is None or point not in alive):
            version.holders.append(VersionHolder(
                TRASH, f"restore point {point} at {dest} ({type_}), in the trash",
                f"{_cmd('trash', 'restore', in_trash.id)} && {restore}", in_trash.stored, destination=dest,
                point_id=point, layout_path=layout, trash_id=in_trash.id, created_at=at, confirmed=confirmed,
            ))  # fmt: skip
            continue
        version.holders.append(VersionHolder(
            RESTORE_POINT, f"restore point {point} at {dest} ({type_})", restore, f"{dest}/{point}",
            destination=dest, point_id=point, layout_path=layout, created_at=at, confirmed=confirmed,
        ))  # fmt: skip


def _size(item: TrashItem, inner: str) -> int | None:
    if not inner:
        return item.size_bytes
    try:
        return os.lstat(os.path.join(item.stored, inner)).st_size
    except OSError:
        return None


def _trash_holders(
    svc: ProfileService, path: str, versions: list[_Draft], items: Sequence[TrashItem], *, check: bool
) -> None:
    paths = {v.path for v in versions if v.sha256} | {path}
    for item in items:
        if item.kind in _NOT_FILES or not item.original.startswith("/"):
            continue
        original = item.original.rstrip(os.sep) or os.sep
        if original in paths:  # the file itself
            sha = _sha256_file(item.stored) if check or item.sha256 is None else item.sha256
            inner = ""
            where = original
        else:  # a trashed directory that held the file
            inside = [p for p in paths if p.startswith(original + os.sep)]
            if not inside or not os.path.isdir(item.stored):
                continue
            where = inside[0] if len(inside) == 1 else max(inside, key=lambda p: os.path.lexists(
                os.path.join(item.stored, os.path.relpath(p, original))))  # fmt: skip
            inner = os.path.relpath(where, original)
            sha = _sha256_file(os.path.join(item.stored, inner))
        version = _best(versions, path=where, sha=sha, at=item.deleted_at)
        if version is None:
            if sha is None:
                continue
            # changed, then trashed before any scan saw it: a version only the trash knows
            version = _Draft(None, item.deleted_at, TRASH_ONLY, where, _size(item, inner), sha)
            later = [i for i, v in enumerate(versions) if v.at > item.deleted_at]
            versions.insert(later[0] if later else len(versions), version)
        if inner:
            label = f"trash item {item.id} ({item.kind}): the directory {original}"
            command = _cmd("trash", "restore", item.id, "--to", "DIR")
        else:
            label = f"trash item {item.id} ({item.kind})"
            occupied = os.path.lexists(original)
            command = _cmd("trash", "restore", item.id, *(("--to", "DIR") if occupied else ()))
        version.holders.append(VersionHolder(
            TRASH, label, command, item.stored, trash_id=item.id, inner_path=inner, created_at=item.deleted_at,
            confirmed=True if check else None,
        ))  # fmt: skip


# ---- the contract ----


def file_history(svc: ProfileService, path: Path | str, *, check: bool = False) -> FileHistory:
    """Every recorded version of `path` (absolute, or relative to the cwd), oldest first.

    Raises NotInSourcesError (a UsageError) when the path was never under a [source]
    files directory or config file."""
    from tui_backup.service import trash

    absolute = _printable(_absolute(path))
    versions = _timeline(svc, absolute)
    if not versions and _layout_path(_roots(svc), absolute) is None:
        raise NotInSourcesError(
            f"{absolute} is not a protected file",
            "give a file under a [source] files directory (or a config file) of this profile"
            " (`tui-backup config show` lists them)",
        )
    if not versions and os.path.isdir(absolute) and not os.path.islink(absolute):
        raise UsageError(f"{absolute} is a directory", "history is kept per file: give a file inside it")
    warnings: list[str] = []
    items = [i for i in trash.list_items(svc) if i.state == "trashed"]
    if versions:
        _point_holders(svc, versions, items, check=check, warnings=warnings)
    _trash_holders(svc, absolute, versions, items, check=check)
    _live_holder(svc, versions)
    if not versions:
        warnings.append("no version recorded yet: each snapshot and backup scans the files")
    for v in versions:
        v.holders.sort(key=lambda h: (HOLDER_KINDS.index(h.kind), h.created_at or ""))
    return FileHistory(absolute, tuple(v.freeze() for v in versions), check, tuple(warnings))


def bring_back(
    svc: ProfileService, path: Path | str, holder: VersionHolder, *, to: Path | None = None, overwrite: bool = False
) -> Path:
    """Bring back the version `holder` holds; return where the file now is.

    `to` None: in place, at `path` (refused if something is there, unless `overwrite`:
    what it replaces goes to the trash, kind "overwritten"). `to` a directory: the file is
    placed inside it under its own name (refused if that name is taken, unless `overwrite`).
    A trash item holding the file itself leaves the trash; every other holder is copied."""
    final = Path(_absolute(path)) if to is None else Path(_absolute(to)) / Path(_absolute(path)).name
    if to is not None and not Path(_absolute(to)).is_dir():
        raise UsageError(f"{to} is not a directory", "give an existing directory to bring the file back into")
    if holder.kind == LIVE:
        if to is None or Path(holder.location) == final:
            return Path(holder.location)
        _make_room(svc, final, overwrite, holder)
        _copy_into_place(Path(holder.location), final)
    elif holder.kind == TRASH and holder.point_id is None:
        assert holder.trash_id is not None
        if holder.inner_path:
            _make_room(svc, final, overwrite, holder)
            _copy_into_place(Path(holder.location) / holder.inner_path, final)
        else:  # the file itself: it leaves the trash (trash.restore trashes what it replaces)
            if os.path.lexists(final) and not overwrite:
                raise _conflict(final)
            svc.trash_restore(holder.trash_id, to=final, overwrite=overwrite)
            _journal_restore(svc, final, holder)
            return final
    elif holder.kind in (RESTORE_POINT, TRASH):
        if holder.kind == TRASH:  # a restore point in the trash: put it back first (its id may change)
            assert holder.trash_id is not None
            back = svc.trash_restore(holder.trash_id)
            holder = replace(holder, point_id=str(back.details.get("restored_id") or holder.point_id))
        _from_point(svc, final, holder, overwrite)
    else:
        raise UsageError(f"unknown holder kind {holder.kind!r}", f"one of: {', '.join(HOLDER_KINDS)}")
    _journal_restore(svc, final, holder)
    return final


def _conflict(final: Path) -> HistoryConflictError:
    return HistoryConflictError(
        f"{final} already exists", "bring the version back into another directory (--to DIR), or overwrite it"
        " (what is there goes to the trash)",
    )  # fmt: skip


def _make_room(svc: ProfileService, final: Path, overwrite: bool, holder: VersionHolder) -> None:
    """Refuse a taken name, or (overwrite) move what is there to the trash first."""
    from tui_backup.fsutil import make_private_dir
    from tui_backup.service import trash

    if os.path.lexists(final):
        if not overwrite:
            raise _conflict(final)
        trash.put(svc, final, kind="overwritten", reason=f"replaced by an older version ({holder.label})")
    if not final.parent.is_dir():
        make_private_dir(final.parent)


def _copy_into_place(src: Path, final: Path) -> None:
    """Copy to a temporary name beside `final`, fsync, rename: never half a file."""
    from tui_backup.fsutil import commit_temp, temp_path_for

    tmp = temp_path_for(final)
    try:
        if src.is_symlink():
            os.symlink(os.readlink(src), tmp)
            os.replace(tmp, final)
            return
        shutil.copy2(src, tmp, follow_symlinks=False)
        commit_temp(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _from_point(svc: ProfileService, final: Path, holder: VersionHolder, overwrite: bool) -> None:
    """Restore the one path from the point into a private directory beside `final`
    (checked against metadata.json by the restore), then rename it into place."""
    from tui_backup.fsutil import make_private_dir, temp_path_for
    from tui_backup.service.backup_restore import RestoreScope

    assert holder.destination is not None and holder.point_id is not None and holder.layout_path is not None
    if os.path.lexists(final) and not overwrite:
        raise _conflict(final)
    if not final.parent.is_dir():
        make_private_dir(final.parent)
    work = temp_path_for(final)  # a directory; removed whatever happens
    try:
        svc.restore_backup(holder.destination, holder.point_id, scope=RestoreScope(paths=(holder.layout_path,)), to=work)
        fetched = work / holder.layout_path
        if not os.path.lexists(fetched):
            raise HistoryConflictError(
                f"restore point {holder.point_id} at {holder.destination} does not hold {holder.layout_path}",
                "run `tui-backup history PATH --check` to see which points hold it",
            )
        _make_room(svc, final, overwrite, holder)
        os.rename(fetched, final)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _journal_restore(svc: ProfileService, final: Path, holder: VersionHolder) -> None:
    from tui_backup.service import journal

    journal.try_record(svc, "restore", _printable(str(final)), {"source": "history", "holder": holder.to_json()})
