"""Running an external program for a job: no shell, explicit environment, graceful stop.

- `build_env(extra)`: the child's whole environment, built explicitly: a few harmless
  variables from ours (PATH, HOME, locale, TMPDIR, SSH_AUTH_SOCK, XDG_CACHE_HOME) plus
  `extra`. Secrets reach children only here (env) or through files — never argv.
- `LineSplitter`: bytes chunks in, complete lines out, split on `\\r` and `\\n` (rsync's
  progress records end in `\\r`), the partial tail kept for the next chunk.
- `run_process(argv, env=..., on_stdout=..., on_stderr=...)`: starts the program with
  `create_subprocess_exec` in its own session (so stopping it reaches its children, e.g.
  ssh), `stdin=DEVNULL`, reads stdout and stderr concurrently in 64 KiB chunks (never
  `readline`, which starves the loop) and hands each line (bytes, no terminator) to the
  callbacks as it arrives. When the awaiting task is cancelled (the job was cancelled or
  timed out), the program is stopped: SIGINT to its process group, a grace period,
  SIGTERM, another grace period, SIGKILL; then `on_killed()` runs if SIGTERM/SIGKILL were
  needed (restic leaves a stale lock then: the restic destination passes a hook running
  `restic unlock`), and the cancellation propagates.

`restic` always gets `RESTIC_PROGRESS_FPS` (default 10) so its status cadence is the
same on every version. Jobs normally call this through `JobContext.run()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from tui_backup.jobs import orphans
from tui_backup.jobs.errors import ErrorKind, JobError, tool_missing

READ_SIZE = 65536
MAX_PARTIAL = 1 << 20  # a "line" longer than this is cut (binary output must not eat memory)
RESTIC_FPS = "10"
INHERITED_ENV = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR",
                 "SSH_AUTH_SOCK", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR")
DEFAULT_GRACE = (10.0, 5.0)  # seconds after SIGINT, after SIGTERM
STDERR_KEEP = 5000  # stderr lines kept for classification (first half + last half)

LineCallback = Callable[[bytes], None]
KillHook = Callable[[], Awaitable[None]]


def build_env(extra: Mapping[str, str] | None = None, *, inherit: Sequence[str] = INHERITED_ENV) -> dict[str, str]:
    """The complete environment of a child: selected variables of ours, then `extra`."""
    env = {k: os.environ[k] for k in inherit if k in os.environ}
    env.setdefault("PATH", os.defpath)
    if extra:
        env.update(extra)
    return env


class LineSplitter:
    """Split a byte stream into lines on `\\r` and `\\n`; empty lines are dropped."""

    __slots__ = ("_partial",)

    def __init__(self) -> None:
        self._partial = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        if self._partial:
            chunk = self._partial + chunk
        if b"\r" in chunk:
            chunk = chunk.replace(b"\r", b"\n")
        lines = chunk.split(b"\n")
        tail = lines.pop()
        if len(tail) > MAX_PARTIAL:
            lines.append(tail)
            tail = b""
        self._partial = tail
        if b"" in lines:
            return [line for line in lines if line]
        return lines

    def flush(self) -> list[bytes]:
        """The unterminated last line, at end of stream."""
        tail, self._partial = self._partial, b""
        return [tail] if tail else []


@dataclass(frozen=True)
class ProcessResult:
    argv: tuple[str, ...]
    exit_code: int  # negative: killed by that signal
    stderr_lines: tuple[str, ...]  # decoded, for classify_restic / classify_rsync
    signals_sent: tuple[str, ...] = ()  # e.g. ("SIGINT",) when it was stopped
    duration_s: float = 0.0

    @property
    def killed(self) -> bool:
        """It had to be terminated or killed (SIGINT was not enough)."""
        return "SIGTERM" in self.signals_sent or "SIGKILL" in self.signals_sent


async def pump(stream: asyncio.StreamReader, on_line: LineCallback) -> None:
    """Read `stream` to EOF in chunks, calling `on_line` for each complete line."""
    splitter = LineSplitter()
    feed = splitter.feed
    read = stream.read
    while True:
        chunk = await read(READ_SIZE)
        if not chunk:
            break
        for line in feed(chunk):
            on_line(line)
    for line in splitter.flush():
        on_line(line)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


async def _wait_exit(proc: asyncio.subprocess.Process, poll: float = 0.25) -> int:
    """Wait for the process itself to exit, even if a grandchild keeps its pipes open
    (Python 3.11's `wait()` also waits for the pipes to close)."""
    waiter = asyncio.ensure_future(proc.wait())
    try:
        while True:
            done, _ = await asyncio.wait({waiter}, timeout=poll)
            if done:
                return waiter.result()
            if proc.returncode is not None:
                return proc.returncode
    finally:
        waiter.cancel()


async def stop_process(
    proc: asyncio.subprocess.Process, grace: tuple[float, float] = DEFAULT_GRACE
) -> tuple[str, ...]:
    """SIGINT, wait, SIGTERM, wait, SIGKILL — to the whole process group. Returns the signals sent."""
    sent: list[str] = []
    steps: tuple[tuple[signal.Signals, float | None], ...] = (
        (signal.SIGINT, grace[0]),
        (signal.SIGTERM, grace[1]),
        (signal.SIGKILL, None),
    )
    try:
        for sig, wait_s in steps:
            if proc.returncode is not None:
                break
            _signal_group(proc.pid, sig)
            sent.append(sig.name)
            try:
                await asyncio.wait_for(_wait_exit(proc), wait_s if wait_s is not None else 30.0)
                break
            except TimeoutError:
                continue
    except asyncio.CancelledError:
        # Cancelled again while stopping (a second Ctrl-C): no more patience.
        _signal_group(proc.pid, signal.SIGKILL)
        raise
    return tuple(sent)


class _StderrKeeper:
    """Keeps stderr lines for classification: the first and the last STDERR_KEEP/2."""

    def __init__(self) -> None:
        self.head: list[str] = []
        self.tail: list[str] = []
        self.skipped = 0

    def add(self, text: str) -> None:
        half = STDERR_KEEP // 2
        if len(self.head) < half:
            self.head.append(text)
            return
        self.tail.append(text)
        if len(self.tail) > half * 2:
            self.skipped += len(self.tail) - half
            del self.tail[:-half]

    def lines(self) -> tuple[str, ...]:
        return tuple(self.head + self.tail)


async def run_process(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    on_stdout: LineCallback | None = None,
    on_stderr: LineCallback | None = None,
    grace: tuple[float, float] = DEFAULT_GRACE,
    on_killed: KillHook | None = None,
    on_note: Callable[[str], None] | None = None,
) -> ProcessResult:
    """Run `argv` (no shell) to completion; see the module docstring.

    `env` is the child's whole environment (use `build_env`); None means `build_env()`.
    Raises JobError(TOOL_MISSING) when the program is not installed.
    """
    argv = tuple(str(a) for a in argv)
    child_env = dict(env) if env is not None else build_env()
    child_env.update(orphans.started_by_entry())  # so a run after a SIGKILL of ours can stop it
    if os.path.basename(argv[0]) == "restic":
        child_env.setdefault("RESTIC_PROGRESS_FPS", RESTIC_FPS)
    note = on_note or (lambda _text: None)
    started = time.monotonic()
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=child_env,
            cwd=cwd,
            start_new_session=True,  # its own process group: stopping it reaches its children
            limit=READ_SIZE,
        )
    except FileNotFoundError:
        c = tool_missing(os.path.basename(argv[0]))
        raise JobError(ErrorKind.TOOL_MISSING, c.message, c.hint) from None
    except PermissionError as exc:
        raise JobError(ErrorKind.FAILED, f"cannot run {argv[0]}: {exc.strerror}", "check its permissions") from None
    stderr = _StderrKeeper()
    user_stderr = on_stderr

    def stderr_line(line: bytes) -> None:
        stderr.add(line.decode("utf-8", "replace"))
        if user_stderr is not None:
            user_stderr(line)

    assert proc.stdout is not None and proc.stderr is not None
    readers = [
        asyncio.create_task(pump(proc.stdout, on_stdout or (lambda _line: None))),
        asyncio.create_task(pump(proc.stderr, stderr_line)),
    ]
    try:
        exit_code = await _wait_exit(proc)
    except asyncio.CancelledError:
        sent = await stop_process(proc, grace)
        note(f"stopped {os.path.basename(argv[0])} (pid {proc.pid}) with {', '.join(sent) or 'no signal'}")
        await _drain(proc, readers)
        if on_killed is not None and ("SIGTERM" in sent or "SIGKILL" in sent):
            try:
                await on_killed()
            except Exception as exc:  # the hook must not hide the cancellation
                note(f"cleanup after kill failed: {exc}")
        raise
    await _drain(proc, readers)
    return ProcessResult(argv, exit_code, stderr.lines(), (), time.monotonic() - started)


async def _drain(proc: asyncio.subprocess.Process, readers: list[asyncio.Task[None]], timeout: float = 5.0) -> None:
    """Let the readers reach EOF; if leftovers of the group hold the pipes open, kill them."""
    _, pending = await asyncio.wait(readers, timeout=timeout)
    if pending:
        _signal_group(proc.pid, signal.SIGKILL)
        _, pending = await asyncio.wait(pending, timeout=1.0)
        for task in pending:
            task.cancel()
    for task in readers:  # a failing line callback (parser bug) surfaces as the job's error
        if task.done() and not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            assert exc is not None
            raise exc
