"""The asyncio job runner: jobs, their events, subscribers, locks, limits, cancellation.

A **job** is a `JobSpec`: kind ("backup", "restore", "check", ...), target (usually the
destination's name) and a body, `async def body(ctx: JobContext) -> None`. The body does
its work through the context:

    async def body(ctx: JobContext) -> None:
        parser = ResticJsonParser()
        result = await ctx.run(["restic", "backup", "--json", "--", path], env=env, parser=parser)
        c = classify_restic(result.exit_code, result.stderr_lines, {"destination": name})
        c.raise_if_failed()              # JobError -> Finished(failed, kind, message, hint)
        if c.kind is not None:           # e.g. files unreadable: kept, with warnings
            ctx.warn(c.message, c.paths)
        ctx.summary = f"snapshot {parser.snapshot_id}"
        ctx.details["snapshot_id"] = parser.snapshot_id

    runner = JobRunner.for_profile(svc)  # catalog, logs, locks, [jobs] max_concurrent
    finished = await runner.run(JobSpec("backup", name, body, lock=name), [on_event])
    # from synchronous code (the CLI, a TUI thread worker):
    finished = run_job_sync(runner, spec, on_event)

What the runner does for every job:
- records it in the catalog (`jobs` row: running → succeeded / succeeded-with-warnings /
  failed / cancelled) with a log file `<logs_dir>/job-000012-backup.log` (0600) that gets
  every log line (child output that is not a progress record, the runner's own notes,
  warnings and the outcome);
- emits `Started`, `Progress`, `LogLine`, `JobWarning`, `Finished` (tui_backup.jobs.events)
  to any number of subscribers. A subscriber is a callable taking one event (or, with
  `subscribe(..., batch=True)`, a list of events); it may be sync or async. Each has its
  own mailbox and delivery task, so a slow one never slows the job: progress is coalesced
  (the newest replaces a queued older one; at most one every `PROGRESS_INTERVAL` = 0.1 s),
  log lines queue (beyond `MAX_QUEUED` they are dropped for that subscriber only — they
  are all in the log file). A subscriber that raises is dropped and noted in the log;
- takes the destination lock (`lock=NAME`: fail at once naming the holder, or `wait=True`)
  and then one of `max_concurrent` job slots (shared by all processes of the profile);
- applies `timeout_s` (Finished: failed, kind timed-out);
- cancels on `handle.cancel()`, Ctrl-C (`run_job_sync`), SIGTERM to the process
  (`run_job_sync` in the main thread), or `jobs cancel ID` from another process (a
  cancel-request file, see tui_backup.jobs.control). Cancelling the job's task makes
  `ctx.run` stop its child: SIGINT, grace, SIGTERM, grace, SIGKILL to the process group,
  then the `on_killed` hook (restic: `restic unlock`). Bodies may catch
  `asyncio.CancelledError` to clean up (e.g. remove an `.inprogress` directory) and must
  re-raise it;
- publishes the latest progress for other processes (`control.read_progress`).

Synchronous code inside a job (snapshots, hashing) runs with `await ctx.in_thread(fn, ...)`;
`ctx.cancel_token` is set when the job is cancelled and `ctx.progress` may be called
from that thread (it only stores the newest value; the runner picks it up 10 times a second).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import itertools
import os
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tui_backup.catalog import Catalog
from tui_backup.catalog import jobs as job_rows
from tui_backup.errors import CancelledError as UserCancelled
from tui_backup.errors import TuiBackupError
from tui_backup.fsutil import FILE_MODE, make_private_dir
from tui_backup.jobs import control, orphans
from tui_backup.jobs.errors import ErrorKind, JobError, describe
from tui_backup.jobs.events import (
    CANCELLED,
    FAILED,
    SUCCEEDED,
    SUCCEEDED_WITH_WARNINGS,
    CancelToken,
    Event,
    Finished,
    JobWarning,
    LogLine,
    Progress,
    Started,
)
from tui_backup.jobs.locks import FileLock, LockHeldError, SlotPool, destination_lock
from tui_backup.jobs.parsers import OutputParser
from tui_backup.jobs.process import DEFAULT_GRACE, KillHook, ProcessResult, run_process

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService

PROGRESS_INTERVAL = 0.1  # s: coalescing window (≤ 10 progress events/s per subscriber)
CANCEL_POLL_EVERY = 5  # ticks (0.5 s) between looks for a cancel-request file
PUBLISH_EVERY = 10  # ticks (1 s) between progress files for other processes
MAX_QUEUED = 10_000  # events waiting for one subscriber before its log lines are dropped
DRAIN_TIMEOUT = 5.0  # s given to subscribers to take the last events

T = TypeVar("T")
JobBody = Callable[["JobContext"], Awaitable[None]]
Subscriber = Callable[[Event], object]
BatchSubscriber = Callable[[list[Event]], object]


@dataclass(frozen=True)
class JobSpec:
    """What to run. `lock` names the destination whose lock the job holds (None: no lock)."""

    kind: str
    target: str
    body: JobBody
    lock: str | None = None
    wait: bool = False  # wait for the destination lock instead of failing at once
    wait_timeout_s: float | None = None
    timeout_s: float | None = None
    uses_slot: bool = True  # counts against [jobs] max_concurrent
    grace: tuple[float, float] = DEFAULT_GRACE  # s a child gets after SIGINT, after SIGTERM


# ---- the job's log file ----


class _LogFile:
    """Appends `<local time>,ms LEVEL [stream] text` lines; flushed by the runner's ticks."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._f = None
        if path is not None:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
            self._f = os.fdopen(fd, "ab", buffering=65536)
        self._ms = -1
        self._stamp = b""
        self._heads: dict[tuple[bytes, str], bytes] = {}

    def write(self, level: bytes, stream: str, text: bytes) -> None:
        f = self._f
        if f is None:
            return
        ms = int(time.time() * 1000)
        if ms != self._ms:  # one timestamp per millisecond: output comes in bursts
            self._ms = ms
            sec, milli = divmod(ms, 1000)
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(sec)).encode() + b",%03d " % milli
            self._heads.clear()
        head = self._heads.get((level, stream))
        if head is None:
            tag = b"" if stream == "job" else b"[" + stream.encode() + b"] "
            head = self._heads[(level, stream)] = self._stamp + level + b" " + tag
        f.write(head)
        f.write(text)
        f.write(b"\n")

    def flush(self) -> None:
        if self._f is not None:
            self._f.flush()

    def close(self) -> None:
        if self._f is not None:
            self._f.flush()
            os.fsync(self._f.fileno())
            self._f.close()
            self._f = None


