"""The trash (layer 1): nothing the tool removes or overwrites is gone at once.

An item is MOVED (renamed) into a trash directory on its own filesystem, so trashing a
snapshot of many gigabytes costs one rename and needs no free space. Where it goes:

- the given `root` (the snapshots dir, a destination dir): `<root>/.tui-backup-trash/`;
- a path on the same filesystem as the profile's state dir: `<state_dir>/.tui-backup-trash/`
  (private to the profile, like the freedesktop home trash);
- anything else: `.tui-backup-trash/` at the top of its volume, found by walking up while
  the device stays the same (and the directory is writable by us).

Each item lives in `<trash dir>/<id>/<its own name>`. The crash protocol: the catalog row
goes in as "moving" (with our pid) BEFORE the rename and becomes "trashed" after it; a
restore marks the row "moving" (direction "restore") before renaming back. `reconcile`
settles rows left "moving" by a dead process by looking at the disk, and marks "purged"
any trashed row whose item is gone — so an item is never lost and never listed but missing.

Restore points removed by retention (kinds "restore-point", "restic-snapshot") wait in
their destination's own trash: restore, purge and reconcile hand them to
service/trash_points.py.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_backup import clock
from tui_backup.catalog import trash as rows
from tui_backup.catalog.trash import MOVING, PURGED, RESTORED, TRASHED, TrashItem
from tui_backup.errors import NotFoundError, TuiBackupError, UsageError
from tui_backup.fsutil import (
    atomic_writer,
    fsync_dir,
    make_private_dir,
    pid_alive,
    remove_stale_temporaries,
    temp_path_for,
)
from tui_backup.service import trash_points

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService

TRASH_DIR_NAME = ".tui-backup-trash"
_MB = 1024 * 1024


class TrashError(TuiBackupError):
    """An item could not be moved into or out of the trash."""


class TrashConflictError(TuiBackupError):
    """Something already exists where a trash item would be restored."""


# ---- where an item goes ----


def _absolute(path: Path | str) -> Path:
    """Absolute, with the directories resolved but not the item itself (a symlink is
    trashed as the link, never its target)."""
    p = Path(os.path.abspath(path))
    return p.parent.resolve() / p.name


def trash_dir_for(svc: ProfileService, path: Path) -> Path:
    """The trash directory on the same filesystem as `path` (see the module doc)."""
    dev = os.lstat(path.parent).st_dev
    state = svc.paths.state_dir
    if state.is_dir() and os.stat(state).st_dev == dev:
        return state / TRASH_DIR_NAME
    top = path.parent
    while top.parent != top:
        parent = top.parent
        if os.stat(parent).st_dev != dev or not os.access(parent, os.W_OK | os.X_OK):
            break
        top = parent
    return top / TRASH_DIR_NAME


def _refuse_unsafe(svc: ProfileService, src: Path, trash_dir: Path) -> None:
    if src == Path(src.anchor) or src.name in ("", ".", ".."):
        raise UsageError(f"refusing to trash {src}", "name a file or directory inside it")
    if TRASH_DIR_NAME in src.parts:
        raise UsageError(
            f"{src} is already in the trash", "purge it with `tui-backup trash purge ID`"
        )
    for protected in (trash_dir, svc.paths.state_dir, svc.paths.catalog):
        if protected == src or src in protected.parents:
            raise UsageError(
                f"refusing to trash {src}: it holds the tool's own state", "name something else"
            )


def new_item_id() -> str:
    return f"{clock.now().strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def _measure(path: Path) -> tuple[int, str | None]:
    """(size in bytes, sha256 for a regular file). Symlinks are never followed."""
    st = os.lstat(path)
    if os.path.isfile(path) and not os.path.islink(path):
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
        return st.st_size, h.hexdigest()
    if not os.path.isdir(path) or os.path.islink(path):
        return st.st_size, None
    total = 0
    for dirpath, dirnames, filenames in os.walk(path):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total, None


def _new_item(
    svc: ProfileService, *, kind: str, original: str, stored: Path, size: int, sha256: str | None,
    reason: str, job_id: int | None, details: dict[str, Any],
) -> TrashItem:  # fmt: skip
    now = clock.now()
    return TrashItem(
        id=stored.parent.name,
        kind=kind,
        original=original,
        stored=str(stored),
        size_bytes=size,
        sha256=sha256,
        deleted_at=clock.to_catalog(now),
        expires_at=clock.to_catalog(now + timedelta(days=svc.config.trash.retention_days)),
        reason=reason,
        job_id=job_id,
        state=MOVING,
        details={**details, "pid": os.getpid(), "direction": "put"},
    )


def _settle(svc: ProfileService, item: TrashItem, state: str, details: dict[str, Any]) -> TrashItem:
    """Set the final state; re-add the row if a reconcile (wrongly) dropped it meanwhile."""
    done = replace(item, state=state, details=details)
    if rows.set_state(svc.catalog, item.id, state, details) == 0:
        rows.add_item(svc.catalog, done)
    return done


def _public(details: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in details.items() if k not in ("pid", "direction", "restore_to")}


# ---- put ----


def put(
    svc: ProfileService,
    path: Path | str,
    *,
    kind: str,
    reason: str,
    job_id: int | None = None,
    root: Path | None = None,
    details: dict[str, Any] | None = None,
    original: Path | str | None = None,
) -> TrashItem:
    """Move `path` into the trash (a rename on its own filesystem) and return the item.

    `original`: where a restore puts it back, when that is not `path` itself (a restore's
    safety copy sits in a safety area but belongs where the restore replaced it)."""
    src = _absolute(path)
    if not os.path.lexists(src):
        raise NotFoundError(f"{src} does not exist", "check the path")
    try:  # the catalog and the journal hold paths as UTF-8 text: refuse before anything moves
        str(src).encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"{ascii(str(src))} is not a UTF-8 path: the trash cannot record it",
                         "rename it to a UTF-8 name first, or delete it with rm") from None
    trash_dir = (_absolute(root) / TRASH_DIR_NAME) if root is not None else trash_dir_for(svc, src)
    _refuse_unsafe(svc, src, trash_dir)
    make_private_dir(trash_dir)
    if os.stat(trash_dir).st_dev != os.lstat(src.parent).st_dev:
        raise TrashError(
            f"{src} is not on the same filesystem as the trash {trash_dir}",
            "trash it from its own volume",
        )
    size, sha = _measure(src)
    stored = trash_dir / new_item_id() / src.name
    item = _new_item(
        svc, kind=kind, original=str(src if original is None else _absolute(original)), stored=stored, size=size,
        sha256=sha, reason=reason, job_id=job_id, details=dict(details or {}),
    )  # fmt: skip
    # "moving" BEFORE the rename: a kill from here on is settled by `reconcile`.
    rows.add_item(svc.catalog, item)
    try:
        make_private_dir(stored.parent)
        os.rename(src, stored)
    except OSError as exc:
        with contextlib.suppress(OSError):
            stored.parent.rmdir()
        rows.delete_row(svc.catalog, item.id)
        raise TrashError(
            f"cannot move {src} into the trash: {exc.strerror}", "check the permissions"
        ) from None
    fsync_dir(src.parent)
    fsync_dir(stored.parent)
    return _journaled(svc, "trash.put", _settle(svc, item, TRASHED, _public(item.details)))


def put_text(
    svc: ProfileService, text: str, *, kind: str, original: str, reason: str, name: str = "item.txt",
    job_id: int | None = None,
) -> TrashItem:  # fmt: skip
    """Keep a piece of text (a removed policy's TOML block) as a trash item (a 0600 file)."""
    trash_dir = make_private_dir(svc.paths.state_dir / TRASH_DIR_NAME)
    data = text.encode("utf-8")
    stored = trash_dir / new_item_id() / Path(name).name
    item = _new_item(
        svc, kind=kind, original=original, stored=stored, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        reason=reason, job_id=job_id, details={"text": True},
    )  # fmt: skip
    rows.add_item(svc.catalog, item)
    make_private_dir(stored.parent)
    with atomic_writer(stored) as (_tmp, fd):
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    return _journaled(svc, "trash.put", _settle(svc, item, TRASHED, _public(item.details)))


# ---- reading ----


def list_items(svc: ProfileService, kind: str | None = None) -> list[TrashItem]:
    """The items in the trash, newest first (reconciled first: none is listed but missing)."""
    reconcile(svc)
    return rows.items_in_state(svc.catalog, TRASHED, kind=kind)


def get(svc: ProfileService, item_id: str) -> TrashItem:
    return rows.get_item(svc.catalog, item_id)


# ---- restore ----


def restore(
    svc: ProfileService, item_id: str, *, to: Path | str | None = None, overwrite: bool = False
) -> TrashItem:
    """Move an item back to where it was (or to `to`). Something already there is a
    conflict, refused unless `overwrite` — which moves what it replaces to the trash."""
    item = rows.get_item(svc.catalog, item_id)
    if item.state != TRASHED:
        raise UsageError(
            f"trash item {item.id} is {item.state}, not in the trash", "see `tui-backup trash list`"
        )
    if trash_points.is_destination_item(item):  # a restore point: back at its destination
        return trash_points.restore(svc, item, to=to)
    stored = Path(item.stored)
    if not os.path.lexists(stored):
        reconcile(svc)
        raise TrashError(f"trash item {item.id} is gone from {stored}", "it has been marked purged")
    if item.kind == "policy" and to is None:  # a removed policy goes back into the config
        from tui_backup.service import policy_edit

        return policy_edit.restore_from_trash(svc, item.id, overwrite=overwrite)
    if to is not None:
        dest = _absolute(to)
        if dest.is_dir() and not dest.is_symlink():
            dest = dest / stored.name
    elif item.details.get("text"):
        raise UsageError(
            f"trash item {item.id} ({item.kind}) has no file to go back to",
            "restore it with --to PATH",
        )
    else:
        dest = Path(item.original)
    if os.path.lexists(dest):
        if not overwrite:
            raise TrashConflictError(
                f"{dest} already exists",
                "rerun with --overwrite (what is there goes to the trash) or use --to PATH",
            )
        put(svc, dest, kind="overwritten", reason=f"replaced by restoring trash item {item.id}")
    make_private_dir(dest.parent)
    moving = {**item.details, "pid": os.getpid(), "direction": "restore", "restore_to": str(dest)}
    rows.set_state(svc.catalog, item.id, MOVING, moving)
    try:
        _move_back(stored, dest)
    except OSError as exc:
        rows.set_state(svc.catalog, item.id, TRASHED, item.details)
        raise TrashError(
            f"cannot restore {item.id} to {dest}: {exc.strerror}", "check the permissions"
        ) from None
    with contextlib.suppress(OSError):
        stored.parent.rmdir()
    done = {**item.details, "restored_to": str(dest), "restored_at": clock.to_catalog(clock.now())}
    return _journaled(svc, "trash.restore", _settle(svc, item, RESTORED, done))


def mark_restored(svc: ProfileService, item: TrashItem, restored_to: str, **details: Any) -> TrashItem:
    """A text item whose content its kind's own code put back (a policy's block into the
    config): settle it restored, journal it, then drop the stored copy."""
    done = {**_public(item.details), **details, "restored_to": restored_to, "restored_at": clock.to_catalog(clock.now())}
    settled = _journaled(svc, "trash.restore", _settle(svc, item, RESTORED, done))
    _remove(Path(item.stored).parent)
    return settled


def _move_back(stored: Path, dest: Path) -> None:
    try:
        os.rename(stored, dest)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        # Another filesystem (--to elsewhere): copy under a temporary name, rename, then drop
        # the trash copy — a kill in between leaves a duplicate, never nothing.
        tmp = temp_path_for(dest)
        if stored.is_dir() and not stored.is_symlink():
            shutil.copytree(stored, tmp, symlinks=True)
        else:
            shutil.copy2(stored, tmp, follow_symlinks=False)
        os.rename(tmp, dest)
        fsync_dir(dest.parent)
        _remove(stored)
        return
    fsync_dir(dest.parent)
    fsync_dir(stored.parent)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


# ---- purge ----


def _journaled(svc: ProfileService, action: str, item: TrashItem) -> TrashItem:
    """Layer 2: every trash action is in the change journal (which never fails the action)."""
    from tui_backup.service import journal

    journal.try_record(svc, action, item.original, {
        "item": item.id, "kind": item.kind, "size_bytes": item.size_bytes, "sha256": item.sha256,
        "reason": item.reason, "state": item.state, "expires_at": item.expires_at,
    })  # fmt: skip
    return item


def _purge_one(svc: ProfileService, item: TrashItem) -> TrashItem:
    """Rename the item's directory to a temporary name (atomic), mark the row, delete it."""
    holder = Path(item.stored).parent
    doomed: Path | None = None
    if holder.exists():
        doomed = temp_path_for(holder)
        os.rename(holder, doomed)
        fsync_dir(holder.parent)
    done = _settle(svc, item, PURGED, {**item.details, "purged_at": clock.to_catalog(clock.now())})
    if doomed is not None:
        _remove(doomed)
        with contextlib.suppress(OSError):
            remove_stale_temporaries(holder.parent)  # what an earlier purge killed mid-delete left here
    return _journaled(svc, "trash.purge", done)


def purge(
    svc: ProfileService, ids: list[str] | None = None, *, expired: bool = False, all_: bool = False
) -> list[TrashItem]:
    """Delete items for good: the given ids, the expired ones, or all. Returns them."""
    if sum((bool(ids), expired, all_)) != 1:
        raise UsageError("purge what?", "give item ids, or --expired, or --all")
    if ids:
        doomed = [rows.get_item(svc.catalog, i) for i in ids]
        for it in doomed:
            if it.state != TRASHED:
                raise UsageError(
                    f"trash item {it.id} is {it.state}, not in the trash",
                    "see `tui-backup trash list`",
                )
    elif expired:
        return purge_expired(svc)
    else:
        doomed = list_items(svc)
    return _purge_all(svc, doomed, strict=True)


def _purge_all(svc: ProfileService, doomed: list[TrashItem], *, strict: bool) -> list[TrashItem]:
    """Items on this machine one by one; restore points through their destinations."""
    at_dest = [it for it in doomed if trash_points.is_destination_item(it)]
    gone = [_purge_one(svc, it) for it in doomed if not trash_points.is_destination_item(it)]
    return gone + trash_points.purge(svc, at_dest, strict=strict)


def due_for_purge(svc: ProfileService) -> list[TrashItem]:
    """The expired items, then (over `[trash] max_size_mb`) the oldest ones at least
    `min_days` old until the trash fits again."""
    now = clock.now()
    expired = rows.expired_items(svc.catalog, clock.to_catalog(now))
    cap = svc.config.trash.max_size_mb * _MB
    if cap <= 0:
        return expired
    gone = {it.id for it in expired}
    left = [it for it in rows.items_in_state(svc.catalog, TRASHED) if it.id not in gone]
    total = sum(it.size_bytes for it in left)
    youngest_purgeable = clock.to_catalog(now - timedelta(days=svc.config.trash.min_days))
    over: list[TrashItem] = []
    for it in sorted(left, key=lambda i: (i.deleted_at, i.id)):
        if total <= cap:
            break
        if it.deleted_at > youngest_purgeable:
            continue  # too young for the size cap to touch
        over.append(it)
        total -= it.size_bytes
    return expired + over


def purge_expired(svc: ProfileService, *, dry_run: bool = False) -> list[TrashItem]:
    """Purge what `due_for_purge` names (dry_run: only name them)."""
    reconcile(svc)
    doomed = due_for_purge(svc)
    return doomed if dry_run else _purge_all(svc, doomed, strict=False)


# ---- crash recovery ----


def reconcile(svc: ProfileService) -> list[TrashItem]:
    """Settle rows left "moving" by a process that died, and mark purged the trashed rows
    whose item is gone. Returns the rows changed."""
    changed: list[TrashItem] = []
    # The profile's own trash dirs always: a purge killed while deleting the last item
    # there leaves its renamed holder behind with no row pointing at that dir.
    trash_dirs: set[Path] = {svc.paths.state_dir / TRASH_DIR_NAME, svc.paths.snapshots_dir / TRASH_DIR_NAME}
    for item in rows.items_in_state(svc.catalog, MOVING):
        if trash_points.is_destination_item(item):
            continue  # settled from the destination (below)
        pid = item.details.get("pid")
        if isinstance(pid, int) and pid_alive(pid):
            continue  # still moving it (this process or another)
        changed.extend(_settle_moving(svc, item))
        trash_dirs.add(Path(item.stored).parent.parent)
    for item in rows.items_in_state(svc.catalog, TRASHED):
        if trash_points.is_destination_item(item):
            continue
        trash_dirs.add(Path(item.stored).parent.parent)
        if not os.path.lexists(item.stored):
            changed.append(
                _settle(
                    svc, item, PURGED, {**item.details, "lost": "gone from the trash at reconcile"}
                )
            )
    for d in trash_dirs:
        with contextlib.suppress(OSError):
            remove_stale_temporaries(d)
    return changed + trash_points.reconcile(svc)


def _settle_moving(svc: ProfileService, item: TrashItem) -> list[TrashItem]:
    stored = Path(item.stored)
    details = _public(item.details)
    if item.details.get("direction") == "restore":
        if os.path.lexists(stored):
            return [_settle(svc, item, TRASHED, details)]
        dest = str(item.details.get("restore_to", item.original))
        if os.path.lexists(dest):
            with contextlib.suppress(OSError):
                stored.parent.rmdir()
            return [_settle(svc, item, RESTORED, {**details, "restored_to": dest})]
        return [_settle(svc, item, PURGED, {**details, "lost": "gone during a restore"})]
    if os.path.lexists(stored):  # the rename happened
        return [_settle(svc, item, TRASHED, details)]
    # The rename never happened: the item is still where it was; forget the row.
    with contextlib.suppress(OSError):
        remove_stale_temporaries(stored.parent)  # a put_text killed mid-write
        stored.parent.rmdir()
    rows.delete_row(svc.catalog, item.id)
    return [replace(item, state="none")]


__all__ = [
    "TRASH_DIR_NAME",
    "TrashConflictError",
    "TrashError",
    "TrashItem",
    "due_for_purge",
    "get",
    "list_items",
    "mark_restored",
    "purge",
    "purge_expired",
    "put",
    "put_text",
    "reconcile",
    "restore",
    "trash_dir_for",
]
