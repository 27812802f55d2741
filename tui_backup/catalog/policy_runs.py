"""Policy rows: every run of a policy (backup, drill, prune, verify) and each policy's
scheduler state (the slot last served, consecutive failures, backoff, alert state).

Written by the policy runner (service/policy_run.py) and the scheduler; read by status,
stats, notifications and the TUI.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from tui_backup.catalog._db import Catalog, utc_now

# kinds of policy run
BACKUP = "backup"
DRILL = "drill"
PRUNE = "prune"
VERIFY = "verify"

# statuses beyond the job statuses (running, succeeded, succeeded-with-warnings, failed, cancelled)
SKIPPED = "skipped"  # a `before` hook with on_error = "skip" said so, or the destination was busy: not a failure

# what started a run
SCHEDULE = "schedule"
MANUAL = "manual"
RETRY = "retry"


@dataclass(frozen=True)
class PolicyRun:
    id: int
    policy: str
    kind: str  # backup | drill | prune | verify
    trigger: str  # schedule | manual | retry
    slot: str | None  # the scheduled time this run serves (catalog format, UTC)
    started_at: str
    finished_at: str | None
    status: str  # running | succeeded | succeeded-with-warnings | failed | cancelled | skipped
    job_id: int | None = None
    point_id: str | None = None  # the restore point it made (backup) or proved (drill)
    size_bytes: int | None = None
    duration_s: float | None = None
    error_kind: str | None = None  # an ErrorKind value
    error: str | None = None
    pid: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status in ("succeeded", "succeeded-with-warnings")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PolicyState:
    policy: str
    last_slot_done: str | None = None  # newest schedule slot served by a successful run
    last_success_at: str | None = None
    last_attempt_at: str | None = None
    failures: int = 0  # consecutive failed runs since the last success
    retry_at: str | None = None  # backoff: no new attempt before this
    alert_state: str = "ok"  # the health last notified: ok | warning | failing
    alert_reason: str | None = None
    alerted_at: str | None = None  # when the last alert notification was sent

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _run(row: sqlite3.Row) -> PolicyRun:
    data = {k: row[k] for k in row.keys() if k != "details_json"}
    data["details"] = json.loads(row["details_json"] or "{}")
    return PolicyRun(**data)


def start_run(
    catalog: Catalog, policy: str, kind: str, trigger: str, slot: str | None = None, job_id: int | None = None
) -> int:
    with catalog.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO policy_runs (policy, kind, trigger, slot, started_at, status, job_id, pid)"
            " VALUES (?, ?, ?, ?, ?, 'running', ?, ?)",
            (policy, kind, trigger, slot, utc_now(), job_id, os.getpid()),
        )
        run_id = cur.lastrowid
    assert run_id is not None
    return run_id


def finish_run(
    catalog: Catalog,
    run_id: int,
    status: str,
    *,
    job_id: int | None = None,
    point_id: str | None = None,
    size_bytes: int | None = None,
    duration_s: float | None = None,
    error_kind: str | None = None,
    error: str | None = None,
    details: dict[str, Any] | None = None,
) -> PolicyRun:
    with catalog.transaction() as conn:
        conn.execute(
            "UPDATE policy_runs SET finished_at = ?, status = ?, job_id = COALESCE(?, job_id), point_id = ?,"
            " size_bytes = ?, duration_s = ?, error_kind = ?, error = ?, details_json = ? WHERE id = ?",
            (utc_now(), status, job_id, point_id, size_bytes, duration_s, error_kind, error,
             json.dumps(details or {}, sort_keys=True), run_id),
        )
    return get_run(catalog, run_id)


def get_run(catalog: Catalog, run_id: int) -> PolicyRun:
    row = catalog.conn.execute("SELECT * FROM policy_runs WHERE id = ?", (run_id,)).fetchone()
    if row is None:
        raise KeyError(run_id)
    return _run(row)


def list_runs(
    catalog: Catalog, policy: str | None = None, kind: str | None = None, limit: int = 100
) -> list[PolicyRun]:
    """Newest first."""
    sql = "SELECT * FROM policy_runs WHERE 1 = 1"
    args: list[Any] = []
    if policy is not None:
        sql += " AND policy = ?"
        args.append(policy)
    if kind is not None:
        sql += " AND kind = ?"
        args.append(kind)
    sql += " ORDER BY started_at DESC, id DESC LIMIT ?"
    args.append(limit)
    return [_run(r) for r in catalog.conn.execute(sql, args)]


def last_run(catalog: Catalog, policy: str, kind: str = BACKUP, *, ok_only: bool = False) -> PolicyRun | None:
    sql = "SELECT * FROM policy_runs WHERE policy = ? AND kind = ? AND status != 'running'"
    if ok_only:
        sql += " AND status IN ('succeeded', 'succeeded-with-warnings')"
    row = catalog.conn.execute(sql + " ORDER BY started_at DESC, id DESC LIMIT 1", (policy, kind)).fetchone()
    return None if row is None else _run(row)


def get_state(catalog: Catalog, policy: str) -> PolicyState:
    row = catalog.conn.execute("SELECT * FROM policy_state WHERE policy = ?", (policy,)).fetchone()
    if row is None:
        return PolicyState(policy)
    return PolicyState(**{k: row[k] for k in row.keys()})


_STATE_COLUMNS = tuple(f.name for f in fields(PolicyState) if f.name != "policy")


def update_state(catalog: Catalog, policy: str, **changes: Any) -> PolicyState:
    """Set the given PolicyState fields (others unchanged), creating the row if needed."""
    unknown = set(changes) - set(_STATE_COLUMNS)
    if unknown:
        raise ValueError(f"unknown policy state fields: {sorted(unknown)}")
    with catalog.transaction() as conn:
        conn.execute("INSERT OR IGNORE INTO policy_state (policy) VALUES (?)", (policy,))
        if changes:
            sets = ", ".join(f"{k} = ?" for k in changes)
            conn.execute(f"UPDATE policy_state SET {sets} WHERE policy = ?", (*changes.values(), policy))
    return get_state(catalog, policy)
