"""The invariants every fault-injection test checks after a kill and a following normal run
(issue 7): the live database and tree equal their before or after state, every listed
snapshot / restore point is complete and verifies, nothing that existed before is gone from
both its place and the trash, and no stale lock blocks the next run.

Plain functions (no fixtures) so every reliability part can import them:

    before = db_state(db); ...kill...; svc.list_snapshots()  # the next run
    assert_db_before_or_after(db, before, after)
    assert_points_complete(svc)
    assert_nothing_lost(svc, [work / "a.txt"], snapshots_before=ids)
    assert_no_stale_lock(svc)
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from tui_backup.catalog import trash as trash_rows
from tui_backup.jobs.locks import FileLock, LockHeldError

if TYPE_CHECKING:
    from tui_backup.catalog.trash import TrashItem
    from tui_backup.service import ProfileService

T = TypeVar("T")

# Names a crashed run may leave behind and the next run must have cleaned up.
TEMP_MARKERS = (".tui-backup-tmp-", ".incomplete-")


# ---- the live database ----


def db_dump(path: Path) -> str:
    """The database's content as SQL (schema and rows), read through SQLite (WAL included).
    A normal connection, as the app opens it (so a hot journal is rolled back first)."""
    conn = sqlite3.connect(path, timeout=30)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def db_state(path: Path) -> str:
    """A digest of the database's logical content: equal digests = equal databases."""
    return hashlib.sha256(db_dump(path).encode("utf-8")).hexdigest()


def db_integrity(path: Path) -> str:
    conn = sqlite3.connect(path, timeout=30)
    try:
        return "; ".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall())
    finally:
        conn.close()


def assert_db_before_or_after(path: Path, before: str, after: str | None = None) -> str:
    """The integrity check passes and the content equals `before` or `after` (digests from
    db_state). Returns "before" or "after" (which one it is; "before" when they are equal)."""
    assert path.is_file(), f"the live database {path} is gone"
    check = db_integrity(path)
    assert check == "ok", f"{path}: integrity_check says {check}"
    now = db_state(path)
    if now == before:
        return "before"
    if after is not None and now == after:
        return "after"
    raise AssertionError(f"{path}: the database equals neither its before nor its after state")


# ---- the protected tree ----