# ---- subscribers ----


class _Mailbox:
    """One subscriber's queue and delivery task: log lines in order, progress newest-only."""

    def __init__(self, callback: Callable[[Any], object], batch: bool, note: Callable[[str], None]) -> None:
        self.callback = callback
        self.is_async = inspect.iscoroutinefunction(callback) or inspect.iscoroutinefunction(
            getattr(callback, "__call__", None)  # noqa: B004
        )
        self.batch = batch
        self.note = note
        self.items: deque[Event] = deque()
        self.pending: Progress | None = None
        self.dropped = 0
        self.dead = False
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def put(self, event: Event) -> None:
        if self.dead:
            return
        if isinstance(event, Progress):
            self.pending = event  # can_replace: a newer progress replaces a queued one
        elif isinstance(event, LogLine) and len(self.items) >= MAX_QUEUED:
            self.dropped += 1
            return
        else:
            self.items.append(event)
        self.wake.set()

    def put_line(self, line: LogLine) -> None:
        """`put` for the hot path: a log line."""
        if len(self.items) >= MAX_QUEUED or self.dead:
            self.dropped += 1
            return
        self.items.append(line)
        self.wake.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        last_progress = -1.0
        timer: asyncio.TimerHandle | None = None
        try:
            while True:
                await self.wake.wait()
                self.wake.clear()
                out: list[Event] = list(self.items)
                self.items.clear()
                finished: Finished | None = None
                if out and isinstance(out[-1], Finished):  # Finished is always the last event put
                    finished = out[-1]
                    out.pop()
                if self.dropped:
                    out.append(LogLine("job", f"[{self.dropped} log lines not shown here: see the job's log file]"))
                    self.dropped = 0
                now = loop.time()
                if self.pending is not None:
                    if finished is not None or now - last_progress >= PROGRESS_INTERVAL:
                        out.append(self.pending)
                        self.pending = None
                        last_progress = now
                    elif timer is None or timer.cancelled() or timer.when() <= now:
                        timer = loop.call_at(last_progress + PROGRESS_INTERVAL, self.wake.set)
                if finished is not None:
                    out.append(finished)
                if out:
                    await self._deliver(out)
                if finished is not None or self.dead:
                    return
        finally:
            if timer is not None:
                timer.cancel()

    async def _deliver(self, events: list[Event]) -> None:
        callback = self.callback
        try:
            if self.batch:
                result = callback(events)
                if inspect.isawaitable(result):
                    await result
            elif self.is_async:
                for ev in events:
                    await callback(ev)  # type: ignore[misc]
            else:
                for ev in events:
                    callback(ev)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.dead = True
            self.note(f"a subscriber failed and was dropped: {type(exc).__name__}: {exc}")


