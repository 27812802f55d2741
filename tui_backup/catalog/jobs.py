"""Job rows: every snapshot, verify, restore and prune the tool runs."""

from __future__ import annotations

import os
import socket
import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

from tui_backup.catalog._db import Catalog, utc_now
from tui_backup.errors import NotFoundError

RUNNING = "running"
SUCCEEDED = "succeeded"
SUCCEEDED_WITH_WARNINGS = "succeeded-with-warnings"  # the job runner's: e.g. unreadable files skipped
FAILED = "failed"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class JobRecord:
    id: int
    kind: str
    target: str
    started_at: str
    finished_at: str | None
    status: str
    bytes: int
    duration_s: float | None
    error: str | None
    log_path: str | None
    pid: int | None = None
    host: str | None = None
    interface: str | None = None
    summary: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _from_row(row: sqlite3.Row) -> JobRecord:
    return JobRecord(**{k: row[k] for k in row.keys()})


def start_job(catalog: Catalog, kind: str, target: str, interface: str, log_path: str | None = None) -> int:
    with catalog.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO jobs (kind, target, started_at, status, log_path, pid, host, interface)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, target, utc_now(), RUNNING, log_path, os.getpid(), socket.gethostname(), interface),
        )
        job_id = cur.lastrowid
    assert job_id is not None
    return job_id


def set_log_path(catalog: Catalog, job_id: int, log_path: str) -> None:
    with catalog.transaction() as conn:
        conn.execute("UPDATE jobs SET log_path = ? WHERE id = ?", (log_path, job_id))


def finish_job(
    catalog: Catalog,
    job_id: int,
    status: str,
    *,
    duration_s: float,
    bytes_done: int = 0,
    error: str | None = None,
    summary: str | None = None,
) -> None:
    with catalog.transaction() as conn:
        conn.execute(
            "UPDATE jobs SET finished_at = ?, status = ?, duration_s = ?, bytes = ?, error = ?, summary = ?"
            " WHERE id = ?",
            (utc_now(), status, duration_s, bytes_done, error, summary, job_id),
        )


def list_jobs(catalog: Catalog, limit: int = 200) -> list[JobRecord]:
    rows = catalog.conn.execute("SELECT * FROM jobs ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [_from_row(r) for r in rows]


def get_job(catalog: Catalog, job_id: int) -> JobRecord:
    row = catalog.conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no job {job_id}", "list jobs with `tui-backup jobs list`")
    return _from_row(row)


def reap_dead_jobs(catalog: Catalog) -> int:
    """Mark jobs of this host whose process is gone (killed) as failed."""
    host = socket.gethostname()
    rows = catalog.conn.execute("SELECT id, pid FROM jobs WHERE status = ? AND host = ?", (RUNNING, host)).fetchall()
    dead = [r["id"] for r in rows if r["pid"] and not _alive(int(r["pid"]))]
    if dead:
        with catalog.transaction() as conn:
            for job_id in dead:
                conn.execute(
                    "UPDATE jobs SET status = ?, finished_at = ?, error = ? WHERE id = ? AND status = ?",
                    (FAILED, utc_now(), "interrupted: the process running it died", job_id, RUNNING),
                )
    return len(dead)


def _alive(pid: int) -> bool:
    from tui_backup.fsutil import pid_alive

    return pid == os.getpid() or pid_alive(pid)
