"""Watching and cancelling a job from another process (`jobs cancel ID`, a TUI following cron).

Beside each job's log file `job-000012-backup.log` the runner keeps:
- `job-000012-backup.progress.json`: the latest `Progress` as JSON, replaced at most once
  a second while the job runs (removed at the end) — `read_progress(log_path)`;
- `job-000012-backup.cancel`: written by `request_cancel(...)`; the runner polls for it
  (twice a second) and then cancels the job exactly as Ctrl-C would (SIGINT to the tool,
  grace periods, ...). A file instead of a signal: it works whatever thread or loop the
  runner lives in (TUI workers, the CLI, a daemon), and cannot hit a recycled PID.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import asdict
from pathlib import Path

from tui_backup.catalog import Catalog
from tui_backup.catalog import jobs as job_rows
from tui_backup.catalog.jobs import JobRecord
from tui_backup.errors import UsageError
from tui_backup.fsutil import FILE_MODE, atomic_write_bytes, pid_alive
from tui_backup.jobs.events import Progress


def cancel_flag_path(log_path: str | Path) -> Path:
    return Path(log_path).with_suffix(".cancel")


def progress_path(log_path: str | Path) -> Path:
    return Path(log_path).with_suffix(".progress.json")


def request_cancel(catalog: Catalog, job_id: int) -> JobRecord:
    """Ask the process running job `job_id` to cancel it; returns the job's row.

    Raises UsageError if the job is not running. A job whose process died is marked failed
    (as `reap_dead_jobs` does) and reported as not running.
    """
    job = job_rows.get_job(catalog, job_id)
    if job.status != job_rows.RUNNING:
        raise UsageError(f"job {job_id} is not running (it {job.status})", "see `tui-backup jobs list`")
    if job.pid and job.host and job.host == _hostname() and not pid_alive(job.pid):
        job_rows.reap_dead_jobs(catalog)
        raise UsageError(f"job {job_id} is not running: its process {job.pid} is gone", "see `tui-backup jobs list`")
    if not job.log_path:
        raise UsageError(f"job {job_id} cannot be cancelled from here (it has no log file)", "")
    flag = cancel_flag_path(job.log_path)
    data = json.dumps({"requested_by": os.getpid(), "at": time.time()}).encode()
    atomic_write_bytes(flag, data)
    flag.chmod(FILE_MODE)
    return job


def wait_finished(catalog: Catalog, job_id: int, timeout: float = 60.0, poll: float = 0.2) -> JobRecord:
    """Poll the catalog until the job is no longer running (or `timeout`); returns its row."""
    deadline = time.monotonic() + timeout
    while True:
        job = job_rows.get_job(catalog, job_id)
        if job.status != job_rows.RUNNING or time.monotonic() >= deadline:
            return job
        time.sleep(poll)


def read_progress(log_path: str | Path) -> Progress | None:
    """The latest progress a running job published (any process), or None."""
    try:
        raw = json.loads(progress_path(log_path).read_bytes())
        return Progress(**raw)
    except (OSError, ValueError, TypeError):
        return None


def write_progress(log_path: Path, progress: Progress) -> None:
    """Publish `progress` for other processes (temp file + rename; not fsynced: ephemeral)."""
    final = progress_path(log_path)
    tmp = final.with_name(f".{final.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
    try:
        os.write(fd, json.dumps(asdict(progress)).encode())
    finally:
        os.close(fd)
    os.replace(tmp, final)


def clear_job_files(log_path: Path) -> None:
    for p in (cancel_flag_path(log_path), progress_path(log_path)):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _hostname() -> str:
    import socket

    return socket.gethostname()