# ---- the context a job body works with ----


class JobContext:
    """Handed to a job's body: output, progress, warnings, child processes, cancellation."""

    def __init__(self, handle: JobHandle) -> None:
        self._handle = handle
        self.kind = handle.spec.kind
        self.target = handle.spec.target
        self.cancel_token = CancelToken()
        self.summary = ""
        self.details: dict[str, Any] = {}
        self.bytes_done = 0
        self.warnings: list[str] = []
        self.grace: tuple[float, float] = DEFAULT_GRACE
        self._pending: Progress | None = None
        self._sources: list[OutputParser] = []

    @property
    def job_id(self) -> int:
        return self._handle.job_id

    @property
    def log_path(self) -> Path | None:
        return self._handle.log_path

    def progress(self, progress: Progress) -> None:
        """Report progress (from the loop or a worker thread); the newest wins."""
        self._pending = progress

    def watch(self, parser: OutputParser) -> None:
        """Poll `parser.progress()` ~10 times a second (ctx.run does this for its parser)."""
        self._sources.append(parser)

    def unwatch(self, parser: OutputParser) -> None:
        with contextlib.suppress(ValueError):
            self._sources.remove(parser)

    def log(self, text: str, stream: str = "job") -> None:
        """A line for the log file and the subscribers (event-loop thread only)."""
        self._handle._line(b"INFO", stream, text.encode("utf-8", "replace"), text)

    def thread_log(self, text: str) -> None:
        """`log` from a worker thread."""
        self._handle._loop.call_soon_threadsafe(self.log, text)

    def warn(self, message: str, paths: Sequence[str] = ()) -> None:
        """A warning: the job ends "succeeded with warnings" unless it fails."""
        self.warnings.append(message)
        self._handle._line(b"WARNING", "job", message.encode("utf-8", "replace"), None)
        for p in paths[:1000]:
            self._handle._line(b"WARNING", "job", b"  " + p.encode("utf-8", "replace"), None)
        self._handle._emit(JobWarning(message, tuple(paths)))

    async def run(
        self,
        argv: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        parser: OutputParser | None = None,
        cwd: str | os.PathLike[str] | None = None,
        on_killed: KillHook | None = None,
        grace: tuple[float, float] | None = None,
    ) -> ProcessResult:
        """Run a program (see tui_backup.jobs.process.run_process), its output parsed and logged.

        Lines the parser takes as progress records are not logged; every other line is.
        The exit code is not judged here: classify it (tui_backup.jobs.errors).
        """
        handle = self._handle
        line = handle._line
        if parser is not None:
            self.watch(parser)
            out_parse = parser.stdout_line
            err_parse = parser.stderr_line

            def on_stdout(data: bytes) -> None:
                if not out_parse(data):
                    line(b"INFO", "stdout", data, None)

            def on_stderr(data: bytes) -> None:
                if not err_parse(data):
                    line(b"INFO", "stderr", data, None)
        else:

            def on_stdout(data: bytes) -> None:
                line(b"INFO", "stdout", data, None)

            def on_stderr(data: bytes) -> None:
                line(b"INFO", "stderr", data, None)

        self.log("running: " + " ".join(str(a) for a in argv))
        try:
            result = await run_process(
                argv, env=env, cwd=cwd, on_stdout=on_stdout, on_stderr=on_stderr,
                grace=grace or self.grace, on_killed=on_killed, on_note=self.log,
            )
        finally:
            if parser is not None:
                handle._poll_progress()
                self.unwatch(parser)
        self.log(f"{os.path.basename(str(argv[0]))} exited with code {result.exit_code}")
        return result

    async def in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking code in a thread; on cancellation set `cancel_token` and wait for it."""
        loop = asyncio.get_running_loop()
        fut = loop.run_in_executor(None, functools.partial(fn, *args))
        try:
            return await asyncio.shield(fut)
        except asyncio.CancelledError:
            self.cancel_token.cancel()
            with contextlib.suppress(BaseException):
                await fut
            raise


# ---- a running job ----


class JobHandle:
    """A submitted job: subscribe to it, cancel it, await its `Finished`."""

    def __init__(self, runner: JobRunner, spec: JobSpec, loop: asyncio.AbstractEventLoop) -> None:
        self.runner = runner
        self.spec = spec
        self._loop = loop
        self.job_id = 0
        self.log_path: Path | None = None
        self.started: Started | None = None
        self.latest_progress: Progress | None = None
        self.finished: Finished | None = None
        self.cancel_reason: str | None = None
        self.ctx = JobContext(self)
        self._mailboxes: list[_Mailbox] = []
        self._log = _LogFile(None)
        self._done: asyncio.Future[Finished] = loop.create_future()
        self._task: asyncio.Task[None] | None = None
        self._has_line_subscribers = False

    # -- for users --

    def subscribe(self, callback: Subscriber | BatchSubscriber, *, batch: bool = False) -> None:
        """Receive this job's events (late subscribers first get Started and the latest progress)."""
        box = _Mailbox(callback, batch, self._note_safe)
        if self.started is not None:
            box.put(self.started)
        if self.latest_progress is not None:
            box.put(self.latest_progress)
        if self.finished is not None:
            box.put(self.finished)
        self._mailboxes.append(box)
        self._has_line_subscribers = True
        box.task = self._loop.create_task(box.run())

    def cancel(self, reason: str = "cancelled by the user") -> None:
        """Stop the job gracefully (safe to call twice; a second call does not restart anything)."""
        if self._task is None or self._task.done() or self.cancel_reason is not None:
            return
        self.cancel_reason = reason
        self.ctx.cancel_token.cancel()
        self._task.cancel()

    def cancel_threadsafe(self, reason: str = "cancelled by the user") -> None:
        self._loop.call_soon_threadsafe(self.cancel, reason)

    @property
    def done(self) -> bool:
        return self._done.done()

    async def wait(self) -> Finished:
        return await asyncio.shield(self._done)

    # -- for the runner and the context --

    def _emit(self, event: Event) -> None:
        for box in self._mailboxes:
            box.put(event)

    def _line(self, level: bytes, stream: str, data: bytes, text: str | None) -> None:
        self._log.write(level, stream, data)
        if self._mailboxes:
            line = LogLine(stream, text if text is not None else data.decode("utf-8", "replace"))
            for box in self._mailboxes:
                box.put_line(line)

    def _note(self, text: str) -> None:
        self._line(b"INFO", "job", text.encode("utf-8", "replace"), text)

    def _note_safe(self, text: str) -> None:
        self._log.write(b"WARNING", "job", text.encode("utf-8", "replace"))

    def _poll_progress(self) -> None:
        ctx = self.ctx
        newest: Progress | None = None
        for source in ctx._sources:
            p = source.progress()
            if p is not None:
                newest = p
        if ctx._pending is not None:
            newest, ctx._pending = ctx._pending, None
        if newest is not None and newest != self.latest_progress:
            self.latest_progress = newest
            self._emit(newest)


