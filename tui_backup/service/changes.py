"""Change detection in the protected files: what was added, modified, deleted or renamed
since the previous scan.

A scan walks the [source] files directories (and the config files) with os.scandir and
reads only each entry's lstat (size, mtime_ns, inode, mode). It compares them with the
file manifest in the catalog (table `file_manifest`) and hashes (SHA-256) only files that
are new or whose size, mtime or inode changed — an unchanged tree costs one lstat per
file. A renamed file is a deleted path whose content (same SHA-256, same file type)
reappears at a new path, paired by inode first (a `mv`), then by content. A change of
permissions only is reported as modified with `mode` among its reasons.

Robustness:
- symlinks are never followed (no loops; a directory symlink is not descended into); a
  symlink is recorded as itself, its "content" being its target;
- a file that vanishes between the listing and its stat or hash is simply not seen
  (deleted if it was known); a file that cannot be read keeps its manifest row unchanged
  and is reported in `errors`, as is a directory that cannot be listed (what it held is
  not reported deleted);
- a root on a volume that is offline (layer 0) is skipped, its rows kept: an unplugged
  drive never looks like every file deleted;
- non-UTF-8 names: paths are str with surrogateescape (as os gives them); in the catalog a
  path that is not valid UTF-8 is stored as a BLOB of its raw bytes (TEXT cannot hold it).

The manifest is updated in ONE transaction at the end of the scan. Rows record when they
last changed (`seen_at`), not every scan: an unchanged tree writes nothing.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_backup.catalog import Catalog, utc_now
from tui_backup.service.volumes import VolumeState

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService


@dataclass(frozen=True)
class FileState:
    path: str
    size: int
    mtime_ns: int
    inode: int
    mode: int
    sha256: str | None

    @property
    def kind(self) -> int:
        return stat.S_IFMT(self.mode)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": printable(self.path),
            "size": self.size,
            "mtime_ns": self.mtime_ns,
            "mode": f"{stat.S_IMODE(self.mode):04o}",
            "type": "symlink" if stat.S_ISLNK(self.mode) else "file",
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class Modified:
    before: FileState
    after: FileState
    reasons: tuple[str, ...]  # "content", "mode"

    @property
    def path(self) -> str:
        return self.after.path

    def to_json(self) -> dict[str, Any]:
        return {"path": printable(self.path), "reasons": list(self.reasons),
                "before": self.before.to_json(), "after": self.after.to_json()}  # fmt: skip


@dataclass(frozen=True)
class Renamed:
    before: FileState
    after: FileState

    @property
    def old(self) -> str:
        return self.before.path

    @property
    def new(self) -> str:
        return self.after.path

    def to_json(self) -> dict[str, Any]:
        return {"from": printable(self.old), "to": printable(self.new), "sha256": self.after.sha256,
                "mode_changed": self.before.mode != self.after.mode}  # fmt: skip


@dataclass(frozen=True)
class FileChanges:
    added: tuple[FileState, ...]
    modified: tuple[Modified, ...]
    deleted: tuple[FileState, ...]
    renamed: tuple[Renamed, ...]
    scanned: int = 0  # files (and symlinks) seen
    hashed: int = 0  # of which hashed
    first_scan: bool = False  # the manifest was empty: everything is "added"
    skipped_roots: tuple[str, ...] = ()  # offline volumes, left as they were
    errors: tuple[str, ...] = ()  # unreadable files and directories (their rows kept)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.modified or self.deleted or self.renamed)

    def to_json(self) -> dict[str, Any]:
        return {
            "added": [f.to_json() for f in self.added],
            "modified": [m.to_json() for m in self.modified],
            "deleted": [f.to_json() for f in self.deleted],
            "renamed": [r.to_json() for r in self.renamed],
            "scanned": self.scanned,
            "hashed": self.hashed,
            "first_scan": self.first_scan,
            "skipped_roots": list(self.skipped_roots),
            "errors": list(self.errors),
        }


def printable(path: str) -> str:
    """A path for JSON and logs: undecodable bytes shown as \\xNN (lossless key stays in the catalog)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


# ---- the catalog side ----


def _key(path: str) -> str | bytes:
    """How a path is stored: TEXT when it is valid UTF-8, else a BLOB of its raw bytes."""
    try:
        return path.encode("utf-8").decode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from surrogateescape: not UTF-8 on disk
        return os.fsencode(path)


def _path(key: str | bytes) -> str:
    return os.fsdecode(key) if isinstance(key, bytes) else key


def load_manifest(catalog: Catalog) -> dict[str, FileState]:
    rows = catalog.conn.execute("SELECT path, size, mtime_ns, inode, mode, sha256 FROM file_manifest")
    out: dict[str, FileState] = {}
    for r in rows:
        path = _path(r[0])
        out[path] = FileState(path, int(r[1]), int(r[2]), int(r[3]), int(r[4]), r[5])
    return out


