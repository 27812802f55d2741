"""Removing restore points by hand (`tui-backup backup remove DEST POINT...`): like
retention, never a deletion — the points go to the destination's trash (layer 1) and stay
restorable for `[trash] retention_days` (service/trash_points.py does the move or the tag).

It runs as a job holding the destination's lock (so never beside a backup or a prune
there); the ids are checked against a listing first (a unique prefix of a restic id is
enough), and again under the lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui_backup.destinations import destination_named
from tui_backup.errors import NotFoundError, UsageError
from tui_backup.jobs.events import Finished
from tui_backup.jobs.runner import JobContext, JobRunner, JobSpec, Subscriber, run_job_sync
from tui_backup.service import trash_points

if TYPE_CHECKING:
    from tui_backup.destinations.base import RestorePoint
    from tui_backup.service.profile import ProfileService

REASON = "removed by hand"


@dataclass
class PointRemoval:
    destination: str
    point_ids: list[str]  # the full ids asked for
    trash_items: list[str] = field(default_factory=list)  # one per point, in that order
    finished: Finished | None = None


def match_points(points: Sequence[RestorePoint], wanted: Iterable[str], destination: str) -> list[RestorePoint]:
    """The points named by `wanted` (exact ids, or unique prefixes), in the order given."""
    chosen: list[RestorePoint] = []
    for w in wanted:
        exact = [p for p in points if p.id == w]
        found = exact or [p for p in points if w and p.id.startswith(w)]
        if not found:
            raise NotFoundError(
                f"no restore point {w!r} at {destination}",
                f"see the ids with `tui-backup backup list {destination}`",
            )
        if len(found) > 1:
            raise UsageError(
                f"{w!r} matches {len(found)} restore points at {destination}",
                "give more characters of the id",
            )
        if found[0] not in chosen:
            chosen.append(found[0])
    newest = next((p for p in sorted(points, key=lambda p: p.created_at, reverse=True)
                   if p.complete and not p.foreign), None)  # fmt: skip
    if newest is not None and newest in chosen:
        raise UsageError(
            f"{newest.id} is the newest backup at {destination}: the newest backup is never removed",
            f"make a newer one first (`tui-backup backup run {destination}`), then remove this one",
        )
    return chosen


def remove_points(
    svc: ProfileService, destination: str, point_ids: Sequence[str], subscribers: Iterable[Subscriber] = ()
) -> PointRemoval:
    """Move the named restore points of `destination` into its trash, as one job."""
    if not point_ids:
        raise UsageError("remove which restore points?", f"give ids from `tui-backup backup list {destination}`")
    dest = destination_named(svc.config, destination)
    chosen = match_points(svc.list_restore_points(destination), point_ids, destination)
    result = PointRemoval(dest.name, [p.id for p in chosen])

    async def body(ctx: JobContext) -> None:
        # Again under the lock: a prune may have moved some meanwhile.
        points = match_points(await dest.list_points(ctx), result.point_ids, dest.name)
        items = await trash_points.trash_points(svc, ctx, dest, points, reason=REASON)
        result.trash_items = [it.id for it in items]
        for it in items:
            ctx.log(f"{it.details.get('point_id')} is in the trash as {it.id} (until {it.expires_at[:10]}; "
                    f"`tui-backup trash restore {it.id}` brings it back)")
        ctx.details["removed"] = result.point_ids
        ctx.details["trash_items"] = result.trash_items
        ctx.summary = f"moved {len(items)} restore point(s) of {dest.name} to the trash"

    volume = dest.volume()
    if volume is not None:
        svc.guard.require(volume)
    spec = JobSpec("remove", dest.name, body, lock=dest.name)
    result.finished = run_job_sync(JobRunner.for_profile(svc), spec, *subscribers)
    return result


__all__ = ["REASON", "PointRemoval", "match_points", "remove_points"]
