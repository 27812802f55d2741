"""Pruning a policy's restore points by its retention rules (layer 4).

`plan_prune` lists the points THIS policy made at its destination (the `policy` field of
their metadata / restic's `policy=` tag; other policies' points, manual backups and
foreign snapshots are never touched) and decides each with the retention engine
(policies/retention.py). `prune_policy` does it for real, as a job of the runner (kind
"prune", lock = the destination's name, so it never overlaps a backup there): it lists
and plans again under the lock, then the points the plan drops go to the TRASH (layer 1,
service/trash_points.py: moved into the destination's `.tui-backup-trash/`, restic: tagged
and hidden) until their recovery window ends (restic: by computed ids, which is how max-age and max-count apply too; the
keep rules equal `restic forget --keep-*`, see tests/retention). It is recorded as a
policy run of kind PRUNE. Nothing is pruned after a failed backup run of the policy.

Buckets (daily, weekly, ...) are counted in the policy's time zone (its schedule's
`timezone`, else the machine's): the zone restic buckets snapshots made here in.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from tui_backup import clock
from tui_backup.catalog import policy_runs as pr
from tui_backup.destinations import destination_named
from tui_backup.destinations.base import Destination, RestorePoint
from tui_backup.errors import UsageError
from tui_backup.jobs.events import FAILED, Finished
from tui_backup.jobs.runner import JobContext, JobRunner, JobSpec, Subscriber, run_job_sync
from tui_backup.policies.retention import (
    PointInfo,
    RetentionDecision,
    describe_retention,
    plan_retention,
)
from tui_backup.service import trash_points

if TYPE_CHECKING:
    from tui_backup.policies.model import Policy
    from tui_backup.service.profile import ProfileService


@dataclass
class PrunePlan:
    policy: str
    destination: str
    decisions: list[RetentionDecision]  # every point of the policy, newest first
    dry_run: bool
    removed: list[str] = field(default_factory=list)  # ids actually removed (none on a dry run)
    finished: Finished | None = None  # the prune job (None: dry run, or nothing to remove)
    rules: str = ""  # the retention in words
    run_id: int | None = None  # the PRUNE policy run recorded
    trash_items: list[str] = field(default_factory=list)  # the removed points' trash item ids (layer 1)

    @property
    def keep(self) -> list[RetentionDecision]:
        return [d for d in self.decisions if d.keep]

    @property
    def remove(self) -> list[RetentionDecision]:
        return [d for d in self.decisions if not d.keep]

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "destination": self.destination,
            "rules": self.rules,
            "dry_run": self.dry_run,
            "decisions": [{"id": d.id, "time": clock.to_catalog(d.time), "keep": d.keep, "reasons": list(d.reasons)}
                          for d in self.decisions],
            "removed": list(self.removed),
            "trash_items": list(self.trash_items),
            "status": self.finished.status if self.finished is not None else None,
        }


def made_by(point: RestorePoint, profile: str, policy: Policy) -> bool:
    """The point was made by this policy of this profile (and by this tool)."""
    if point.foreign or point.details.get("policy") != policy.name:
        return False
    return point.details.get("profile") in (None, profile)


def _mine(points: Iterable[RestorePoint], profile: str, policy: Policy) -> list[RestorePoint]:
    return sorted((p for p in points if made_by(p, profile, policy)), key=lambda p: p.created_at, reverse=True)


def policy_points(svc: ProfileService, policy: Policy) -> list[RestorePoint]:
    """The restore points this policy made, newest first."""
    return _mine(svc.list_restore_points(policy.destination), svc.config.name, policy)


def zone(policy: Policy) -> tzinfo:
    from tui_backup.policies.schedule import zone_of

    return zone_of(policy.schedule)


def decide(points: Iterable[RestorePoint], policy: Policy) -> list[RetentionDecision]:
    infos = [PointInfo(p.id, clock.parse_time(p.created_at), ok=p.complete and not p.foreign) for p in points]
    return plan_retention(infos, policy.retention, clock.now(), tz=zone(policy))


def plan_prune(svc: ProfileService, policy: Policy) -> PrunePlan:
    """Every restore point of the policy with keep/remove and the rules that decided it."""
    decisions = decide(policy_points(svc, policy), policy)
    return PrunePlan(policy.name, policy.destination, decisions, True, rules=describe_retention(policy.retention))


def refuse_after_failure(svc: ProfileService, policy: Policy) -> None:
    last = pr.last_run(svc.catalog, policy.name, pr.BACKUP)
    if last is None or last.ok or last.status == pr.SKIPPED:
        return
    raise UsageError(
        f"not pruning {policy.name}: its last backup ({last.started_at[:16].replace('T', ' ')} UTC) {last.status}; "
        "nothing is pruned after a failed run",
        f"run a successful backup first: `tui-backup policy run {policy.name}`",
    )


def prune_policy(
    svc: ProfileService,
    policy: Policy,
    subscribers: Iterable[Subscriber] = (),
    *,
    dry_run: bool = False,
    trigger: str = pr.MANUAL,
) -> PrunePlan:
    """Remove the restore points the policy's retention drops (dry_run: only say which).

    Raises UsageError when the policy's last backup run failed; the removal itself runs
    as a job (its outcome in `PrunePlan.finished`) and is recorded as a PRUNE run."""
    refuse_after_failure(svc, policy)
    plan = plan_prune(svc, policy)
    if dry_run:
        return plan
    plan.dry_run = False
    dest = destination_named(svc.config, policy.destination)
    started = time.monotonic()
    run_id = pr.start_run(svc.catalog, policy.name, pr.PRUNE, trigger)
    plan.run_id = run_id
    if not plan.remove:  # nothing to do: no job, but the run is recorded
        pr.finish_run(svc.catalog, run_id, "succeeded", duration_s=time.monotonic() - started,
                      details={"destination": dest.name, "removed": [], "kept": len(plan.keep)})
        return plan

    async def body(ctx: JobContext) -> None:
        # Again under the destination's lock: a backup may have finished since the plan.
        mine = _mine(await dest.list_points(ctx), svc.config.name, policy)
        decisions = decide(mine, policy)
        plan.decisions = decisions
        doomed = [d.id for d in decisions if not d.keep]
        ctx.log(f"{policy.name}: {describe_retention(policy.retention)}: keeping {len(decisions) - len(doomed)}, "
                f"removing {len(doomed)}")
        for d in decisions:
            ctx.log(f"{'keep  ' if d.keep else 'remove'} {d.id} ({', '.join(d.reasons)})")
        if doomed:
            by_id = {p.id: p for p in mine}
            items = await trash_points.trash_points(svc, ctx, dest, [by_id[i] for i in doomed],
                                                    reason=f"retention of policy {policy.name}")
            plan.trash_items = [it.id for it in items]
            for it in items:
                ctx.log(f"{it.details.get('point_id')} is in the trash as {it.id} "
                        f"(until {it.expires_at[:10]}; `tui-backup trash restore {it.id}` brings it back)")
        plan.removed = doomed
        ctx.details["removed"] = doomed
        ctx.details["trash_items"] = plan.trash_items
        ctx.summary = (f"pruned {policy.name}: moved {len(doomed)} to the trash, kept {len(decisions) - len(doomed)}")

    try:
        finished = _run(svc, dest, body, subscribers)
    except BaseException as exc:
        pr.finish_run(svc.catalog, run_id, FAILED, duration_s=time.monotonic() - started, error=str(exc),
                      details={"destination": dest.name})
        raise
    plan.finished = finished
    pr.finish_run(
        svc.catalog, run_id, finished.status, job_id=finished.job_id, duration_s=time.monotonic() - started,
        error_kind=finished.error_kind, error=finished.error_message,
        details={"destination": dest.name, "removed": plan.removed, "kept": len(plan.keep),
                 "trash_items": plan.trash_items},
    )
    return plan


def _run(svc: ProfileService, dest: Destination, body: Any, subscribers: Iterable[Subscriber]) -> Finished:
    volume = dest.volume()
    if volume is not None:
        svc.guard.require(volume)
    spec = JobSpec("prune", dest.name, body, lock=dest.name)
    return run_job_sync(JobRunner.for_profile(svc), spec, *subscribers)


__all__ = ["PrunePlan", "made_by", "plan_prune", "policy_points", "prune_policy", "refuse_after_failure"]