def _save(catalog: Catalog, upserts: Sequence[FileState], deletes: Sequence[str]) -> None:
    if not upserts and not deletes:
        return
    now = utc_now()
    with catalog.transaction() as conn:
        conn.executemany("DELETE FROM file_manifest WHERE path = ?", [(_key(p),) for p in deletes])
        conn.executemany(
            "INSERT INTO file_manifest (path, size, mtime_ns, inode, mode, sha256, seen_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET size = excluded.size,"
            " mtime_ns = excluded.mtime_ns, inode = excluded.inode, mode = excluded.mode,"
            " sha256 = excluded.sha256, seen_at = excluded.seen_at",
            [(_key(f.path), f.size, f.mtime_ns, f.inode, f.mode, f.sha256, now) for f in upserts],
        )


# ---- the walk ----


@dataclass
class _Walk:
    files: dict[str, os.stat_result] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)  # directories that could not be read


def _walk(root: str, walk: _Walk) -> None:
    """Every regular file and symlink under `root` (lstat only; symlinks not followed)."""
    try:
        st = os.lstat(root)
    except FileNotFoundError:
        return
    except OSError as exc:
        walk.errors.append(f"{printable(root)}: {exc.strerror}")
        walk.unlisted.append(root)
        return
    if stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
        walk.files[root] = st
        return
    if not stat.S_ISDIR(st.st_mode):
        return
    visited = {(st.st_dev, st.st_ino)}  # bind mounts could loop even without symlinks
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except FileNotFoundError:  # vanished mid-scan: its files are gone too
            continue
        except OSError as exc:
            walk.errors.append(f"{printable(directory)}: cannot list: {exc.strerror}")
            walk.unlisted.append(directory)
            continue
        for entry in entries:
            try:
                est = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # vanished between the listing and the stat
            except OSError as exc:
                walk.errors.append(f"{printable(entry.path)}: {exc.strerror}")
                walk.unlisted.append(entry.path)
                continue
            if stat.S_ISDIR(est.st_mode):
                if (est.st_dev, est.st_ino) not in visited:
                    visited.add((est.st_dev, est.st_ino))
                    stack.append(entry.path)
            elif stat.S_ISREG(est.st_mode) or stat.S_ISLNK(est.st_mode):
                walk.files[entry.path] = est
            # fifos, sockets, devices: not data


def _hash(path: str, st: os.stat_result) -> FileState | None:
    """Hash the file; the state returned is the fstat of what was hashed. None if it vanished."""
    if stat.S_ISLNK(st.st_mode):
        try:
            target = os.readlink(os.fsencode(path))
        except FileNotFoundError:
            return None
        st = os.lstat(path)
        return FileState(path, st.st_size, st.st_mtime_ns, st.st_ino, st.st_mode, hashlib.sha256(target).hexdigest())
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NOATIME", 0))
    except PermissionError:  # O_NOATIME needs ownership: retry without it
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # ELOOP: replaced by a symlink meanwhile
            return None
        raise
    with open(fd, "rb") as f:
        fst = os.fstat(fd)
        if not stat.S_ISREG(fst.st_mode):
            return None  # replaced by a directory (or other) meanwhile
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    return FileState(path, fst.st_size, fst.st_mtime_ns, fst.st_ino, fst.st_mode, digest)


def _under(path: str, directories: Sequence[str]) -> bool:
    return any(path == d or path.startswith(d.rstrip(os.sep) + os.sep) for d in directories)


def _pair_renames(added: list[FileState], deleted: list[FileState]) -> list[Renamed]:
    """Pair deleted and added files of the same content and type: same inode first, then
    in path order. Paired files leave `added`/`deleted` (in place)."""
    by_sha: dict[tuple[str | None, int], list[FileState]] = {}
    for d in deleted:
        if d.sha256 is not None:
            by_sha.setdefault((d.sha256, d.kind), []).append(d)
    renamed: list[Renamed] = []
    for a in sorted(added, key=lambda f: f.path):
        candidates = by_sha.get((a.sha256, a.kind))
        if not candidates:
            continue
        match = next((d for d in candidates if d.inode == a.inode), candidates[0])
        candidates.remove(match)
        renamed.append(Renamed(match, a))
    gone = {id(r.before) for r in renamed}
    new = {id(r.after) for r in renamed}
    deleted[:] = [d for d in deleted if id(d) not in gone]
    added[:] = [a for a in added if id(a) not in new]
    return renamed


# ---- the contract ----


