"""Jobs that outlive the terminal app: long jobs run as detached `tui-backup` children.

The app starts `python -m tui_backup --config FILE <command> …` in its own session (so a
Ctrl-C or a closed terminal does not reach it), stdin from /dev/null, stdout and stderr to
a private output file in the profile's logs dir. The child records its job in the catalog
like any CLI run, so the app — this one or the next — follows it through the catalog and
the job's log (tui_backup.jobs.tail / control), exactly as it follows a cron job.

Never a shell; secrets are never in the child's arguments (it reads them as the CLI does:
password file, command, environment or keyring).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tui_backup import clock
from tui_backup.catalog import jobs as job_rows
from tui_backup.catalog.jobs import JobRecord
from tui_backup.errors import UsageError
from tui_backup.fsutil import make_private_dir, open_private
from tui_backup.jobs.events import FAILED, SUCCEEDED, Finished, Progress

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService

INTERFACE_ENV = "TUI_BACKUP_INTERFACE"  # the child's jobs say which interface started them
INTERFACE = "tui"
POLL_S = 0.25
OUTPUT_LINES = 5  # lines of the child's output shown when it failed before its job started


@dataclass
class DetachedChild:
    """One `tui-backup` child this app started."""

    process: subprocess.Popen[bytes]
    args: tuple[str, ...]
    output: Path
    after_job_id: int  # the catalog's newest job id when it started: its jobs come after
    _reaper: threading.Thread | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def exited(self) -> bool:
        # returncode, not poll(): the reaper thread holds the wait lock, and poll() then
        # answers None whatever the state.
        return self.process.returncode is not None

    def output_tail(self, n: int = OUTPUT_LINES) -> str:
        try:
            lines = self.output.read_text("utf-8", "replace").strip().splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])


def child_argv(config_file: Path, args: Sequence[str]) -> list[str]:
    """The child's command line: this interpreter, this package, the profile's config file."""
    return [sys.executable, "-m", "tui_backup", "--config", str(config_file), *args]


def launch(svc: ProfileService, args: Sequence[str], *, env: dict[str, str] | None = None) -> DetachedChild:
    """Start `tui-backup <args>` on `svc`'s profile as a detached child (returns at once)."""
    logs = make_private_dir(svc.paths.logs_dir)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    output = logs / f"background-{stamp}-{os.getpid()}.out"
    row = svc.catalog.conn.execute("SELECT COALESCE(MAX(id), 0) FROM jobs").fetchone()
    after_job_id = int(row[0])
    fd = open_private(output)
    child_env = dict(os.environ if env is None else env)
    # Plain output into the file: no colours, no cursor movement, a fixed width.
    child_env.update({INTERFACE_ENV: INTERFACE, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "1000"})
    child_env.pop("TUI_BACKUP_CONFIG", None)  # --config names the file
    pinned = clock.pinned_at()
    if pinned is not None:  # the child keeps the app's clock (tests, rehearsals)
        child_env[clock.NOW_ENV] = pinned.isoformat()
    try:
        proc = subprocess.Popen(
            child_argv(svc.config.file, args),
            stdin=subprocess.DEVNULL,
            stdout=fd,
            stderr=subprocess.STDOUT,
            env=child_env,
            start_new_session=True,  # outlives the app, its terminal and its Ctrl-C
            close_fds=True,
        )
    finally:
        os.close(fd)
    child = DetachedChild(proc, tuple(args), output, after_job_id)
    # Reap it as soon as it ends: a zombie still "exists" for kill(pid, 0), and the catalog
    # would see a job whose process died as running.
    child._reaper = threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True)
    child._reaper.start()
    return child


@dataclass(frozen=True)
class ChildResult:
    """How a detached child ended: its exit status, the jobs it recorded, its last output."""

    exit_code: int
    jobs: tuple[JobRecord, ...]  # oldest first; none if it stopped before a job (skipped, refused)
    output: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def main_job(self) -> JobRecord | None:
        """The job the command is about (its first: a backup's snapshot or a run's prune come after)."""
        return self.jobs[0] if self.jobs else None

    def error(self) -> tuple[str, str]:
        """(message, hint) as the CLI printed them (`error: …` / `hint: …` lines)."""
        message = hint = ""
        for line in self.output.splitlines():
            text = line.strip()
            if text.startswith("error:"):
                message, hint = text[len("error:"):].strip(), ""
            elif text.startswith("hint:"):
                hint = text[len("hint:"):].strip()
        if not message:
            lines = [ln for ln in self.output.splitlines() if ln.strip()]
            message = lines[-1].strip() if lines else f"exit status {self.exit_code}"
        return message, hint

    def finished(self) -> Finished:
        """The main job's end as the runner's Finished event (what in-process runs return)."""
        job = self.main_job
        if job is None:
            message, hint = self.error()
            return Finished(0, SUCCEEDED if self.ok else FAILED, summary=message if self.ok else "",
                            error_message=None if self.ok else message, hint=hint or None)
        message, hint = self.error() if not self.ok else ("", "")
        return Finished(job.id, job.status, summary=job.summary or "", error_message=job.error or message or None,
                        hint=hint or None, duration_s=job.duration_s or 0.0, bytes_done=job.bytes)


