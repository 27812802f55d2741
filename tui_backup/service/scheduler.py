"""What is due, and running it: `run-due` (cron, systemd timers) and the daemon.

Rules, per active policy with a schedule:

- **due** when its latest slot at or before now is newer than `last_slot_done` (the newest
  slot served by a SUCCESSFUL run) and its `retry_at`, if any, has passed. Slots missed
  while the machine was off or asleep are served by ONE run, for the latest of them.
- a failure sets `retry_at` (backoff 5 min, 30 min, 2 h, never past the next slot): later
  invocations retry; when the next slot arrives it supersedes the retry (one run serves it).
- **first sight** (no `last_slot_done` and never run by the scheduler): the policy's latest
  past slot is recorded as done, so a new policy waits for its first slot instead of
  running at once for a slot from before it existed (`policy run NAME` runs it now). The
  choice keeps the catalog schema as it is: no "first seen" column is needed.
- paused policies never run; a schedule-less ("manual") policy is never due.
- drills (`drill_every`, counted from the policy's last drill run) and verifications
  (`verify_every`, from its last verify run) are due items too; a drill waits for a first
  successful backup.

Overlapping invocations (cron firing while the last one still runs) never run a policy
twice: each policy is served under a per-policy run lock (`<state>/locks/policy-NAME.lock`,
non-blocking — if held, "NAME: already running in pid P since T" goes into `skipped`), and
the due check is repeated once the lock is held. The backup job itself also holds the
destination's lock (the job runner's).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tui_backup import clock
from tui_backup.catalog import policy_runs as pr
from tui_backup.errors import TuiBackupError
from tui_backup.fsutil import pid_alive
from tui_backup.jobs.locks import FileLock, lock_path
from tui_backup.policies.schedule import Schedule, format_slot, schedule_of

if TYPE_CHECKING:
    from tui_backup.jobs.runner import Subscriber
    from tui_backup.policies.model import Policy
    from tui_backup.service.policy_run import PolicyRunOutcome
    from tui_backup.service.profile import ProfileService

BACKUP_ITEM = "backup"
DRILL_ITEM = "drill"
VERIFY_ITEM = "verify"

MAX_COUNTED = 100  # missed slots counted for the reason's words

Log = Callable[[str], None]


@dataclass(frozen=True)
class DueItem:
    policy: str
    kind: str  # backup | drill | verify
    slot: str | None  # the slot a backup serves (catalog format, UTC)
    reason: str
    due: bool = True  # False: a "not due" line (plan() lists those too)
    trigger: str = pr.SCHEDULE  # schedule | retry
    next_at: str | None = None  # not due: when it will be (catalog format)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunDueReport:
    started_at: str
    items: list[DueItem]
    outcomes: list[PolicyRunOutcome]
    skipped: list[str]  # e.g. "nightly: already running in pid 123 since ..."
    dry_run: bool
    not_due: list[DueItem] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # unexpected errors (a policy's run raised)

    @property
    def failed(self) -> bool:
        return bool(self.errors) or any(not o.ok for o in self.outcomes)

    def to_json(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "dry_run": self.dry_run,
            "items": [i.to_json() for i in self.items],
            "outcomes": [o.to_json() for o in self.outcomes],
            "skipped": list(self.skipped),
            "not_due": [i.to_json() for i in self.not_due],
            "errors": list(self.errors),
        }


# ---- decisions ----


def _parse(text: str | None) -> datetime | None:
    return clock.from_catalog(text) if text else None


def _first_sight(svc: ProfileService, policy: Policy, state: pr.PolicyState) -> bool:
    if state.last_slot_done is not None:
        return False
    runs = pr.list_runs(svc.catalog, policy.name, pr.BACKUP, limit=50)
    return not any(r.trigger in (pr.SCHEDULE, pr.RETRY) for r in runs)


def _count_slots(sched: Schedule, after: datetime, until: datetime) -> int:
    """Slots in (after, until], counted up to MAX_COUNTED (a reason's words, not a loop)."""
    n = 0
    at = sched.next_after(after)
    while at is not None and at <= until and n < MAX_COUNTED:
        n += 1
        at = sched.next_after(at)
    return n


def backup_decision(svc: ProfileService, policy: Policy, now: datetime) -> DueItem:
    """Whether the policy's backup is due at `now`, and why (or why not)."""
    name = policy.name
    sched = schedule_of(policy.schedule)
    if not policy.active:
        return DueItem(name, BACKUP_ITEM, None, "paused", due=False)
    if policy.schedule.manual:
        return DueItem(name, BACKUP_ITEM, None, "no schedule (manual runs only)", due=False)
    slot = sched.slot_at_or_before(now)
    nxt = sched.next_after(now)
    nxt_text = clock.to_catalog(nxt) if nxt is not None else None
    nxt_words = format_slot(nxt, policy.schedule) if nxt is not None else "never"
    state = pr.get_state(svc.catalog, name)
    if slot is None:
        return DueItem(name, BACKUP_ITEM, None, f"first slot {nxt_words}", due=False, next_at=nxt_text)
    slot_text = clock.to_catalog(slot)
    if _first_sight(svc, policy, state):
        return DueItem(name, BACKUP_ITEM, slot_text, f"new policy: first run at {nxt_words}", due=False,
                       trigger="first-sight", next_at=nxt_text)
    if state.last_slot_done is not None and slot_text <= state.last_slot_done:
        return DueItem(name, BACKUP_ITEM, slot_text, f"done; next slot {nxt_words}", due=False, next_at=nxt_text)
    retry_at = _parse(state.retry_at)
    if retry_at is not None and now < retry_at:
        words = format_slot(retry_at, policy.schedule)
        return DueItem(name, BACKUP_ITEM, slot_text,
                       f"failed {state.failures} time(s); retry at {words}", due=False, trigger=pr.RETRY,
                       next_at=state.retry_at)
    done = _parse(state.last_slot_done)
    missed = _count_slots(sched, done, slot) if done is not None else 0
    slot_words = format_slot(slot, policy.schedule)
    if state.failures > 0:
        reason = f"retry {state.failures} after failure, slot {slot_words}"
        trigger = pr.RETRY
    elif missed > 1:
        many = f"{missed}+" if missed >= MAX_COUNTED else str(missed)
        reason = f"{many} slots missed, running once for {slot_words}"
        trigger = pr.SCHEDULE
    else:
        reason = f"slot {slot_words}"
        trigger = pr.SCHEDULE
    return DueItem(name, BACKUP_ITEM, slot_text, reason, trigger=trigger)


def _interval_decision(svc: ProfileService, policy: Policy, kind: str, now: datetime) -> DueItem | None:
    every = policy.drill_every if kind == DRILL_ITEM else policy.verify_every
    if every is None or not policy.active:
        return None
    run_kind = pr.DRILL if kind == DRILL_ITEM else pr.VERIFY
    if pr.last_run(svc.catalog, policy.name, pr.BACKUP, ok_only=True) is None:
        return DueItem(policy.name, kind, None, "no successful backup yet", due=False)
    last = pr.last_run(svc.catalog, policy.name, run_kind)
    if last is None:
        return DueItem(policy.name, kind, None, f"never done (every {every.text()})")
    at = clock.from_catalog(last.started_at) + every.delta
    if now >= at:
        return DueItem(policy.name, kind, None, f"last {run_kind} {last.started_at[:16].replace('T', ' ')} UTC"
                                               f" (every {every.text()})")
    return DueItem(policy.name, kind, None, f"next {run_kind} due {clock.to_catalog(at)[:16].replace('T', ' ')} UTC",
                   due=False, next_at=clock.to_catalog(at))


def plan(svc: ProfileService, now: datetime) -> list[DueItem]:
    """Every decision for every policy (due and not due), backups first per policy."""
    return [item for policy in svc.policies() for item in plan_policy(svc, policy, now)]


def due_items(svc: ProfileService, now: datetime) -> list[DueItem]:
    """What run-due would run at `now`."""
    return [i for i in plan(svc, now) if i.due]


def next_run(svc: ProfileService, policy: Policy, now: datetime) -> datetime | None:
    """When run-due would next run the policy's backup: now if due, else its retry time or
    next slot (None: paused or no schedule)."""
    item = backup_decision(svc, policy, now)
    if item.due:
        return now
    return _parse(item.next_at)


def next_wakeup(svc: ProfileService, now: datetime) -> datetime | None:
    """The earliest time any item (backup, drill, verify) becomes due (the daemon sleeps till then)."""
    times: list[datetime] = []
    for item in plan(svc, now):
        if item.due:
            times.append(now)
        elif item.next_at is not None:
            times.append(clock.from_catalog(item.next_at))
    return min(times) if times else None


# ---- running ----


def policy_lock(svc: ProfileService, policy: str) -> FileLock:
    """Held while run-due serves the policy (any process): overlapping invocations skip it."""
    return FileLock(lock_path(svc.paths.state_dir / "locks", f"policy-{policy}"), f"policy {policy}")


def _held_message(policy: str, lock: FileLock) -> str:
    holder = lock.holder()
    if holder is None:
        return f"{policy}: already running in another process"
    since = holder.started_at.replace("T", " ").split(".")[0].rstrip("Z")
    return f"{policy}: already running in pid {holder.pid} since {since} UTC"


def purge_expired_trash(svc: ProfileService, *, dry_run: bool) -> None:
    """Purge trash items past their recovery window (and over the size cap) on every run-due;
    a dry run changes nothing. A failure here is logged, never fails the policies' runs."""
    if dry_run:
        return
    import logging

    from tui_backup.errors import TuiBackupError
    from tui_backup.service import trash

    try:
        trash.purge_expired(svc)
    except (TuiBackupError, OSError) as exc:
        logging.getLogger(__name__).warning("purging the expired trash failed: %s", exc)


def reap_dead_runs(svc: ProfileService) -> int:
    """Policy runs left "running" by a process that died (killed, crashed): failed now."""
    n = 0
    for run in pr.list_runs(svc.catalog, limit=200):
        if run.status == "running" and run.pid is not None and not pid_alive(run.pid):
            pr.finish_run(svc.catalog, run.id, "failed", error_kind="interrupted",
                          error=f"the process running it (pid {run.pid}) died")
            n += 1
    return n


def _record_first_sight(svc: ProfileService, item: DueItem) -> None:
    if item.trigger == "first-sight" and item.slot is not None:
        pr.update_state(svc.catalog, item.policy, last_slot_done=item.slot)


def note_new_policies(svc: ProfileService, now: datetime) -> None:
    """Record first sight of policies never seen before (see the module's docstring)
    without running anything: the daemon calls it on every wake-up, so a policy it sees
    before a suspend still gets the slots missed during it."""
    for policy in svc.policies():
        _record_first_sight(svc, backup_decision(svc, policy, now))


def run_due(
    svc: ProfileService,
    subscribers: Iterable[Subscriber] = (),
    *,
    dry_run: bool = False,
    log: Log | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> RunDueReport:
    """Run every due item once (see the module's docstring). `dry_run` changes nothing."""
    subs = tuple(subscribers)
    say = log or (lambda _text: None)
    stop = should_stop or (lambda: False)
    now = clock.now()
    report = RunDueReport(clock.to_catalog(now), [], [], [], dry_run)
    if not dry_run:
        reap_dead_runs(svc)
    purge_expired_trash(svc, dry_run=dry_run)
    for policy in svc.policies():
        if stop():
            break
        decisions = plan_policy(svc, policy, now)
        due = [i for i in decisions if i.due]
        if dry_run:
            report.items.extend(due)
            report.not_due.extend(i for i in decisions if not i.due)
            continue
        for i in decisions:
            _record_first_sight(svc, i)
        if not due:
            report.not_due.extend(decisions)
            continue
        lock = policy_lock(svc, policy.name)
        if not lock.try_acquire(what=f"run-due {policy.name}"):
            msg = _held_message(policy.name, lock)
            report.skipped.append(msg)
            say(f"skipped {msg}")
            continue
        try:
            # Each kind is decided again under the lock, just before it runs: another
            # invocation may have served it meanwhile, and a first backup makes a drill due.
            for kind in (BACKUP_ITEM, DRILL_ITEM, VERIFY_ITEM):
                item = decide(svc, policy, kind, clock.now())
                if item is None:
                    continue
                if not item.due or stop():
                    report.not_due.append(item)
                    continue
                report.items.append(item)
                outcome = _run_item(svc, policy, item, subs, report, log)
                if item.kind == BACKUP_ITEM and (outcome is None or not outcome.run.ok):
                    break  # no drill/verify after a failed backup in the same pass
        finally:
            lock.release()
    if not dry_run:
        _notify_staleness(svc)
    return report


def _notify_staleness(svc: ProfileService) -> None:
    """Stale policies (no success within the expected interval) are announced here, once a
    state change (notify collapses repeats); a policy fresh again sends its recovery."""
    from tui_backup.service import health, notify

    now = clock.now()
    for policy in svc.policies():
        if policy.active:
            notify.stale(svc, policy, health.stale_reasons(svc, policy, now))


def decide(svc: ProfileService, policy: Policy, kind: str, now: datetime) -> DueItem | None:
    """The decision for one kind of item (None: the policy has no such item)."""
    if kind == BACKUP_ITEM:
        return backup_decision(svc, policy, now)
    return _interval_decision(svc, policy, kind, now)


def _run_item(svc: ProfileService, policy: Policy, item: DueItem, subs: tuple[Subscriber, ...],
              report: RunDueReport, log: Log | None) -> PolicyRunOutcome | None:
    from tui_backup.service import drill, policy_run

    say = log or (lambda _text: None)
    say(f"running {item.policy} {item.kind}: {item.reason}")
    try:
        if item.kind == BACKUP_ITEM:
            outcome = policy_run.run_policy(svc, policy, subs, trigger=item.trigger, slot=item.slot, wait=True,
                                            log=log)
        elif item.kind == VERIFY_ITEM:
            outcome = policy_run.verify_policy(svc, policy, subs, trigger=pr.SCHEDULE, log=log)
        else:
            result = drill.drill_policy(svc, policy, subs, trigger=pr.SCHEDULE)
            outcome = policy_run.PolicyRunOutcome(result.run, None, None, None)
    except TuiBackupError as exc:
        report.errors.append(f"{policy.name} {item.kind}: {exc.message}")
        say(f"failed {policy.name} {item.kind}: {exc.message}")
        return None
    except Exception as exc:  # one policy's bug must not stop the others
        report.errors.append(f"{policy.name} {item.kind}: {type(exc).__name__}: {exc}")
        say(f"failed {policy.name} {item.kind}: {type(exc).__name__}: {exc}")
        return None
    report.outcomes.append(outcome)
    word = "ran" if outcome.ok else outcome.run.status
    say(f"{word} {policy.name} {item.kind}: {describe_run(outcome.run)}")
    return outcome


def plan_policy(svc: ProfileService, policy: Policy, now: datetime) -> list[DueItem]:
    out = [backup_decision(svc, policy, now)]
    for kind in (DRILL_ITEM, VERIFY_ITEM):
        item = _interval_decision(svc, policy, kind, now)
        if item is not None:
            out.append(item)
    return out


def describe_run(run: pr.PolicyRun) -> str:
    """One line: "succeeded, point 2026-…, 1.2 MB in 3.4 s" / "failed (timed-out): …"."""
    parts = [run.status]
    if run.error_kind:
        parts[0] += f" ({run.error_kind})"
    if run.point_id:
        parts.append(f"point {run.point_id}")
    if run.size_bytes is not None:
        parts.append(f"{run.size_bytes} bytes")
    if run.duration_s is not None:
        parts.append(f"{run.duration_s:.1f} s")
    text = ", ".join(parts)
    if run.error:
        text += f": {run.error}"
    return text


__all__ = [
    "DueItem",
    "RunDueReport",
    "backup_decision",
    "due_items",
    "next_run",
    "next_wakeup",
    "plan",
    "plan_policy",
    "policy_lock",
    "purge_expired_trash",
    "reap_dead_runs",
    "run_due",
]
