"""Restore points removed by retention go to the trash (layer 1 at destinations).

A point is not deleted when its policy's retention drops it: the destination MOVES it into
its own trash (local and rsync: one rename into `<root>/.tui-backup-trash/<item id>/`,
over ssh with `mv`), or TAGS it (restic: `tui-backup-trashed=<expires>`, hidden from the
listing), and the catalog gets a trash item for it:

    kind      "restore-point" (local, rsync) | "restic-snapshot" (restic)
    original  the point's location (a path, `user@host:base/<id>`, or repository + short id)
    stored    where it waits (display text for remote and restic items)
    details   destination, destination_type, point_id, ref (the destination's handle for it:
              `<item id>/<point id>`, or restic's first snapshot id), type, created_at,
              policy; after a restore: restored_to, restored_id (restic: a new snapshot id)

The same crash protocol as service/trash.py: the row goes in "moving" (pid, direction) BEFORE
the destination acts and is settled after it; a row left "moving" (a killed process, or an
error we could not sort out at once: its pid is dropped) is settled by `reconcile` from what
the destination holds (`trashed_refs`) once it is reachable. Restores and purges run as jobs
holding the destination's lock, like the prune that trashed the points.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from tui_backup import clock
from tui_backup.catalog import trash as rows
from tui_backup.catalog.trash import MOVING, PURGED, RESTORED, TRASHED, TrashItem
from tui_backup.errors import NotFoundError, TuiBackupError, UsageError

if TYPE_CHECKING:
    from tui_backup.destinations.base import Destination, RestorePoint
    from tui_backup.jobs.runner import JobContext
    from tui_backup.service.profile import ProfileService

RESTORE_POINT = "restore-point"
RESTIC_SNAPSHOT = "restic-snapshot"
KINDS = (RESTORE_POINT, RESTIC_SNAPSHOT)

_log = logging.getLogger(__name__)


def is_destination_item(item: TrashItem) -> bool:
    """The item lives at a destination (not on this machine's filesystem)."""
    return item.kind in KINDS


def _kind(dest: Destination) -> str:
    return RESTIC_SNAPSHOT if dest.type == "restic" else RESTORE_POINT


def _journal(svc: ProfileService, action: str, item: TrashItem) -> TrashItem:
    from tui_backup.service.trash import _journaled

    return _journaled(svc, action, item)


def _public(details: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in details.items() if k not in ("pid", "direction")}


def _settle(svc: ProfileService, item: TrashItem, state: str, details: dict[str, Any]) -> TrashItem:
    done = replace(item, state=state, details=details)
    if rows.set_state(svc.catalog, item.id, state, details) == 0:
        rows.add_item(svc.catalog, done)
    return done


def _orphan(svc: ProfileService, items: Iterable[TrashItem]) -> None:
    """Leave the rows "moving" without a pid: `reconcile` settles them from the destination."""
    for it in items:
        cur = rows.get_item(svc.catalog, it.id)
        if cur.state == MOVING:
            rows.set_state(svc.catalog, it.id, MOVING, {k: v for k, v in cur.details.items() if k != "pid"})


# ---- into the trash (inside the prune job, under the destination's lock) ----


async def trash_points(
    svc: ProfileService, ctx: JobContext, dest: Destination, points: Sequence[RestorePoint], *, reason: str
) -> list[TrashItem]:
    """Move `points` into `dest`'s trash and record them; returns the trash items."""
    from tui_backup.service.trash import new_item_id

    if not points:
        return []
    now = clock.now()
    expires = now + timedelta(days=svc.config.trash.retention_days)
    moving: list[tuple[RestorePoint, str, TrashItem]] = []
    for p in points:
        item_id = new_item_id()
        while any(m[2].id == item_id for m in moving):
            item_id = new_item_id()
        ref = dest.trash_ref(p, item_id)
        item = TrashItem(
            id=item_id, kind=_kind(dest), original=p.location or f"{dest.describe()} {p.id}",
            stored=dest.trash_location(ref), size_bytes=p.size_bytes or 0, sha256=None,
            deleted_at=clock.to_catalog(now), expires_at=clock.to_catalog(expires), reason=reason,
            job_id=ctx.job_id or None, state=MOVING,
            details={"destination": dest.name, "destination_type": dest.type, "point_id": p.id, "ref": ref,
                     "type": p.type, "created_at": p.created_at, "policy": p.details.get("policy"),
                     "pid": os.getpid(), "direction": "put"},
        )  # fmt: skip
        rows.add_item(svc.catalog, item)  # "moving" BEFORE the destination acts
        moving.append((p, ref, item))
    try:
        await dest.trash_points(ctx, [(p, ref) for p, ref, _ in moving], expires_at=item.expires_at)
    except BaseException:
        _orphan(svc, (it for _, _, it in moving))
        with contextlib.suppress(Exception):
            await _settle_from(svc, dest, await dest.trashed_refs(ctx), [it for _, _, it in moving])
        raise
    return [_journal(svc, "trash.put", _settle(svc, it, TRASHED, _public(it.details))) for _, _, it in moving]


# ---- restore and purge (jobs holding the destination's lock) ----


def _destination(svc: ProfileService, item: TrashItem) -> Destination:
    from tui_backup.destinations import destination_named

    name = str(item.details.get("destination", ""))
    try:
        return destination_named(svc.config, name)
    except NotFoundError:
        raise NotFoundError(
            f"trash item {item.id} belongs to destination {name!r}, which is no longer in the config",
            "declare the destination again to restore or purge it",
        ) from None


def _run(svc: ProfileService, kind: str, dest: Destination, body: Any) -> None:
    from tui_backup.jobs.errors import ErrorKind, JobError
    from tui_backup.jobs.runner import JobRunner, JobSpec, run_job_sync

    volume = dest.volume()
    if volume is not None:
        svc.guard.require(volume)
    finished = run_job_sync(JobRunner.for_profile(svc), JobSpec(kind, dest.name, body, lock=dest.name))
    if not finished.ok:
        err = ErrorKind(finished.error_kind) if finished.error_kind else ErrorKind.FAILED
        raise JobError(err, finished.error_message or f"{kind} failed", finished.hint or "")


def restore(svc: ProfileService, item: TrashItem, *, to: object = None) -> TrashItem:
    """Put a trashed restore point back at its destination (listed again)."""
    if to is not None:
        raise UsageError(
            f"trash item {item.id} is a restore point: it goes back to its destination {item.details.get('destination')}",
            "restore it without --to, then restore from it: `tui-backup restore DEST POINT --to DIR`",
        )
    dest = _destination(svc, item)
    ref = str(item.details["ref"])
    done: list[TrashItem] = []

    async def body(ctx: JobContext) -> None:
        rows.set_state(svc.catalog, item.id, MOVING, {**item.details, "pid": os.getpid(), "direction": "restore"})
        try:
            point_id = await dest.restore_trashed(ctx, ref)
        except BaseException:
            _orphan(svc, [item])
            with contextlib.suppress(Exception):
                await _settle_from(svc, dest, await dest.trashed_refs(ctx), [rows.get_item(svc.catalog, item.id)])
            raise
        details = {**item.details, "restored_id": point_id, "restored_to": f"{dest.name}: {point_id}",
                   "restored_at": clock.to_catalog(clock.now())}  # fmt: skip
        done.append(_settle(svc, item, RESTORED, details))

    _run(svc, "trash-restore", dest, body)
    return _journal(svc, "trash.restore", done[0])


def purge(svc: ProfileService, items: Sequence[TrashItem], *, strict: bool = True) -> list[TrashItem]:
    """Delete trashed restore points for good: one job per destination (restic: one
    `forget` + `prune`). `strict=False` (expiry): a destination that cannot be reached
    keeps its items for a later run instead of failing."""
    by_dest: dict[str, list[TrashItem]] = {}
    for it in items:
        by_dest.setdefault(str(it.details.get("destination", "")), []).append(it)
    gone: list[TrashItem] = []
    for group in by_dest.values():
        try:
            gone.extend(_purge_group(svc, group))
        except TuiBackupError as exc:
            if strict:
                raise
            _log.warning("purging trashed restore points at %s failed: %s", group[0].details.get("destination"), exc)
    return gone


def _purge_group(svc: ProfileService, items: list[TrashItem]) -> list[TrashItem]:
    dest = _destination(svc, items[0])
    done: list[TrashItem] = []

    async def body(ctx: JobContext) -> None:
        for it in items:
            rows.set_state(svc.catalog, it.id, MOVING, {**it.details, "pid": os.getpid(), "direction": "purge"})
        try:
            await dest.purge_trashed(ctx, [str(it.details["ref"]) for it in items])
        except BaseException:
            _orphan(svc, items)
            with contextlib.suppress(Exception):
                await _settle_from(svc, dest, await dest.trashed_refs(ctx), items)
            raise
        at = clock.to_catalog(clock.now())
        done.extend(_settle(svc, it, PURGED, {**it.details, "purged_at": at}) for it in items)

    _run(svc, "trash-purge", dest, body)
    return [_journal(svc, "trash.purge", it) for it in done]


# ---- crash recovery ----


async def _settle_from(
    svc: ProfileService, dest: Destination, refs: set[str], items: Iterable[TrashItem]
) -> list[TrashItem]:
    """Settle "moving" rows from what the destination's trash holds (`refs`)."""
    changed: list[TrashItem] = []
    for item in items:
        cur = rows.get_item(svc.catalog, item.id)
        if cur.state != MOVING:
            continue
        there = str(cur.details.get("ref")) in refs
        details = _public(cur.details)
        direction = cur.details.get("direction")
        if direction == "put":
            if there:
                changed.append(_journal(svc, "trash.put", _settle(svc, cur, TRASHED, details)))
            else:  # the move never happened: the point is still where it was
                rows.delete_row(svc.catalog, cur.id)
                changed.append(replace(cur, state="none"))
        elif direction == "restore":
            changed.append(_settle(svc, cur, TRASHED, details) if there else
                           _settle(svc, cur, RESTORED, {**details, "restored_to": f"{dest.name} (settled at reconcile)"}))
        elif there:  # a purge that did not happen: still in the trash (purged again when due)
            changed.append(_settle(svc, cur, TRASHED, details))
        else:
            changed.append(_settle(svc, cur, PURGED, {**details, "purged_at": clock.to_catalog(clock.now())}))
    return changed


def _pending(item: TrashItem) -> bool:
    pid = item.details.get("pid")
    from tui_backup.fsutil import pid_alive

    return isinstance(pid, int) and pid_alive(pid)


def _local_path(svc: ProfileService, item: TrashItem, online: dict[str, bool]) -> str | None:
    """The stored path when the item is on a local disk that is mounted (else None);
    `online` caches the answer per destination."""
    if item.details.get("destination_type") not in ("local", "rsync") or not os.path.isabs(item.stored):
        return None
    name = str(item.details.get("destination", ""))
    if name not in online:
        try:
            volume = _destination(svc, item).volume()
        except TuiBackupError:
            volume = None
        online[name] = volume is not None and svc.guard.check(volume).ok
    return item.stored if online[name] else None


def reconcile(svc: ProfileService) -> list[TrashItem]:
    """Settle destination items left "moving" (by a dead process, or orphaned after an
    error) where the destination can be reached now; mark purged the trashed local-disk
    items that are gone (remote and restic items are checked when restored or purged)."""
    from tui_backup.jobs.runner import JobRunner, JobSpec, run_job_sync

    changed: list[TrashItem] = []
    stuck: dict[str, list[TrashItem]] = {}
    for item in rows.items_in_state(svc.catalog, MOVING):
        if is_destination_item(item) and not _pending(item):
            stuck.setdefault(str(item.details.get("destination", "")), []).append(item)
    for group in stuck.values():
        try:
            dest = _destination(svc, group[0])
            volume = dest.volume()
            if volume is not None and not svc.guard.check(volume).ok:
                continue  # unplugged: settled when it is back

            async def body(ctx: JobContext, dest: Destination = dest, group: list[TrashItem] = group) -> None:
                changed.extend(await _settle_from(svc, dest, await dest.trashed_refs(ctx), group))

            run_job_sync(JobRunner(max_concurrent=svc.config.jobs.max_concurrent),
                         JobSpec("list", dest.name, body, uses_slot=False), handle_signals=False)
        except TuiBackupError as exc:
            _log.info("cannot settle trashed restore points at %s yet: %s", group[0].details.get("destination"), exc)
    online: dict[str, bool] = {}
    for item in rows.items_in_state(svc.catalog, TRASHED):
        if is_destination_item(item):
            path = _local_path(svc, item, online)
            if path is not None and not os.path.lexists(path):
                changed.append(_settle(svc, item, PURGED, {**item.details, "lost": "gone from the trash at reconcile"}))
    return changed


__all__ = [
    "KINDS",
    "RESTIC_SNAPSHOT",
    "RESTORE_POINT",
    "is_destination_item",
    "purge",
    "reconcile",
    "restore",
    "trash_points",
]
