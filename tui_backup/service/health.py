"""Per-policy health: what `status`, the metrics file, notifications and the Dashboard show.

A policy is `ok`, `warning` or `failing`, with the reasons:

- failing: no successful backup within the expected interval (the schedule's interval plus
  a slack of max(1/24 of it, 1 h): daily -> 25 h; `stale_after` overrides the whole
  threshold); the last backup run failed; the last drill or verification failed; the
  destination's volume is offline (local and local-rsync/restic destinations only).
- warning: the latest backup's size is below 80 % or above 200 % of the median of the
  previous five; a verification or drill is overdue (`verify_every` / `drill_every`, plus
  the same slack, since the last ok one — or since the first successful backup, so a new
  policy is not flagged before it could have been drilled); the last run was cancelled; a
  policy that has never run.
- paused policies are reported but never unhealthy because of time passing (staleness,
  overdue drills/verifications) nor because their destination is offline (a paused
  policy does not touch it); a failed last run still counts.

Restore points are counted from the catalog, not by listing the destination (that can be
slow or remote, and `status` runs from monitoring every few minutes): the points made by
the policy's successful backup runs minus the ids its prune runs removed (a prune run's
`details["removed"]`). Points removed by hand outside the tool are not seen here;
`tui-backup stats` lists every destination for the real count.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tui_backup import clock
from tui_backup.catalog import policy_runs as pr
from tui_backup.catalog.policy_runs import PolicyRun
from tui_backup.errors import TuiBackupError

if TYPE_CHECKING:
    from tui_backup.policies.model import Policy, ScheduleSpec
    from tui_backup.service.profile import ProfileService

log = logging.getLogger(__name__)

OK = "ok"
WARNING = "warning"
FAILING = "failing"
_RANK = {OK: 0, WARNING: 1, FAILING: 2}

SIZE_LOW = 0.8  # latest size below 80 % of the recent median: something went missing?
SIZE_HIGH = 2.0  # above 200 %: something unexpected got in
SIZE_BASELINE = 5  # the median of the previous five successful backups ...
SIZE_MIN_BASELINE = 3  # ... and at least three of them (fewer is no baseline)
SPARKLINE_LENGTH = 30
_ALL = 1_000_000  # "every row": list_runs needs a limit


@dataclass(frozen=True)
class PolicyStatus:
    name: str
    state: str  # active | paused
    destination: str
    schedule: str  # in words: "daily at 02:00"
    next_run: str | None  # catalog format (UTC); None when paused or manual
    retention: str  # in words: "keep 7 last, 30 daily"
    point_count: int
    newest_point_at: str | None
    last_run: PolicyRun | None  # the last finished backup run
    last_success_at: str | None
    last_proven_at: str | None  # the last ok drill: "last proven restorable"
    health: str  # ok | warning | failing
    reasons: list[str] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)  # recent successful sizes, oldest first
    include: str = "full"
    newest_point_id: str | None = None
    last_verified_at: str | None = None
    failures: int = 0  # consecutive failed runs

    @property
    def enabled(self) -> bool:
        return self.state == "active"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state,
            "enabled": self.enabled,
            "include": self.include,
            "destination": self.destination,
            "schedule": self.schedule,
            "next_run": self.next_run,
            "retention": self.retention,
            "point_count": self.point_count,
            "newest_point_id": self.newest_point_id,
            "newest_point_at": self.newest_point_at,
            "last_run": self.last_run.to_json() if self.last_run is not None else None,
            "last_success_at": self.last_success_at,
            "last_proven_at": self.last_proven_at,
            "last_verified_at": self.last_verified_at,
            "failures": self.failures,
            "health": self.health,
            "reasons": list(self.reasons),
            "sizes": list(self.sizes),
        }


# ---- what the other parts provide (schedules: engineer B; retention words: C) ----


def _schedule_words(spec: ScheduleSpec) -> str:
    if spec.manual:
        return "manual only"
    try:
        from tui_backup.policies.schedule import schedule_of

        return schedule_of(spec).describe()
    except Exception as exc:  # a bad expression is the config's business; status must still answer
        log.warning("cannot describe schedule: %s", exc)
        return "?"


def _expected_interval(spec: ScheduleSpec) -> timedelta | None:
    if spec.manual:
        return None
    try:
        from tui_backup.policies.schedule import schedule_of

        return schedule_of(spec).expected_interval()
    except Exception as exc:
        log.warning("cannot tell the schedule's interval: %s", exc)
        return None


def _retention_words(policy: Policy) -> str:
    try:
        from tui_backup.policies.retention import describe_retention

        return describe_retention(policy.retention)
    except Exception as exc:
        log.warning("cannot describe retention: %s", exc)
        return "?"


def _next_run(svc: ProfileService, policy: Policy, now: datetime) -> str | None:
    if not policy.active or policy.schedule.manual:
        return None
    try:
        from tui_backup.service.scheduler import next_run

        at = next_run(svc, policy, now)
    except Exception as exc:
        log.warning("cannot tell the next run of %s: %s", policy.name, exc)
        return None
    return clock.to_catalog(at) if at is not None else None


def slack_for(interval: timedelta) -> timedelta:
    """Grace on top of an expected interval: run-due's granularity and the run's own length."""
    return max(interval / 24, timedelta(hours=1))


def stale_threshold(policy: Policy) -> timedelta | None:
    """How long without a successful backup before the policy is failing (None: never)."""
    if policy.stale_after is not None:
        return policy.stale_after.delta
    interval = _expected_interval(policy.schedule)
    return None if interval is None else interval + slack_for(interval)


# ---- the catalog facts one assessment needs ----


def _when(run: PolicyRun) -> str:
    return run.finished_at or run.started_at


def _same_point(a: str, b: str) -> bool:
    # restic 0.14 reports 8-char short ids, later versions full ones: a prefix is the same point
    return a == b or (len(a) >= 8 and len(b) >= 8 and (a.startswith(b) or b.startswith(a)))


def _removed_ids(prunes: Iterable[PolicyRun]) -> list[str]:
    out: list[str] = []
    for run in prunes:
        if run.status == "running":
            continue
        removed = run.details.get("removed", [])
        if isinstance(removed, list):
            out.extend(str(x) for x in removed)
    return out


@dataclass(frozen=True)
class _Facts:
    backups: list[PolicyRun]  # finished backup runs, newest first
    live_points: list[PolicyRun]  # successful backup runs whose point was not pruned, newest first
    last_drill: PolicyRun | None
    last_ok_drill: PolicyRun | None
    last_verify: PolicyRun | None
    last_ok_verify: PolicyRun | None
    state: pr.PolicyState

    @property
    def last_run(self) -> PolicyRun | None:
        return self.backups[0] if self.backups else None

    @property
    def successes(self) -> list[PolicyRun]:
        return [r for r in self.backups if r.ok]

    @property
    def last_success_at(self) -> str | None:
        times = [t for t in (self.state.last_success_at, *(_when(r) for r in self.successes[:1])) if t]
        return max(times) if times else None


def _facts(svc: ProfileService, policy: str) -> _Facts:
    cat = svc.catalog
    backups = [r for r in pr.list_runs(cat, policy, pr.BACKUP, limit=_ALL) if r.status != "running"]
    removed = _removed_ids(pr.list_runs(cat, policy, pr.PRUNE, limit=_ALL))
    live = [
        r for r in backups
        if r.ok and r.point_id and not any(_same_point(r.point_id, x) for x in removed)
    ]
    return _Facts(
        backups=backups,
        live_points=live,
        last_drill=pr.last_run(cat, policy, pr.DRILL),
        last_ok_drill=pr.last_run(cat, policy, pr.DRILL, ok_only=True),
        last_verify=pr.last_run(cat, policy, pr.VERIFY),
        last_ok_verify=pr.last_run(cat, policy, pr.VERIFY, ok_only=True),
        state=pr.get_state(cat, policy),
    )


# ---- the rules ----


def _ago(now: datetime, at: str) -> str:
    return _span(now - clock.from_catalog(at))


def _span(delta: timedelta) -> str:
    s = max(0, int(delta.total_seconds()))
    d, rest = divmod(s, 86400)
    h, rest = divmod(rest, 3600)
    m = rest // 60
    if d:
        return f"{d}d {h}h" if h else f"{d}d"
    if h:
        return f"{h}h {m}m" if m else f"{h}h"
    return f"{m}m"


def _destination_problem(svc: ProfileService, policy: Policy) -> str | None:
    from tui_backup.destinations import destination_named

    try:
        dest = destination_named(svc.config, policy.destination)
        volume = dest.volume()
        if volume is None:
            return None  # remote: only a run can tell (and a failed run says so)
        st = svc.guard.check(volume)
    except TuiBackupError as exc:
        return f"destination {policy.destination}: {exc.message}"
    if st.ok:
        return None
    return f"destination {policy.destination} is {st.state}: {st.detail}"


def _size_problem(successes: Sequence[PolicyRun]) -> str | None:
    sized = [r.size_bytes for r in successes if r.size_bytes is not None]
    if len(sized) < 1 + SIZE_MIN_BASELINE:
        return None
    latest, previous = sized[0], sized[1 : 1 + SIZE_BASELINE]
    median = statistics.median(previous)
    if median <= 0:
        return None
    ratio = latest / median
    if ratio < SIZE_LOW or ratio > SIZE_HIGH:
        return (
            f"latest backup is {ratio:.0%} of the median size of the previous {len(previous)}"
            f" ({latest} vs {int(median)} bytes)"
        )
    return None


def _overdue(
    what: str, every: timedelta, last_ok: PolicyRun | None, first_success: PolicyRun | None, now: datetime
) -> str | None:
    since = _when(last_ok) if last_ok is not None else (_when(first_success) if first_success else None)
    if since is None:
        return None  # nothing backed up yet: nothing to verify or drill
    if now - clock.from_catalog(since) <= every + slack_for(every):
        return None
    last = f"last ok {_ago(now, _when(last_ok))} ago" if last_ok is not None else "never yet"
    return f"{what} overdue ({last}; due every {_span(every)})"


def _staleness(policy: Policy, now: datetime, facts: _Facts) -> str | None:
    """Why the policy is stale (no successful backup within the expected interval), or None."""
    threshold = stale_threshold(policy)
    if not policy.active or threshold is None:
        return None
    success = facts.last_success_at
    if success is not None:
        if now - clock.from_catalog(success) > threshold:
            return f"no successful backup for {_ago(now, success)} (expected within {_span(threshold)})"
    elif facts.backups:
        first = facts.backups[-1].started_at
        if now - clock.from_catalog(first) > threshold:
            return f"no successful backup since the first attempt {_ago(now, first)} ago"
    return None


def _assess(svc: ProfileService, policy: Policy, now: datetime, facts: _Facts) -> tuple[str, list[str]]:
    failing: list[str] = []
    warning: list[str] = []
    paused = not policy.active
    last = facts.last_run

    # the last backup run
    if last is not None and last.status == "failed":
        n = facts.state.failures
        times = f" ({n} in a row)" if n > 1 else ""
        failing.append(f"last run failed{times}: {last.error or last.error_kind or 'no error recorded'}")
    elif last is not None and last.status == "cancelled":
        warning.append("last run was cancelled")

    stale = _staleness(policy, now, facts)
    if stale:
        failing.append(stale)
    if not paused and not facts.backups:
        warning.append("no backup yet")

    # the trend of sizes
    size = _size_problem(facts.successes)
    if size:
        warning.append(size)

    # drills and verifications
    if facts.last_drill is not None and facts.last_drill.status == "failed":
        failing.append(f"last restore drill failed: {facts.last_drill.error or 'see the drill run'}")
    if facts.last_verify is not None and facts.last_verify.status == "failed":
        failing.append(f"last verification failed: {facts.last_verify.error or 'see the verify run'}")
    first_success = facts.successes[-1] if facts.successes else None
    if not paused:
        for what, every, last_ok in (
            ("restore drill", policy.drill_every, facts.last_ok_drill),
            ("verification", policy.verify_every, facts.last_ok_verify),
        ):
            if every is not None:
                overdue = _overdue(what, every.delta, last_ok, first_success, now)
                if overdue:
                    warning.append(overdue)

    # the destination's volume
    if not paused:
        problem = _destination_problem(svc, policy)
        if problem:
            failing.append(problem)

    health = FAILING if failing else WARNING if warning else OK
    return health, failing + warning


# ---- public ----


def stale_reasons(svc: ProfileService, policy: Policy, now: datetime) -> list[str]:
    """[] when the policy is fresh (or paused); else why it is stale (for notifications)."""
    stale = _staleness(policy, now, _facts(svc, policy.name))
    return [stale] if stale else []


def policy_health(svc: ProfileService, policy: Policy, now: datetime) -> tuple[str, list[str]]:
    """("ok" | "warning" | "failing", the reasons: failing ones first)."""
    return _assess(svc, policy, now, _facts(svc, policy.name))


def policy_status(svc: ProfileService, policy: Policy, now: datetime | None = None) -> PolicyStatus:
    at = now or clock.now()
    facts = _facts(svc, policy.name)
    health, reasons = _assess(svc, policy, at, facts)
    newest = facts.live_points[0] if facts.live_points else None
    sizes = [r.size_bytes for r in facts.successes[:SPARKLINE_LENGTH] if r.size_bytes is not None]
    return PolicyStatus(
        name=policy.name,
        state=policy.state,
        destination=policy.destination,
        schedule=_schedule_words(policy.schedule),
        next_run=_next_run(svc, policy, at),
        retention=_retention_words(policy),
        point_count=len(facts.live_points),
        newest_point_at=_when(newest) if newest else None,
        last_run=facts.last_run,
        last_success_at=facts.last_success_at,
        last_proven_at=_when(facts.last_ok_drill) if facts.last_ok_drill else None,
        health=health,
        reasons=reasons,
        sizes=list(reversed(sizes)),
        include=policy.include,
        newest_point_id=newest.point_id if newest else None,
        last_verified_at=_when(facts.last_ok_verify) if facts.last_ok_verify else None,
        failures=facts.state.failures,
    )


def policy_statuses(svc: ProfileService, now: datetime | None = None) -> list[PolicyStatus]:
    """Every policy of the profile, in config order."""
    at = now or clock.now()
    return [policy_status(svc, p, at) for p in svc.policies()]


def worst(healths: Iterable[str]) -> str:
    return max(healths, key=lambda h: _RANK.get(h, 2), default=OK)


def exit_code_for(statuses: Iterable[PolicyStatus]) -> int:
    """A monitoring check's exit code: 0 all ok, 1 any warning, 2 any failing."""
    return _RANK.get(worst(s.health for s in statuses), 2)