def _entry_state(p: Path) -> str:
    st = p.lstat()
    if stat.S_ISLNK(st.st_mode):
        return "link:" + os.readlink(p)
    if stat.S_ISDIR(st.st_mode):
        return "dir"
    if stat.S_ISREG(st.st_mode):
        h = hashlib.sha256()
        with open(p, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
        return h.hexdigest()
    return f"special:{stat.S_IFMT(st.st_mode):o}"


def tree_state(root: Path) -> dict[str, str]:
    """rel path -> sha256 of every regular file under `root` ("dir" for directories,
    "link:TARGET" for symlinks, never followed). An absent root is an empty tree."""
    if not os.path.lexists(root):
        return {}
    if not root.is_dir() or root.is_symlink():
        return {".": _entry_state(root)}
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            out[p.relative_to(root).as_posix()] = _entry_state(p)
    return out


def assert_tree_before_or_after(root: Path, before: Mapping[str, str], after: Mapping[str, str] | None = None) -> None:
    """Per path: it equals its before version or its after version (absent counts as a
    version where it is absent in that state); no path exists that is in neither state
    (a leftover temporary is such a path)."""
    after = before if after is None else after
    now = tree_state(root)
    bad: list[str] = []
    for rel in sorted(set(now) | set(before) | set(after)):
        if now.get(rel) not in (before.get(rel), after.get(rel)):
            where = "extra" if rel not in before and rel not in after else (
                "missing" if rel not in now else "changed")
            bad.append(f"{rel} ({where})")
    assert not bad, f"{root}: paths equal neither their before nor after version: {bad[:10]}"


def assert_no_temporaries(*dirs: Path) -> None:
    """No temporary / incomplete name is left in `dirs` (not recursive)."""
    left = [str(p) for d in dirs if d.is_dir() for p in d.iterdir() if p.name.startswith(TEMP_MARKERS)]
    assert not left, f"temporaries left by a killed run were not cleaned up: {left}"


# ---- snapshots and restore points ----


def assert_points_complete(svc: ProfileService, destinations: Iterable[str] | None = None) -> None:
    """Every listed snapshot verifies; every restore point listed at each destination (all
    of the profile's, or `destinations`) is complete, no `.incomplete-` thing is listed,
    and the destination's check (`backup check`: hashes against metadata.json, or
    `restic check`) passes."""
    for rec in svc.list_snapshots():
        result = svc.verify_snapshot(rec.id)
        assert result.ok, f"snapshot {rec.id} is listed but does not verify: {result.detail}"
    names = [d.name for d in svc.destinations()] if destinations is None else list(destinations)
    for name in names:
        points = svc.list_restore_points(name)
        for p in points:
            assert p.complete, f"{name}: restore point {p.id} is listed incomplete"
            assert not any(m in p.id for m in TEMP_MARKERS), f"{name}: a temporary is listed: {p.id}"
        if points:
            finished = svc.check_destination(name)
            assert finished.ok, f"{name}: check failed: {finished.error_message}"


# ---- nothing lost ----


def _trash_rows(svc: ProfileService) -> list[TrashItem]:
    svc.trash_items()  # reconciles what a dead process left "moving"
    assert trash_rows.items_in_state(svc.catalog, trash_rows.MOVING) == [], "rows left moving after reconcile"
    return trash_rows.items_in_state(svc.catalog, trash_rows.TRASHED)


def _really_there(item: TrashItem) -> bool:
    # Restore points in a remote destination's trash have a ref, not a local path.
    return not os.path.isabs(item.stored) or os.path.lexists(item.stored)


def assert_trash_sound(svc: ProfileService) -> None:
    """After reconcile: no row left "moving", every listed item is really there, and a
    file's content still has the SHA-256 it had when it was trashed."""
    for item in _trash_rows(svc):
        assert _really_there(item), f"trash item {item.id} is listed but missing: {item.stored}"
        if item.sha256 and os.path.isfile(item.stored) and not os.path.islink(item.stored):
            h = hashlib.sha256(Path(item.stored).read_bytes()).hexdigest()
            assert h == item.sha256, f"trash item {item.id}: content changed in the trash"


def assert_nothing_lost(
    svc: ProfileService,
    paths_before: Iterable[Path | str] = (),
    *,
    snapshots_before: Iterable[str] = (),
    points_before: Mapping[str, Iterable[str]] | None = None,
) -> None:
    """Everything that existed before is in its place or in the trash (listed there and
    really there) — never in neither; snapshots and restore points are never in both.

    paths_before: files/dirs (absolute) that existed before; snapshots_before: snapshot ids;
    points_before: destination name -> restore point ids."""
    assert_trash_sound(svc)
    trashed = _trash_rows(svc)
    by_original: dict[str, list[TrashItem]] = {}
    for item in trashed:
        by_original.setdefault(item.original, []).append(item)
    for p in paths_before:
        path = str(Path(p).absolute())
        in_place = os.path.lexists(path)
        held = [i for i in by_original.get(path, []) if _really_there(i)]
        assert in_place or held, f"{path} is gone from both its place and the trash"
    listed_snaps = {s.id for s in svc.list_snapshots()}
    trashed_snaps = {str(i.details.get("snapshot")) for i in trashed if i.kind == "snapshot"}
    for sid in snapshots_before:
        assert sid in listed_snaps or sid in trashed_snaps, f"snapshot {sid} is gone from both the list and the trash"
        assert not (sid in listed_snaps and sid in trashed_snaps), f"snapshot {sid} is both listed and in the trash"
    for dest, ids in (points_before or {}).items():
        listed = {p.id for p in svc.list_restore_points(dest)}
        in_trash = {str(i.details.get("point_id")) for i in trashed if i.details.get("destination") == dest}
        for pid in ids:
            assert pid in listed or pid in in_trash, f"{dest}: restore point {pid} is gone from both the list and the trash"
            assert not (pid in listed and pid in in_trash), f"{dest}: restore point {pid} is both listed and in the trash"


# ---- locks ----


def assert_no_stale_lock(
    svc: ProfileService, run: Callable[[], T] | None = None, *, within_s: float = 30.0
) -> T | None:
    """No lock left by a killed run blocks the next one: every lock file of the profile
    (destinations, policies, job slots) can be taken at once, the catalog takes a write
    transaction at once, and `run` (the next run of the operation, if given) neither meets
    a held lock nor waits: it finishes within `within_s`. Returns what `run` returned."""
    locks = svc.paths.state_dir / "locks"
    for path in sorted(locks.glob("*.lock")) if locks.is_dir() else []:
        lock = FileLock(path)
        assert lock.try_acquire(what="reliability check"), f"stale lock: {path} held by {lock.holder()}"
        lock.release()
    conn = sqlite3.connect(svc.paths.catalog, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")  # raises "database is locked" if a write lock is stuck
        conn.execute("ROLLBACK")
    finally:
        conn.close()
    if run is None:
        return None
    t0 = time.monotonic()
    try:
        result = run()
    except LockHeldError as exc:
        raise AssertionError(f"the next run met a stale lock: {exc}") from exc
    took = time.monotonic() - t0
    assert took < within_s, f"the next run took {took:.1f} s (waiting on a lock?)"
    return result


__all__ = [
    "TEMP_MARKERS",
    "assert_db_before_or_after",
    "assert_no_stale_lock",
    "assert_no_temporaries",
    "assert_nothing_lost",
    "assert_points_complete",
    "assert_trash_sound",
    "assert_tree_before_or_after",
    "db_dump",
    "db_integrity",
    "db_state",
    "tree_state",
]