def jobs_of(svc: ProfileService, child: DetachedChild) -> list[JobRecord]:
    """The jobs the child recorded so far (rows with its pid, newer than its start), oldest first."""
    rows = svc.catalog.conn.execute(
        "SELECT id FROM jobs WHERE pid = ? AND id > ? ORDER BY id", (child.pid, child.after_job_id)
    ).fetchall()
    return [svc.get_job(int(r[0])) for r in rows]


def follow(svc: ProfileService, child: DetachedChild, *, on_progress: Callable[[Progress], object],
           should_stop: Callable[[], bool] = lambda: False) -> ChildResult | None:
    """Wait for the child to end, passing on the progress its running job publishes.

    The child, not one job, is followed: a policy run is a backup job then a prune job.
    Returns None if `should_stop` said to stop following first (the child goes on).
    """
    from tui_backup.jobs import control

    # Said at once: the first figures a job publishes come up to a second later, and some
    # jobs (a snapshot) publish none.
    on_progress(Progress("starting", message=f"started in the background (pid {child.pid})"))
    last: Progress | None = None
    while not child.exited():
        if should_stop():
            return None
        running = [j for j in jobs_of(svc, child) if j.status == job_rows.RUNNING]
        if running and running[-1].log_path:
            p = control.read_progress(running[-1].log_path)
            if p is not None and p != last:
                last = p
                on_progress(p)
        time.sleep(POLL_S)
    jobs = jobs_of(svc, child)
    if any(j.status == job_rows.RUNNING for j in jobs):
        job_rows.reap_dead_jobs(svc.catalog)  # a child that died mid-job: its job failed
        jobs = jobs_of(svc, child)
    code = child.process.returncode
    result = ChildResult(code if code is not None else -1, tuple(jobs), child.output_tail())
    if result.ok:  # its jobs' logs hold the detail; a failure's output is kept (its hint names it)
        with contextlib.suppress(OSError):
            child.output.unlink()
    return result


class BackgroundJobs:
    """The detached children one app session started, and the jobs it runs itself.

    "This app's running jobs" (asked about when quitting) = catalog rows still running whose
    process is this one (in-process jobs) or one of its detached children.
    """

    def __init__(self, svc: ProfileService) -> None:
        self._svc = svc
        self._lock = threading.Lock()
        self._children: list[DetachedChild] = []

    def start(self, args: Sequence[str]) -> DetachedChild:
        child = launch(self._svc, args)
        with self._lock:
            self._children.append(child)
        return child

    @property
    def children(self) -> list[DetachedChild]:
        with self._lock:
            return list(self._children)

    def running_jobs(self) -> list[JobRecord]:
        """Running jobs of this app: its own process's and its detached children's."""
        pids = {os.getpid(), *(c.pid for c in self.children if not c.exited())}
        return [j for j in self._svc.list_jobs() if j.status == job_rows.RUNNING and j.pid in pids]

    def is_detached(self, job: JobRecord) -> bool:
        return any(c.pid == job.pid for c in self.children)

    def is_inner(self, job: JobRecord) -> bool:
        """A step of a child's command (a backup's snapshot, a run's prune), not its main job."""
        child = next((c for c in self.children if c.pid == job.pid), None)
        if child is None:
            return False
        first = jobs_of(self._svc, child)[:1]
        return bool(first) and first[0].id != job.id

    def cancel(self, jobs: Sequence[JobRecord], *, timeout: float = 15.0, grace: float = 3.0) -> list[JobRecord]:
        """Cancel these jobs gracefully and wait (up to `timeout`) for them to end.

        First the job's own cancel path (svc.cancel_job: the runner's SIGINT → SIGTERM →
        SIGKILL); a detached child whose job has not ended after `grace` gets a SIGINT, as
        Ctrl-C would. Returns the jobs' last rows.
        """
        for job in jobs:
            with contextlib.suppress(UsageError):  # it ended meanwhile
                self._svc.cancel_job(job.id)
        start = time.monotonic()
        interrupted = False
        rows = {j.id: j for j in jobs}
        while True:
            rows = {j: self._svc.get_job(j) for j in rows}
            left = [j for j in rows.values() if j.status == job_rows.RUNNING]
            if not left or time.monotonic() - start > timeout:
                return list(rows.values())
            if not interrupted and time.monotonic() - start > grace:
                interrupted = True
                for child in self.children:
                    if any(j.pid == child.pid for j in left) and not child.exited():
                        with contextlib.suppress(ProcessLookupError):
                            child.process.send_signal(signal.SIGINT)
            time.sleep(POLL_S / 2)


__all__ = ["BackgroundJobs", "ChildResult", "DetachedChild", "child_argv", "follow", "jobs_of", "launch"]
