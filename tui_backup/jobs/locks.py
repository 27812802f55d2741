"""File locks between processes: one per destination, and the global job slots.

cron, the CLI, the daemon and the TUI are separate processes; a `FileLock` (fcntl.flock
on a file in the profile's state dir, `<state_dir>/locks/`) makes sure only one of them
works on a destination at a time. The holder writes JSON {pid, host, started_at, job_id,
what} into the file so that a second process can say who holds it and since when:
it either waits (`wait=True`, polling) or fails at once with `LockHeldError`.

The kernel drops a flock when its holder dies, so a lock left by a dead process is simply
taken over; `took_over` then tells about the dead holder. Lock files are never deleted
(deleting a flock'ed file races with waiters) and are opened close-on-exec, so children
(restic, rsync) never inherit them.

`SlotPool(locks_dir, size)` is the global concurrency limit (`[jobs] max_concurrent`):
`size` slot files, a job holds one of them while it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from tui_backup.errors import TuiBackupError
from tui_backup.fsutil import FILE_MODE, make_private_dir, pid_alive

POLL_S = 0.2


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    started_at: str  # UTC ISO 8601
    job_id: int | None = None
    what: str = ""

    @property
    def local(self) -> bool:
        return self.host == socket.gethostname()

    def alive(self) -> bool | None:
        """Whether the holder process runs (None: on another host, unknown)."""
        return pid_alive(self.pid) if self.local else None

    def age_s(self) -> float | None:
        try:
            started = datetime.fromisoformat(self.started_at.replace("Z", "+00:00"))
        except ValueError:
            return None
        return max(0.0, (datetime.now(UTC) - started).total_seconds())

    def describe(self) -> str:
        """e.g. "PID 4242 on nas (job 12: backup offsite) since 2024-05-01 12:00:03 UTC, 3 min ago"."""
        parts = [f"PID {self.pid} on {self.host}"]
        if self.job_id is not None or self.what:
            inner = ": ".join(p for p in (f"job {self.job_id}" if self.job_id is not None else "", self.what) if p)
            parts.append(f"({inner})")
        since = self.started_at.replace("T", " ").split(".")[0].rstrip("Z") + " UTC"
        age = self.age_s()
        parts.append(f"since {since}" + (f", {_human_age(age)} ago" if age is not None else ""))
        return " ".join(parts)


def _human_age(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


class LockHeldError(TuiBackupError):
    """Another process holds the lock (and we were told not to wait, or waited too long)."""

    def __init__(self, name: str, holder: LockHolder | None, *, waited: float | None = None) -> None:
        who = holder.describe() if holder else "another process"
        msg = f"{name} is busy: locked by {who}"
        if waited is not None:
            msg += f" (waited {waited:.0f} s)"
        job = holder.job_id if holder and holder.job_id is not None else "ID"
        hint = f"wait for it (use --wait), or cancel it with `tui-backup jobs cancel {job}`"
        super().__init__(msg, hint)
        self.name = name
        self.holder = holder


_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def lock_path(locks_dir: Path, name: str) -> Path:
    """The lock file for `name` (e.g. "destination-offsite") in `locks_dir`."""
    return locks_dir / f"{_SAFE.sub('_', name)}.lock"


def destination_lock(locks_dir: Path, destination: str) -> FileLock:
    return FileLock(lock_path(locks_dir, f"destination-{destination}"), f"destination {destination}")


class FileLock:
    """An exclusive flock on `path`; `name` is what users read in messages."""

    def __init__(self, path: Path, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or self.path.stem
        self.took_over: LockHolder | None = None  # a dead process's lock we took
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def holder(self) -> LockHolder | None:
        """Who holds (or last held) the lock, from the file's JSON; None if empty/unreadable."""
        try:
            data = self.path.read_bytes()
        except OSError:
            return None
        return _parse_holder(data)

    def try_acquire(self, *, job_id: int | None = None, what: str = "") -> bool:
        """Take the lock if it is free; never blocks."""
        if self._fd is not None:
            raise RuntimeError(f"{self.name}: lock already held by this object")
        make_private_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        previous = _parse_holder(_read_fd(fd))
        self.took_over = previous if previous is not None and previous.alive() is False else None
        me = LockHolder(os.getpid(), socket.gethostname(), _utc_now(), job_id, what)
        data = json.dumps(asdict(me)).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)
        self._fd = fd
        return True

    def acquire(self, *, wait: bool = False, timeout: float | None = None, job_id: int | None = None,
                what: str = "") -> None:
        """Take the lock; if held: raise LockHeldError at once, or poll until free (or `timeout`)."""
        started = time.monotonic()
        while not self.try_acquire(job_id=job_id, what=what):
            waited = time.monotonic() - started
            if not wait or (timeout is not None and waited >= timeout):
                raise LockHeldError(self.name, self.holder(), waited=waited if wait else None)
            time.sleep(POLL_S)

    async def acquire_async(
        self,
        *,
        wait: bool = False,
        timeout: float | None = None,
        job_id: int | None = None,
        what: str = "",
        on_wait: Callable[[LockHolder | None], None] | None = None,
    ) -> None:
        """As `acquire`, without blocking the event loop; `on_wait(holder)` is called once when waiting starts."""
        started = time.monotonic()
        told = False
        while not self.try_acquire(job_id=job_id, what=what):
            waited = time.monotonic() - started
            if not wait or (timeout is not None and waited >= timeout):
                raise LockHeldError(self.name, self.holder(), waited=waited if wait else None)
            if not told and on_wait is not None:
                on_wait(self.holder())
                told = True
            await asyncio.sleep(POLL_S)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)  # an empty file: nobody holds it
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @contextlib.contextmanager
    def hold(self, *, wait: bool = False, timeout: float | None = None, job_id: int | None = None,
             what: str = "") -> Iterator[FileLock]:
        self.acquire(wait=wait, timeout=timeout, job_id=job_id, what=what)
        try:
            yield self
        finally:
            self.release()


class SlotPool:
    """At most `size` jobs at once across all processes of a profile (one flock per slot)."""

    def __init__(self, locks_dir: Path, size: int) -> None:
        self.locks_dir = locks_dir
        self.size = max(1, size)

    async def acquire(self, *, job_id: int | None = None, what: str = "",
                      on_wait: Callable[[], None] | None = None) -> FileLock:
        told = False
        while True:
            for i in range(self.size):
                lock = FileLock(self.locks_dir / f"slot-{i}.lock", f"job slot {i}")
                if lock.try_acquire(job_id=job_id, what=what):
                    return lock
            if not told and on_wait is not None:
                on_wait()
                told = True
            await asyncio.sleep(POLL_S)

    def holders(self) -> list[LockHolder]:
        """Who holds the slots now (from the files; released slots are empty)."""
        out = []
        for i in range(self.size):
            h = FileLock(self.locks_dir / f"slot-{i}.lock").holder()
            if h is not None:
                out.append(h)
        return out


def _read_fd(fd: int) -> bytes:
    chunks: list[bytes] = []
    offset = 0
    while True:
        chunk = os.pread(fd, 4096, offset)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        offset += len(chunk)


def _parse_holder(data: bytes) -> LockHolder | None:
    if not data.strip():
        return None
    try:
        raw = json.loads(data)
        return LockHolder(
            pid=int(raw["pid"]),
            host=str(raw["host"]),
            started_at=str(raw["started_at"]),
            job_id=int(raw["job_id"]) if raw.get("job_id") is not None else None,
            what=str(raw.get("what", "")),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
