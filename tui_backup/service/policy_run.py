"""One run of a policy: hooks, the backup job, retention, the record, metrics, notifications.

`run_policy` (what the scheduler, `policy run NAME` and the TUI's "run now" call):

1. a `policy_runs` row (kind backup, running);
2. the `before` hooks: on_error "skip" -> the run is recorded SKIPPED (not a failure: no
   failure count; retried after a short pause until the slot is served), "fail" -> a
   failed run, "ignore" -> go on;
3. the backup job (backups.run_backup, policy's include, timeout), whose first step, once
   it holds the destination, is the healthchecks ping "start";
   an error before the job starts (volume guard refusing an offline drive, unknown
   destination) is a failed run like any other; the destination busy with another of our
   own jobs (its lock held, not waited for) is SKIPPED like a hook's skip, the error naming
   the holder (the outcome's `skipped_reason` and its `finished` say so to the caller);
4. success: `after` hooks, the row finished, state (last_slot_done, last_success_at,
   failures 0, no retry), then retention (`prune.prune_policy`, only after a success);
   failure: `on_failure` hooks, the row finished, failures + 1 and `retry_at` with backoff
   (5 min, 30 min, 2 h; never past the next slot);
5. always: metrics file, `notify.after_run`, ping "success" / "fail".

Notifications and metrics never fail the run (their modules promise not to raise; a bug
there is logged, not propagated).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tui_backup import clock
from tui_backup.catalog import policy_runs as pr
from tui_backup.catalog.policy_runs import PolicyRun
from tui_backup.errors import TuiBackupError, VolumeError
from tui_backup.jobs.errors import ErrorKind
from tui_backup.jobs.events import CANCELLED, FAILED, SUCCEEDED_WITH_WARNINGS, Finished
from tui_backup.policies.schedule import schedule_of

if TYPE_CHECKING:
    from tui_backup.jobs.runner import Subscriber
    from tui_backup.policies.model import Policy
    from tui_backup.service.profile import ProfileService
    from tui_backup.service.prune import PrunePlan

BACKOFF: tuple[timedelta, ...] = (timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
SKIP_PAUSE = timedelta(minutes=5)  # a skipped run (hook said "skip", destination busy) is tried again after this
HOOK_FAILED = "hook-failed"  # error_kind of a run a `before` hook failed
MAX_LOG_LINES = 200  # hook output kept in a run's details

Log = Callable[[str], None]


@dataclass(frozen=True)
class PolicyRunOutcome:
    run: PolicyRun
    finished: Finished | None  # the backup (or check) job's end; None if it never started
    pruned: PrunePlan | None
    skipped_reason: str | None  # a `before` hook said "skip", or the destination was busy

    @property
    def ok(self) -> bool:
        return self.run.ok or self.run.status == pr.SKIPPED

    @property
    def busy(self) -> bool:
        """Skipped because another of our jobs held the destination (the backup did not run)."""
        return self.run.status == pr.SKIPPED and self.run.error_kind == ErrorKind.DESTINATION_BUSY.value

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run.to_json(),
            "job_id": self.finished.job_id if self.finished else None,
            "pruned": list(self.pruned.removed) if self.pruned is not None else None,
            "skipped_reason": self.skipped_reason,
        }


def backoff_delay(failures: int) -> timedelta:
    """How long to wait after the `failures`-th consecutive failure (1-based)."""
    return BACKOFF[min(max(failures, 1), len(BACKOFF)) - 1]


def retry_time(policy: Policy, failures: int, now: datetime) -> datetime:
    """When to try again: the backoff, but never past the next slot (which supersedes it)."""
    at = now + backoff_delay(failures)
    nxt = schedule_of(policy.schedule).next_after(now)
    return min(at, nxt) if nxt is not None else at


class _Collector:
    """Hook output: kept (bounded) for the run's details and passed on to `log`."""

    def __init__(self, log: Log | None) -> None:
        self.lines: list[str] = []
        self.log = log

    def __call__(self, line: str) -> None:
        if len(self.lines) < MAX_LOG_LINES:
            self.lines.append(line)
        if self.log is not None:
            self.log(line)


def _safely(what: str, log: Log | None, fn: Callable[[], object]) -> None:
    """Side effects that must never fail a run (metrics, notifications)."""
    try:
        fn()
    except Exception as exc:  # a bug there must not lose the run's record
        if log is not None:
            log(f"{what} failed: {type(exc).__name__}: {exc}")


def _after_effects(svc: ProfileService, policy: Policy, run: PolicyRun, log: Log | None,
                   ping: str | None = None) -> None:
    from tui_backup.service import metrics, notify

    _safely("metrics", log, lambda: metrics.write_metrics(svc))
    _safely("notification", log, lambda: notify.after_run(svc, policy, run))
    if ping is not None:
        text = run.error or f"{run.kind} {run.status}"
        _safely("ping", log, lambda: notify.ping(svc, policy, ping, text))


