"""Change detection in the protected files: what was added, modified, deleted or renamed
since the previous scan.

A scan walks the [source] files directories (and the config files) with GNU find
(service/find_walk.py; os.scandir when find is not GNU find or reports any problem) and
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

import contextlib
import errno
import hashlib
import os
import sqlite3
import stat
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_backup.catalog import Catalog, utc_now
from tui_backup.service import find_walk
from tui_backup.service.find_walk import signature
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


def _save(
    catalog: Catalog, upserts: Sequence[FileState], deletes: Sequence[str], digest: _Digest,
    clean: bool,
) -> None:  # fmt: skip
    """Write the manifest's changes and, in the same transaction, the listing digest they
    stand for (only after a clean scan; otherwise the scope's digest is dropped)."""
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
        if clean and digest.value is not None:
            conn.execute(
                "INSERT OR REPLACE INTO scan_digest (scope, digest, files, saved_at) VALUES (?, ?, ?, ?)",
                (digest.scope, digest.value, digest.files, now),
            )
        else:
            conn.execute("DELETE FROM scan_digest WHERE scope = ?", (digest.scope,))


# ---- the listing digest: an unchanged tree in one compare ----


@dataclass
class _Digest:
    """SHA-256 of what GNU find listed for every root of one scan (None: some root was not
    listed by find). Stored after a clean scan, in the transaction that made the manifest
    match that listing; a later scan whose listing has the same digest has nothing to
    compare — no manifest row read, no file hashed."""

    scope: str  # the roots and skipped roots, hashed: one digest per set of roots
    value: str | None
    files: int = 0  # files and symlinks the stored scan saw (reported as `scanned`)


def _scope(roots: Sequence[str], skipped_roots: Sequence[str]) -> str:
    text = "\0".join([*roots, "\1", *sorted(skipped_roots)])
    return hashlib.sha256(os.fsencode(text)).hexdigest()


def _stored_digest(catalog: Catalog, scope: str) -> tuple[str, int] | None:
    row = catalog.conn.execute("SELECT digest, files FROM scan_digest WHERE scope = ?", (scope,)).fetchone()
    return None if row is None else (str(row[0]), int(row[1]))


# What a scan compares per file: its lstat (size, mtime_ns, inode, mode) as the text GNU find
# prints (find_walk.signature) when find walks, else as a tuple (cheaper to build in Python).
_Key = str | tuple[int, int, int, int]


class _QuickLoader:
    """Reads path -> the key of its row (`_Key`, text when `as_text`), all a scan of an
    unchanged file compares; None for a row never hashed. SQLite builds the text: no
    FileState (nor, with text, any number) is made in Python for 100,000 unchanged rows.

    `load` runs in a thread beside the walk (sqlite and the walk's lstat calls release the
    GIL), on its own read-only connection; `interrupt` stops it when the listing digest
    shows the tree unchanged (sqlite3's interrupt is safe from another thread).
    """

    def __init__(self, catalog_path: Path, as_text: bool) -> None:
        self.conn = sqlite3.connect(f"{catalog_path.as_uri()}?mode=ro", uri=True, check_same_thread=False)
        self.as_text = as_text
        self.cancelled = False

    def interrupt(self) -> None:
        self.cancelled = True  # a query not started yet is never run
        with contextlib.suppress(sqlite3.Error):  # already finished and closed
            self.conn.interrupt()

    def load(self) -> dict[str, _Key | None]:
        conn = self.conn
        try:
            if self.cancelled:
                return {}
            if not self.as_text:
                rows = conn.execute("SELECT path, size, mtime_ns, inode, mode, sha256 IS NULL FROM file_manifest")
                return {_path(r[0]): None if r[5] else r[1:5] for r in rows}
            query = (f"SELECT path, CASE WHEN sha256 IS NULL THEN NULL ELSE {find_walk.SQL_SIGNATURE} END"
                     " FROM file_manifest")  # fmt: skip
            # TEXT paths straight into the dict; the rare BLOBs (non-UTF-8 names) decoded
            out: dict[str, _Key | None] = dict(conn.execute(f"{query} WHERE typeof(path) = 'text'"))
            if self.cancelled:
                return out
            out.update((_path(p), sig) for p, sig in conn.execute(f"{query} WHERE typeof(path) != 'text'"))
            return out
        finally:
            conn.close()


def _load_states(catalog: Catalog, paths: Sequence[str]) -> dict[str, FileState]:
    """The full manifest rows of `paths` (the few a scan found changed), in batches."""
    out: dict[str, FileState] = {}
    batch = 500  # well under SQLite's limit on bound parameters
    for i in range(0, len(paths), batch):
        keys = [_key(p) for p in paths[i : i + batch]]
        marks = ", ".join("?" * len(keys))
        for r in catalog.conn.execute(
            f"SELECT path, size, mtime_ns, inode, mode, sha256 FROM file_manifest WHERE path IN ({marks})", keys
        ):
            path = _path(r[0])
            out[path] = FileState(path, int(r[1]), int(r[2]), int(r[3]), int(r[4]), r[5])
    return out


def _prefix_test(directories: Sequence[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """What `_under` checks, prepared once: a set of exact paths and a tuple of prefixes
    (str.startswith takes a tuple: one C call per path instead of a generator)."""
    return frozenset(directories), tuple(d.rstrip(os.sep) + os.sep for d in directories)


# ---- the walk ----


@dataclass
class _Walk:
    as_text: bool  # keys as find_walk.signature text (find walks), else int tuples
    # path -> the `_Key` of every file and symlink: what the manifest's quick rows hold, one
    # compare a file
    keys: dict[str, _Key] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)  # directories that could not be read


@dataclass
class _Root:
    path: str
    st: os.stat_result | None  # None: missing, or unreadable (the walk's errors say why)
    listing: bytes | None = None  # GNU find's raw output, for a directory it could list
    error: bool = False

    def digest_part(self) -> bytes | None:
        """What this root adds to the listing digest (None: it cannot be digested)."""
        head = os.fsencode(self.path) + b"\0"
        if self.error:
            return None
        if self.st is None:
            return head + b"missing\1"
        mode = self.st.st_mode
        if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
            sig = signature(self.st.st_size, self.st.st_mtime_ns, self.st.st_ino, mode)
            return head + b"file\0" + sig.encode() + b"\1"
        if not stat.S_ISDIR(mode):
            return head + b"other\1"
        if self.listing is None:
            return None
        return head + f"dir\0{self.st.st_dev}/{self.st.st_ino}\0".encode() + self.listing + b"\1"


def _prepare(root: str, walk: _Walk, *, use_find: bool = True) -> _Root:
    """lstat `root` and, for a directory, have GNU find list it (when it can)."""
    try:
        st = os.lstat(root)
    except FileNotFoundError:
        return _Root(root, None)
    except OSError as exc:
        walk.errors.append(f"{printable(root)}: {exc.strerror}")
        walk.unlisted.append(root)
        return _Root(root, None, error=True)
    listed = find_walk.listing(root, st) if use_find and walk.as_text and stat.S_ISDIR(st.st_mode) else None
    return _Root(root, st, listed)


def _walk(root: str, walk: _Walk, *, use_find: bool = True) -> None:
    _walk_prepared(_prepare(root, walk, use_find=use_find), walk)


def _walk_prepared(root: _Root, walk: _Walk) -> None:
    """Every regular file and symlink under the root (lstat only; symlinks not followed):
    from GNU find's listing when there is one (same result, less Python work per file),
    else by `_scandir_walk`."""
    st = root.st
    if st is None:
        return
    if stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
        key = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_mode)
        walk.keys[root.path] = signature(*key) if walk.as_text else key
        return
    if not stat.S_ISDIR(st.st_mode):
        return
    found = find_walk.parse(root.path, st, root.listing) if root.listing is not None else None
    if found is not None:
        if walk.keys:
            walk.keys.update(found)
        else:  # the usual first root: 100,000 entries not copied again
            walk.keys = found  # type: ignore[assignment]
    else:
        _scandir_walk(root.path, st, walk)


def _scandir_walk(root: str, st: os.stat_result, walk: _Walk) -> None:
    """The directory `root` (lstat'ed as `st`) walked in Python with os.scandir."""
    visited = {(st.st_dev, st.st_ino)}  # bind mounts could loop even without symlinks
    stack = [root]
    keys, as_text = walk.keys, walk.as_text
    fmt, is_dir, is_reg, is_lnk = stat.S_IFMT, stat.S_IFDIR, stat.S_IFREG, stat.S_IFLNK
    while stack:
        directory = stack.pop()
        # Listed through a directory fd: each entry's lstat is then an fstatat() by name,
        # not a lookup of the whole path again (~25 % of the walk's CPU on deep trees).
        prefix = directory if directory.endswith(os.sep) else directory + os.sep
        try:
            fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:  # vanished mid-scan: its files are gone too
            continue
        except OSError as exc:
            walk.errors.append(f"{printable(directory)}: cannot list: {exc.strerror}")
            walk.unlisted.append(directory)
            continue
        try:
            with os.scandir(fd) as it:
                entries = list(it)
            for entry in entries:
                try:
                    est = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue  # vanished between the listing and the stat
                except OSError as exc:
                    walk.errors.append(f"{printable(prefix + entry.name)}: {exc.strerror}")
                    walk.unlisted.append(prefix + entry.name)
                    continue
                kind = fmt(est.st_mode)
                if kind == is_reg or kind == is_lnk:
                    key = (est.st_size, est.st_mtime_ns, est.st_ino, est.st_mode)
                    keys[prefix + entry.name] = signature(*key) if as_text else key
                elif kind == is_dir:
                    if (est.st_dev, est.st_ino) not in visited:
                        visited.add((est.st_dev, est.st_ino))
                        stack.append(prefix + entry.name)
                # fifos, sockets, devices: not data
        except OSError as exc:  # the listing itself failed part-way
            walk.errors.append(f"{printable(directory)}: cannot list: {exc.strerror}")
            walk.unlisted.append(directory)
        finally:
            os.close(fd)


def _hash(path: str, st: os.stat_result) -> FileState | None:
    """Hash the file; the state returned is the fstat of what was hashed. None if it vanished."""
    return _hash_mode(path, st.st_mode)


def _hash_mode(path: str, mode: int) -> FileState | None:
    """`_hash` of a file whose lstat gave `mode` (a symlink's "content" is its target)."""
    if stat.S_ISLNK(mode):
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
    as_text = find_walk.gnu_find(os.environ.get("PATH")) is not None
    digest = _Digest(_scope(root_strs, skipped_roots), None)
    stored = _stored_digest(catalog, digest.scope)
    loader = _QuickLoader(catalog.path, as_text)
    with ThreadPoolExecutor(max_workers=1) as pool:
        loading = pool.submit(loader.load)
        walk = _Walk(as_text)
        prepared = [_prepare(root, walk) for root in root_strs]
        parts = [r.digest_part() for r in prepared]
        if all(p is not None for p in parts):
            digest.value = hashlib.sha256(b"".join(p for p in parts if p is not None)).hexdigest()
        if stored is not None and stored[0] == digest.value:
            # The tree lists exactly as at the last clean scan: nothing changed.
            loader.interrupt()
            with contextlib.suppress(sqlite3.Error):
                loading.result()
            return FileChanges((), (), (), (), scanned=stored[1], skipped_roots=tuple(skipped_roots))
        for root in prepared:
            _walk_prepared(root, walk)
        manifest = loading.result()
    in_exact, in_prefixes = _prefix_test(root_strs)
    known = manifest  # every walked file is under a root: rows elsewhere are never looked up
    if skipped_roots:
        out_exact, out_prefixes = _prefix_test(skipped_roots)
        known = {p: q for p, q in manifest.items() if not (p in out_exact or p.startswith(out_prefixes))}
    files = walk.keys
    missing = [p for p in known.keys() - files.keys() if p in in_exact or p.startswith(in_prefixes)]
    first_scan = not missing and known.keys().isdisjoint(files)
    # The common case, one dict lookup and one tuple compare per file: a file whose size,
    # mtime, inode and mode all match its hashed row is unchanged. Everything else is looked
    # at below, in path order, as before.
    lookup = known.get
    candidates = sorted([p for p, key in files.items() if lookup(p) != key])
    before = _load_states(catalog, [p for p in candidates if p in known] + missing)
    added: list[FileState] = []
    modified: list[Modified] = []
    upserts: list[FileState] = []
    gone: list[str] = []  # known files that vanished mid-scan
    errors = list(walk.errors)
    hashed = 0
    for path in candidates:
        key = files[path]
        size, mtime_ns, inode, mode = find_walk.parse_signature(key) if isinstance(key, str) else key
        old = before.get(path)
        if old is not None and old.sha256 is not None and (size, mtime_ns, inode) == (old.size, old.mtime_ns, old.inode):
            # only the mode differs (the fast path above took the rest)
            now = FileState(path, old.size, old.mtime_ns, old.inode, mode, old.sha256)
            modified.append(Modified(old, now, ("mode",)))
            upserts.append(now)
            continue
        try:
            now_state = _hash_mode(path, mode)
        except OSError as exc:
            errors.append(f"{printable(path)}: {exc.strerror}")
            continue  # unreadable now: keep what we knew (if anything), report nothing
        if now_state is None:
            if old is not None:
                gone.append(path)  # vanished mid-scan: not seen, so deleted
            continue
        hashed += 1
        upserts.append(now_state)
        if old is None:
            added.append(now_state)
            continue
        reasons = tuple(
            r for r, differs in (("content", now_state.sha256 != old.sha256), ("mode", now_state.mode != old.mode)) if differs
        )
        if reasons:
            modified.append(Modified(old, now_state, reasons))
    unlisted_exact, unlisted_prefixes = _prefix_test(walk.unlisted)
    deleted = [
        before[p] for p in sorted(missing + gone)
        if p in before and not (p in unlisted_exact or (unlisted_prefixes and p.startswith(unlisted_prefixes)))
    ]  # fmt: skip
    renamed = _pair_renames(added, deleted)
    # Clean: every file listed is in the manifest exactly as listed (none unreadable, none
    # vanished, none changed between the listing and its hashing) — what the digest vouches.
    digest.files = len(files)
    clean = not errors and not walk.unlisted and not gone and all(
        files.get(f.path) == (signature(f.size, f.mtime_ns, f.inode, f.mode) if as_text else (f.size, f.mtime_ns, f.inode, f.mode))
        for f in upserts
    )  # fmt: skip
    _save(catalog, upserts, [f.path for f in deleted] + [r.old for r in renamed], digest, clean)
    return FileChanges(
        added=tuple(added),
        modified=tuple(modified),
        deleted=tuple(deleted),
        renamed=tuple(renamed),
        scanned=len(files),
        hashed=hashed,
        first_scan=first_scan,
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