class JobRunner:
    """Runs jobs in the current event loop. One per process (or per profile) is enough.

    `catalog`/`logs_dir` None: no catalog row / no log file (tests, benchmarks).
    `locks_dir` None: destination locks and slots stay inside this process (in-process
    semaphore; `lock=` is then ignored).
    """

    def __init__(
        self,
        *,
        catalog: Catalog | None = None,
        logs_dir: Path | None = None,
        locks_dir: Path | None = None,
        max_concurrent: int = 2,
        interface: str = "cli",
    ) -> None:
        self.catalog = catalog
        self.logs_dir = logs_dir
        self.locks_dir = locks_dir
        self.max_concurrent = max(1, max_concurrent)
        self.interface = interface
        self.handles: dict[int, JobHandle] = {}
        self._ids = itertools.count(1)
        self._semaphore: asyncio.Semaphore | None = None

    @classmethod
    def for_profile(cls, svc: ProfileService) -> JobRunner:
        return cls(
            catalog=svc.catalog,
            logs_dir=svc.paths.logs_dir,
            locks_dir=svc.paths.state_dir / "locks",
            max_concurrent=svc.config.jobs.max_concurrent,
            interface=svc.interface,
        )

    def start(self, spec: JobSpec, subscribers: Iterable[Subscriber] = ()) -> JobHandle:
        """Submit a job from inside the running loop; returns its handle at once."""
        loop = asyncio.get_running_loop()
        handle = JobHandle(self, spec, loop)
        for s in subscribers:
            handle.subscribe(s)
        handle._task = loop.create_task(self._run(handle), name=f"job {spec.kind} {spec.target}")
        return handle

    async def run(self, spec: JobSpec, subscribers: Iterable[Subscriber] = ()) -> Finished:
        """Run a job to its end; cancelling the awaiting task cancels the job gracefully."""
        handle = self.start(spec, subscribers)
        try:
            return await handle.wait()
        except asyncio.CancelledError:
            handle.cancel("interrupted")
            return await handle.wait()

    def running(self) -> list[JobHandle]:
        return [h for h in self.handles.values() if not h.done]

    def cancel_all(self, reason: str = "cancelled") -> None:
        for h in self.running():
            h.cancel(reason)

    # -- the life of a job --

    def _open_record(self, handle: JobHandle) -> None:
        spec = handle.spec
        if self.catalog is not None:
            handle.job_id = job_rows.start_job(self.catalog, spec.kind, spec.target, self.interface)
        else:
            handle.job_id = next(self._ids)
        if self.logs_dir is not None:
            make_private_dir(self.logs_dir)
            handle.log_path = self.logs_dir / f"job-{handle.job_id:06d}-{spec.kind}.log"
            handle._log = _LogFile(handle.log_path)
            if self.catalog is not None:
                job_rows.set_log_path(self.catalog, handle.job_id, str(handle.log_path))
        self.handles[handle.job_id] = handle

    @staticmethod
    async def _stop_left_running(handle: JobHandle, dead_pid: int) -> None:
        """The rsync/restic a killed holder started may still write to the destination (they
        run in their own session): stop them before this job touches what they write."""
        left = await asyncio.to_thread(orphans.children_of_dead, dead_pid)
        if left:
            handle._note(f"stopping what PID {dead_pid} left running: PID {', '.join(map(str, left))}")
            await asyncio.to_thread(orphans.stop, left)

    async def _run(self, handle: JobHandle) -> None:
        spec = handle.spec
        ctx = handle.ctx
        started = time.monotonic()
        ticker: asyncio.Task[None] | None = None
        dest_lock: FileLock | None = None
        slot: FileLock | None = None
        sem_taken = False
        finished: Finished | None = None
        try:
            self._open_record(handle)
            handle.started = Started(handle.job_id, spec.kind, spec.target, time.time(),
                                     str(handle.log_path) if handle.log_path else None)
            handle._emit(handle.started)
            handle._note(f"{spec.kind} {spec.target}: job {handle.job_id} (pid {os.getpid()})")
            ticker = asyncio.get_running_loop().create_task(self._tick(handle))
            if spec.lock is not None and self.locks_dir is not None:
                dest_lock = destination_lock(self.locks_dir, spec.lock)
                await dest_lock.acquire_async(
                    wait=spec.wait, timeout=spec.wait_timeout_s, job_id=handle.job_id,
                    what=f"{spec.kind} {spec.target}",
                    on_wait=lambda h: handle._note(
                        f"waiting for {dest_lock.name if dest_lock else ''}: held by {h.describe() if h else 'another process'}"
                    ),
                )
                if dest_lock.took_over is not None:
                    handle._note(f"took over the lock left by a dead process: {dest_lock.took_over.describe()}")
                    await self._stop_left_running(handle, dest_lock.took_over.pid)
            if spec.uses_slot:
                if self.locks_dir is not None:
                    slot = await SlotPool(self.locks_dir, self.max_concurrent).acquire(
                        job_id=handle.job_id, what=f"{spec.kind} {spec.target}",
                        on_wait=lambda: handle._note(f"waiting for a free job slot ({self.max_concurrent} in use)"),
                    )
                else:
                    if self._semaphore is None:
                        self._semaphore = asyncio.Semaphore(self.max_concurrent)
                    await self._semaphore.acquire()
                    sem_taken = True
            ctx.grace = spec.grace
            async with asyncio.timeout(spec.timeout_s) as deadline:
                try:
                    await spec.body(ctx)
                except TimeoutError:
                    if deadline.expired():
                        raise
                    raise JobError(ErrorKind.FAILED, "a network or tool operation timed out") from None
            status = SUCCEEDED_WITH_WARNINGS if ctx.warnings else SUCCEEDED
            finished = self._finished(handle, started, status)
        except asyncio.CancelledError:
            finished = self._finished(handle, started, CANCELLED, message=handle.cancel_reason or "cancelled")
        except UserCancelled as exc:
            finished = self._finished(handle, started, CANCELLED, message=exc.message)
        except TimeoutError:
            message, hint = describe(ErrorKind.TIMED_OUT, detail=f"{spec.timeout_s:g} s")
            finished = self._finished(handle, started, FAILED, ErrorKind.TIMED_OUT, message, hint)
        except JobError as exc:
            finished = self._finished(handle, started, FAILED, exc.kind, exc.message, exc.hint)
        except LockHeldError as exc:
            finished = self._finished(handle, started, FAILED, ErrorKind.DESTINATION_BUSY, exc.message, exc.hint)
        except TuiBackupError as exc:
            finished = self._finished(handle, started, FAILED, ErrorKind.FAILED, exc.message, exc.hint)
        except Exception as exc:
            for tb_line in traceback.format_exc().splitlines():
                handle._log.write(b"ERROR", "job", tb_line.encode("utf-8", "replace"))
            finished = self._finished(handle, started, FAILED, ErrorKind.FAILED, f"{type(exc).__name__}: {exc}",
                                      "this is a bug in tui-backup: please report it with the job's log")
        finally:
            if slot is not None:
                slot.release()
            if sem_taken and self._semaphore is not None:
                self._semaphore.release()
            if dest_lock is not None:
                dest_lock.release()
            if ticker is not None:
                ticker.cancel()
            if finished is None:  # only a BaseException like KeyboardInterrupt gets here
                finished = self._finished(handle, started, CANCELLED, message="interrupted")
            self._close(handle, finished)
        with contextlib.suppress(asyncio.CancelledError):
            boxes = [b.task for b in handle._mailboxes if b.task is not None]
            if boxes:
                await asyncio.wait(boxes, timeout=DRAIN_TIMEOUT)
        for box in handle._mailboxes:
            if box.task is not None and not box.task.done():
                box.task.cancel()
        if not handle._done.done():
            handle._done.set_result(finished)

    def _finished(self, handle: JobHandle, started: float, status: str, kind: ErrorKind | None = None,
                  message: str | None = None, hint: str | None = None) -> Finished:
        ctx = handle.ctx
        handle._poll_progress()
        bytes_done = ctx.bytes_done or (handle.latest_progress.bytes_done if handle.latest_progress else 0)
        return Finished(
            job_id=handle.job_id,
            status=status,
            summary=ctx.summary,
            error_kind=kind.value if kind is not None else None,
            error_message=message,
            hint=hint or None,
            duration_s=time.monotonic() - started,
            bytes_done=bytes_done,
            warnings=tuple(ctx.warnings),
            details=dict(ctx.details),
        )

    def _close(self, handle: JobHandle, finished: Finished) -> None:
        """Log the outcome, close the log, finish the catalog row, emit Finished."""
        what = finished.status + (f" ({finished.error_kind})" if finished.error_kind else "")
        text = f"{what}: {finished.error_message or finished.summary or 'done'} after {finished.duration_s:.1f} s"
        if finished.hint:
            text += f" — {finished.hint}"
        level = b"INFO" if finished.ok else (b"WARNING" if finished.status == CANCELLED else b"ERROR")
        handle._line(level, "job", text.encode("utf-8", "replace"), None)
        handle.finished = finished
        try:
            try:
                # Closed (flushed, fsynced) BEFORE the row says the job ended: whoever sees the
                # row finished (`jobs log --follow`, the Jobs pane) then finds every line.
                handle._log.close()
            finally:
                if self.catalog is not None and handle.job_id:
                    job_rows.finish_job(
                        self.catalog, handle.job_id, finished.status, duration_s=finished.duration_s,
                        bytes_done=finished.bytes_done, error=finished.error_message if not finished.ok else None,
                        summary=finished.summary or None,
                    )
        finally:
            if handle.log_path is not None:
                control.clear_job_files(handle.log_path)
            handle._emit(finished)

    async def _tick(self, handle: JobHandle) -> None:
        """Every 0.1 s: coalesced progress out, log flushed; less often: cancel requests, progress file."""
        published: Progress | None = None
        for n in itertools.count(1):
            await asyncio.sleep(PROGRESS_INTERVAL)
            handle._poll_progress()
            handle._log.flush()
            path = handle.log_path
            if path is None:
                continue
            if n % CANCEL_POLL_EVERY == 0 and control.cancel_flag_path(path).exists():
                handle._note("cancel requested by another process")
                handle.cancel("cancelled from another process (`jobs cancel`)")
            if n % PUBLISH_EVERY == 0 and handle.latest_progress is not None and handle.latest_progress != published:
                published = handle.latest_progress
                with contextlib.suppress(OSError):
                    control.write_progress(path, published)