def scan_paths(catalog: Catalog, roots: Sequence[Path], *, skipped_roots: Sequence[str] = ()) -> FileChanges:
    """Scan `roots` (directories or single files) against the manifest and update it.

    Manifest rows outside `roots` (or under `skipped_roots`) are left untouched.
    """
    root_strs = [os.fspath(r) for r in roots]
    manifest = load_manifest(catalog)
    walk = _Walk()
    for root in root_strs:
        _walk(root, walk)
    known = {p: f for p, f in manifest.items() if _under(p, root_strs) and not _under(p, skipped_roots)}
    added: list[FileState] = []
    modified: list[Modified] = []
    upserts: list[FileState] = []
    seen: set[str] = set()
    errors = list(walk.errors)
    hashed = 0
    for path in sorted(walk.files):
        st = walk.files[path]
        old = known.get(path)
        if old is not None and old.sha256 is not None and (st.st_size, st.st_mtime_ns, st.st_ino) == (
            old.size, old.mtime_ns, old.inode
        ):  # fmt: skip
            seen.add(path)
            if st.st_mode != old.mode:
                now = FileState(path, old.size, old.mtime_ns, old.inode, st.st_mode, old.sha256)
                modified.append(Modified(old, now, ("mode",)))
                upserts.append(now)
            continue
        try:
            now_state = _hash(path, st)
        except OSError as exc:
            errors.append(f"{printable(path)}: {exc.strerror}")
            if old is not None:
                seen.add(path)  # unreadable now: keep what we knew, report nothing
            continue
        if now_state is None:
            continue  # vanished mid-scan: not seen (deleted if it was known)
        hashed += 1
        seen.add(path)
        upserts.append(now_state)
        if old is None:
            added.append(now_state)
            continue
        reasons = tuple(
            r for r, differs in (("content", now_state.sha256 != old.sha256), ("mode", now_state.mode != old.mode)) if differs
        )
        if reasons:
            modified.append(Modified(old, now_state, reasons))
    deleted = [f for p, f in sorted(known.items()) if p not in seen and not _under(p, walk.unlisted)]
    renamed = _pair_renames(added, deleted)
    _save(catalog, upserts, [f.path for f in deleted] + [r.old for r in renamed])
    return FileChanges(
        added=tuple(added),
        modified=tuple(modified),
        deleted=tuple(deleted),
        renamed=tuple(renamed),
        scanned=len(walk.files),
        hashed=hashed,
        first_scan=not known,
        skipped_roots=tuple(skipped_roots),
        errors=tuple(errors),
    )


def file_roots(svc: ProfileService) -> tuple[list[Path], list[str]]:
    """The profile's files sources and config files whose volumes are usable, and the
    roots skipped because their volume is not (offline, unmounted, missing)."""
    roots: list[Path] = []
    skipped: list[str] = []
    for volume in svc.volumes():
        if not volume.name.startswith(("source.files", "source.config_files")):
            continue
        # Read-only or nearly full is fine for reading; offline, foreign or missing is not.
        if svc.guard.check(volume).state in (VolumeState.ONLINE, VolumeState.READ_ONLY, VolumeState.LOW_SPACE):
            roots.append(Path(volume.path))
        else:
            skipped.append(os.fspath(volume.path))
    return roots, skipped


def scan_files(svc: ProfileService) -> FileChanges:
    """Scan the profile's files sources against the manifest: added, modified, deleted, renamed."""
    roots, skipped = file_roots(svc)
    return scan_paths(svc.catalog, roots, skipped_roots=skipped)


def iter_changes(changes: FileChanges) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(action, target, details) for each change — the shape of a journal entry
    (`file.added`, `file.modified`, `file.deleted`, `file.renamed`)."""
    for f in changes.added:
        yield "file.added", printable(f.path), f.to_json()
    for m in changes.modified:
        yield "file.modified", printable(m.path), m.to_json()
    for f in changes.deleted:
        yield "file.deleted", printable(f.path), f.to_json()
    for r in changes.renamed:
        yield "file.renamed", printable(r.new), r.to_json()




def journal_file_changes(svc: ProfileService) -> FileChanges | None:
    """Scan the protected files and put every change in the change journal (layer 2): what
    each snapshot and backup does first. The first scan of a profile records one summary
    entry, not one per file. Never fails the snapshot or backup that calls it."""
    import logging

    from tui_backup.service import journal

    try:
        changes = scan_files(svc)
    except Exception as exc:  # a scan problem must not cost the user their backup
        logging.getLogger(__name__).warning("file change scan failed: %s", exc)
        return None
    if changes.first_scan:
        journal.try_record(svc, "file.scan", "[source] files", {"first_scan": True, "files": len(changes.added)})
    else:
        for action, target, details in iter_changes(changes):
            journal.try_record(svc, action, target, details)
    return changes


__all__ = [
    "FileChanges", "FileState", "Modified", "Renamed", "iter_changes", "journal_file_changes", "load_manifest",
    "scan_files", "scan_paths",
]  # fmt: skip
