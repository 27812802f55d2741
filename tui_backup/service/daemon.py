"""`tui-backup daemon`: the scheduler in the foreground (a systemd service, a container).

The scheduler loop runs in a worker thread; the main thread only handles signals:

- it sleeps until the earliest due time (`scheduler.next_wakeup`), at most `max_sleep_s`
  (60 s) at a time, and compares the wall clock with the monotonic clock after each sleep
  so a clock jump or a suspend is noticed (and logged) at once: due times are re-computed
  from the wall clock on every wake-up, so a missed slot runs once, on waking;
- SIGHUP: reload the config (a bad config is logged and the old one kept);
- SIGTERM / SIGINT: stop — no new run starts, and running jobs are cancelled gracefully
  through the job runner's cancel request (SIGINT, then SIGTERM, then SIGKILL to the
  child; a cancelled backup leaves no restore point), then the loop ends.

One line per decision goes to stderr (`log`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING

from tui_backup import clock
from tui_backup.catalog import jobs as job_rows
from tui_backup.errors import TuiBackupError

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService

MAX_SLEEP_S = 60.0  # never sleep longer: clock jumps and suspends are noticed within this
JUMP_TOLERANCE_S = 5.0  # wall vs monotonic difference that counts as a jump
MIN_PASS_GAP_S = 30.0  # between two run-due passes (a policy still due after one: locked, cancelled)
STOP_POLL_S = 0.25

Log = Callable[[str], None]


def stderr_log(text: str) -> None:
    stamp = clock.to_catalog(clock.now())[:19] + "Z"
    print(f"{stamp} tui-backup daemon: {text}", file=sys.stderr, flush=True)


class Daemon:
    def __init__(
        self,
        svc: ProfileService,
        *,
        log: Log = stderr_log,
        max_sleep_s: float = MAX_SLEEP_S,
        min_pass_gap_s: float = MIN_PASS_GAP_S,
    ) -> None:
        self.svc = svc
        self.log = log
        self.max_sleep_s = max_sleep_s
        self.min_pass_gap_s = min_pass_gap_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._reload = threading.Event()
        self._stop_reason = ""
        self._cancelled: set[int] = set()
        self._announced: datetime | None = None
        self.error: BaseException | None = None

    # -- control (signal handlers, tests) --

    def request_stop(self, reason: str = "stop requested") -> None:
        if not self._stop.is_set():
            self._stop_reason = reason
        self._stop.set()
        self._wake.set()

    def request_reload(self) -> None:
        self._reload.set()
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # -- the main thread --

    def serve(self) -> int:
        """Run until SIGTERM/SIGINT (from the main thread: installs the signal handlers)."""

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            if signum == signal.SIGHUP:
                self.request_reload()
            else:
                self.request_stop(f"stopped by {signal.Signals(signum).name}")

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)}
        try:
            worker = threading.Thread(target=self._worker, name="scheduler", daemon=True)
            worker.start()
            self.log(f"started (pid {os.getpid()}, profile {self.svc.config.name},"
                     f" {len(self.svc.policies())} policies)")
            while worker.is_alive():
                worker.join(STOP_POLL_S)
                if self._stop.is_set():
                    self._cancel_running_jobs()
            self.log(f"stopped ({self._stop_reason or 'done'})")
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
        return 1 if self.error is not None else 0

    def _cancel_running_jobs(self) -> None:
        """Ask this process's running jobs to stop (the runner polls the request)."""
        from tui_backup.jobs import control

        with contextlib.suppress(TuiBackupError, OSError):
            for job in job_rows.list_jobs(self.svc.catalog, 50):
                if job.status == job_rows.RUNNING and job.pid == os.getpid() and job.id not in self._cancelled:
                    self._cancelled.add(job.id)
                    with contextlib.suppress(TuiBackupError, OSError):
                        control.request_cancel(self.svc.catalog, job.id)
                        self.log(f"cancelling job {job.id} ({job.kind} {job.target})")

    # -- the scheduler thread --

    def _worker(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # reported, and the daemon exits 1
            self.error = exc
            self.log(f"scheduler crashed: {type(exc).__name__}: {exc}")
        finally:
            self.svc.catalog.close()  # this thread's connection

    def _loop(self) -> None:
        from tui_backup.service import scheduler

        last_pass: float | None = None
        while not self._stop.is_set():
            if self._reload.is_set():
                self._reload.clear()
                self._do_reload()
                last_pass = None  # a new plan: what it makes due runs at once
            now = clock.now()
            scheduler.note_new_policies(self.svc, now)
            wake_at = scheduler.next_wakeup(self.svc, now)
            if wake_at is not None and wake_at <= now:
                gap = None if last_pass is None else time.monotonic() - last_pass
                if gap is None or gap >= self.min_pass_gap_s:
                    last_pass = time.monotonic()
                    self._pass()
                    continue
                wait_s = self.min_pass_gap_s - gap
            else:
                wait_s = self.max_sleep_s if wake_at is None else (wake_at - now).total_seconds()
            self._sleep(min(self.max_sleep_s, max(0.05, wait_s)), wake_at)

    def _pass(self) -> None:
        from tui_backup.service import scheduler

        report = scheduler.run_due(self.svc, (), log=self.log, should_stop=self._stop.is_set)
        if not report.items and not report.skipped:
            self.log("nothing to run")

    def _sleep(self, seconds: float, wake_at: datetime | None) -> None:
        if wake_at != self._announced:  # once per new plan, not every minute
            self._announced = wake_at
            when = f"{clock.to_catalog(wake_at)[:19]}Z" if wake_at is not None else "never (nothing scheduled)"
            self.log(f"next run at {when}")
        wall, mono = time.time(), time.monotonic()
        self._wake.wait(seconds)
        self._wake.clear()
        jump = (time.time() - wall) - (time.monotonic() - mono)
        if abs(jump) > JUMP_TOLERANCE_S:
            what = "the machine was suspended or the clock jumped" if jump > 0 else "the clock jumped back"
            self.log(f"{what} ({timedelta(seconds=round(jump))}): re-planning")

    def _do_reload(self) -> None:
        try:
            self.svc.reload_config()
        except TuiBackupError as exc:
            self.log(f"config not reloaded: {exc.message}" + (f" ({exc.hint})" if exc.hint else "")
                     + "; keeping the previous one")
            return
        names = ", ".join(p.name for p in self.svc.policies()) or "none"
        self.log(f"config reloaded: policies {names}")


def run_daemon(svc: ProfileService, *, log: Log = stderr_log, max_sleep_s: float = MAX_SLEEP_S,
               min_pass_gap_s: float = MIN_PASS_GAP_S) -> int:
    """Serve `svc` until stopped; the exit code."""
    return Daemon(svc, log=log, max_sleep_s=max_sleep_s, min_pass_gap_s=min_pass_gap_s).serve()


__all__ = ["Daemon", "run_daemon", "stderr_log"]