# ---- running a job from synchronous code ----


def run_job_sync(
    runner: JobRunner,
    spec: JobSpec,
    *subscribers: Subscriber,
    handle_signals: bool = True,
) -> Finished:
    """Run one job to its end in a new event loop in the calling thread (the CLI, a thread worker).

    Subscribers are called in this thread. In the main thread, Ctrl-C (SIGINT) and SIGTERM
    cancel the job gracefully (a second Ctrl-C stops waiting for the child's grace period).
    """
    main_thread = threading.current_thread() is threading.main_thread()

    async def main() -> Finished:
        handle = runner.start(spec, subscribers)
        loop = asyncio.get_running_loop()
        if handle_signals and main_thread:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signal.SIGTERM, handle.cancel, "stopped by SIGTERM")
        try:
            return await handle.wait()
        except asyncio.CancelledError:  # asyncio.Runner turns the first Ctrl-C into this
            handle.cancel("interrupted (Ctrl-C)")
            return await handle.wait()
        finally:
            if handle_signals and main_thread:
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.remove_signal_handler(signal.SIGTERM)

    with asyncio.Runner() as r:
        return r.run(main())


__all__ = [
    "JobBody",
    "JobContext",
    "JobHandle",
    "JobRunner",
    "JobSpec",
    "Subscriber",
    "run_job_sync",
]