def _ping(svc: ProfileService, policy: Policy, event: str, text: str, log: Log | None) -> None:
    from tui_backup.service import notify

    _safely("ping", log, lambda: notify.ping(svc, policy, event, text))


def _error_kind(exc: TuiBackupError) -> str:
    if isinstance(exc, VolumeError):
        return ErrorKind.DESTINATION_UNREACHABLE.value if exc.state else ErrorKind.FAILED.value
    kind = getattr(exc, "kind", None)
    return str(kind.value if isinstance(kind, ErrorKind) else kind) if kind else ErrorKind.FAILED.value


def _newer(slot: str | None, done: str | None) -> bool:
    return slot is not None and (done is None or slot > done)  # catalog format sorts as time


def run_policy(
    svc: ProfileService,
    policy: Policy,
    subscribers: Iterable[Subscriber] = (),
    *,
    trigger: str = pr.MANUAL,
    slot: str | None = None,
    wait: bool = False,
    log: Log | None = None,
) -> PolicyRunOutcome:
    """One run of `policy` (see the module's docstring). Never raises for a failed backup:
    the outcome's run says how it went."""
    from tui_backup.service import hooks

    catalog = svc.catalog
    started = time.monotonic()
    run_id = pr.start_run(catalog, policy.name, pr.BACKUP, trigger, slot)
    collect = _Collector(log)
    secrets = hooks.secrets_of(svc, policy)
    subs = tuple(subscribers)

    def env(status: str, point: str | None = None, error: str | None = None) -> dict[str, str]:
        return hooks.hook_env(policy, status=status, point_id=point, error=error, run_id=run_id,
                              profile=svc.config.name)

    pr.update_state(catalog, policy.name, last_attempt_at=clock.to_catalog(clock.now()))

    # -- before hooks --
    before = hooks.run_hooks("before", policy.hooks.before, env("running"), collect, secrets=secrets)
    if before.status == "skip":
        return _skipped(svc, policy, run_id, before.message, trigger, collect, started, log)

    finished: Finished | None = None
    error: str | None = None
    error_kind: str | None = None
    if before.status == "failed":
        error, error_kind = before.message, HOOK_FAILED
    else:
        timeout_s = float(policy.timeout.seconds) if policy.timeout is not None else None
        try:
            finished = svc.run_backup(policy.destination, policy.include, *subs, wait=wait,
                                      policy=policy.name, timeout_s=timeout_s,
                                      on_start=lambda: _ping(svc, policy, "start", f"backup {policy.name} started", log))
        except TuiBackupError as exc:  # refused before the job started: still a failed run
            error, error_kind = exc.message + (f" ({exc.hint})" if exc.hint else ""), _error_kind(exc)
        else:
            if finished.error_kind == ErrorKind.DESTINATION_BUSY.value:
                reason = finished.error_message or f"destination {policy.destination} is busy"
                return _skipped(svc, policy, run_id, reason, trigger, collect, started, log, busy=finished)
            if not finished.ok:
                error = finished.error_message or finished.status
                error_kind = finished.error_kind or (None if finished.status == CANCELLED else ErrorKind.FAILED.value)

    if finished is not None and finished.ok:
        return _succeeded(svc, policy, run_id, finished, slot, trigger, subs, collect, started, env, secrets, log)
    status = CANCELLED if finished is not None and finished.status == CANCELLED else FAILED
    return _failed(svc, policy, run_id, finished, status, error, error_kind, trigger, collect, started, env,
                   secrets, log)


def _skipped(
    svc: ProfileService, policy: Policy, run_id: int, reason: str, trigger: str, collect: _Collector,
    started: float, log: Log | None, *, busy: Finished | None = None,
) -> PolicyRunOutcome:
    """A SKIPPED run — a `before` hook said so, or (`busy`: the refused job) another of our
    own jobs holds the destination's lock. Not a failure: no failure counted, no `on_failure`
    hooks, no failure notice or ping; a scheduled run is tried again after the short pause."""
    details: dict[str, Any] = {"hooks": collect.lines}
    if busy is not None:
        details["destination"] = policy.destination
    run = pr.finish_run(
        svc.catalog, run_id, pr.SKIPPED, job_id=busy.job_id if busy else None,
        duration_s=time.monotonic() - started,
        error_kind=ErrorKind.DESTINATION_BUSY.value if busy else None, error=reason, details=details,
    )
    if trigger != pr.MANUAL:
        pr.update_state(svc.catalog, policy.name, retry_at=clock.to_catalog(_skip_retry(policy, clock.now())))
    _after_effects(svc, policy, run, log)
    return PolicyRunOutcome(run, busy, None, reason)


def _skip_retry(policy: Policy, now: datetime) -> datetime:
    at = now + SKIP_PAUSE
    nxt = schedule_of(policy.schedule).next_after(now)
    return min(at, nxt) if nxt is not None else at


def _succeeded(
    svc: ProfileService, policy: Policy, run_id: int, finished: Finished, slot: str | None, trigger: str,
    subs: tuple[Subscriber, ...], collect: _Collector, started: float,
    env: Callable[..., dict[str, str]], secrets: Any, log: Log | None,
) -> PolicyRunOutcome:
    from tui_backup.service import hooks

    catalog = svc.catalog
    point = finished.details.get("point") or {}
    point_id = point.get("id")
    size = point.get("size_bytes")
    if size is None:
        size = finished.bytes_done or None
    status = finished.status
    details: dict[str, Any] = {"hooks": collect.lines, "destination": policy.destination}
    after = hooks.run_hooks("after", policy.hooks.after, env(finished.status, point_id), collect, secrets=secrets)
    if after.status != "ok":  # the backup is made: a failing `after` hook is a warning
        status = SUCCEEDED_WITH_WARNINGS
        details["after_hook"] = after.message
    if finished.warnings:
        details["warnings"] = list(finished.warnings)
    run = pr.finish_run(catalog, run_id, status, job_id=finished.job_id, point_id=point_id, size_bytes=size,
                        duration_s=time.monotonic() - started, details=details)
    state = pr.get_state(catalog, policy.name)
    changes: dict[str, Any] = {"last_success_at": run.finished_at, "failures": 0, "retry_at": None}
    if _newer(slot, state.last_slot_done):
        changes["last_slot_done"] = slot
    pr.update_state(catalog, policy.name, **changes)
    # Retention only now that this run is recorded as a success (prune refuses after a failure).
    pruned: PrunePlan | None = None
    if not policy.retention.keeps_everything:
        from tui_backup.service import prune

        try:
            pruned = prune.prune_policy(svc, policy, subs)
        except TuiBackupError as exc:
            collect(f"retention not applied: {exc.message}")
    _after_effects(svc, policy, run, log, ping="success")
    return PolicyRunOutcome(run, finished, pruned, None)


def _failed(
    svc: ProfileService, policy: Policy, run_id: int, finished: Finished | None, status: str, error: str | None,
    error_kind: str | None, trigger: str, collect: _Collector, started: float,
    env: Callable[..., dict[str, str]], secrets: Any, log: Log | None,
) -> PolicyRunOutcome:
    from tui_backup.service import hooks

    catalog = svc.catalog
    hooks.run_hooks("on_failure", policy.hooks.on_failure, env(status, None, error), collect, secrets=secrets)
    run = pr.finish_run(
        catalog, run_id, status, job_id=finished.job_id if finished else None, duration_s=time.monotonic() - started,
        error_kind=error_kind, error=error, details={"hooks": collect.lines, "destination": policy.destination},
    )
    if status == FAILED:  # a cancelled run (the daemon stopping) is tried again, not counted
        state = pr.get_state(catalog, policy.name)
        failures = state.failures + 1
        changes: dict[str, Any] = {"failures": failures}
        if trigger != pr.MANUAL:
            changes["retry_at"] = clock.to_catalog(retry_time(policy, failures, clock.now()))
        pr.update_state(catalog, policy.name, **changes)
    _after_effects(svc, policy, run, log, ping="fail")
    return PolicyRunOutcome(run, finished, None, None)


def verify_policy(
    svc: ProfileService, policy: Policy, subscribers: Iterable[Subscriber] = (), *, trigger: str = pr.MANUAL,
    log: Log | None = None,
) -> PolicyRunOutcome:
    """Check the policy's destination (restic check / metadata checksums) as a VERIFY run."""
    catalog = svc.catalog
    started = time.monotonic()
    run_id = pr.start_run(catalog, policy.name, pr.VERIFY, trigger)
    finished: Finished | None = None
    error: str | None = None
    error_kind: str | None = None
    failure: TuiBackupError | None = None
    try:
        from tui_backup.service.backups import check_destination

        finished = check_destination(svc, policy.destination, subscribers,
                                     read_data_subset=policy.verify_read_data_subset, journal=False)
    except TuiBackupError as exc:
        failure = exc
        error, error_kind = exc.message, _error_kind(exc)
    if finished is not None and finished.ok:
        status = finished.status
    else:
        status = CANCELLED if finished is not None and finished.status == CANCELLED else FAILED
        if finished is not None:
            error, error_kind = finished.error_message or finished.status, finished.error_kind
    run = pr.finish_run(
        catalog, run_id, status, job_id=finished.job_id if finished else None, duration_s=time.monotonic() - started,
        error_kind=error_kind, error=error,
        details={"summary": finished.summary} if finished is not None and finished.summary else {},
    )
    from tui_backup.service import verify_record

    verify_record.record(
        svc, f"policy:{policy.name}", finished, failure, destination=policy.destination, trigger=trigger, run_id=run_id
    )
    with contextlib.suppress(Exception):
        _after_effects(svc, policy, run, log)
    return PolicyRunOutcome(run, finished, None, None)


__all__ = ["BACKOFF", "PolicyRunOutcome", "backoff_delay", "retry_time", "run_policy", "verify_policy"]
