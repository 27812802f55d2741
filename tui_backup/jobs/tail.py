"""Following a job's log file as it grows — also a job run by another process.

`LogTail` reads only the bytes added since the last read and hands back complete lines
(a line still being written waits for its newline). `follow_job` is the loop behind
`tui-backup jobs log --follow`; the TUI's Jobs pane calls `LogTail.read` from a timer.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from tui_backup.catalog import Catalog
from tui_backup.catalog import jobs as job_rows
from tui_backup.catalog.jobs import JobRecord

READ_LIMIT = 1 << 20  # bytes taken per read: a burst is shown over a few reads, never all at once
# The runner closes a job's log before it marks the row finished, so the file is complete
# when the row says the job ended; reading until the file is quiet stays as a defence
# (a log on a network filesystem, a writer of an older version).
SETTLE_S = 0.3
SETTLE_MAX_S = 3.0


class LogTail:
    """Incremental reader of one log file (it may not exist yet, and may be replaced)."""

    def __init__(self, path: str | Path, *, offset: int = 0) -> None:
        self.path = Path(path)
        self.offset = offset
        self._partial = b""
        self._ino: int | None = None

    @classmethod
    def last_lines(cls, path: str | Path, n: int, *, window: int = 256 * 1024) -> tuple[LogTail, list[str]]:
        """The file's last `n` lines, and a tail positioned after them."""
        p = Path(path)
        try:
            size = p.stat().st_size
        except OSError:
            return cls(p), []
        start = max(0, size - window)
        tail = cls(p, offset=start)
        lines = tail.read_bytes_lines(limit=window)
        if start > 0 and lines:
            lines = lines[1:]  # the first one is cut
        return tail, lines[-n:] if n else []

    def read_bytes_lines(self, limit: int = READ_LIMIT) -> list[str]:
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return []
        try:
            st = os.fstat(fd)
            if self._ino is not None and (st.st_ino != self._ino or st.st_size < self.offset):
                self.offset, self._partial = 0, b""  # replaced or truncated: start again
            self._ino = st.st_ino
            if st.st_size <= self.offset:
                return []
            data = os.pread(fd, min(limit, st.st_size - self.offset), self.offset)
        finally:
            os.close(fd)
        self.offset += len(data)
        data = self._partial + data
        cut = data.rfind(b"\n")
        if cut < 0:
            self._partial = data
            return []
        self._partial = data[cut + 1 :]
        return data[:cut].decode("utf-8", "replace").split("\n")

    def read(self) -> list[str]:
        """Complete lines added since the last read (possibly none)."""
        return self.read_bytes_lines()

    def rest(self) -> list[str]:
        """A last line without its newline (at the very end of a finished job's log)."""
        rest, self._partial = self._partial, b""
        return [rest.decode("utf-8", "replace")] if rest else []


def follow_job(
    catalog: Catalog,
    job_id: int,
    emit: Callable[[list[str]], None],
    *,
    poll: float = 0.2,
    from_start: bool = True,
) -> JobRecord:
    """Print a job's log (`emit` gets batches of lines) until it is no longer running.

    Works for a job of any process on this machine: it watches the catalog row and the log
    file. A job whose process died is marked failed (`reap_dead_jobs`) and the follow ends.
    Returns the job's final row.
    """
    tail: LogTail | None = None
    job = job_rows.get_job(catalog, job_id)
    was_running = job.status == job_rows.RUNNING
    while True:
        if tail is None and job.log_path:
            if from_start:
                tail = LogTail(job.log_path)
            else:
                tail, last = LogTail.last_lines(job.log_path, 10)
                if last:
                    emit(last)
        if tail is not None:
            lines = tail.read()
            while lines:
                emit(lines)
                lines = tail.read()
        if job.status != job_rows.RUNNING:
            break
        time.sleep(poll)
        job = job_rows.get_job(catalog, job_id)
        if job.status == job_rows.RUNNING and job_rows.reap_dead_jobs(catalog):
            job = job_rows.get_job(catalog, job_id)
    if tail is not None:
        if was_running:
            _drain(tail, emit)
        rest = tail.rest()
        if rest:
            emit(rest)
    return job


def _drain(tail: LogTail, emit: Callable[[list[str]], None]) -> None:
    """Read until the file has been quiet for SETTLE_S (the writer's last flush)."""
    deadline = time.monotonic() + SETTLE_MAX_S
    quiet_since = time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - quiet_since < SETTLE_S:
        lines = tail.read()
        if lines:
            emit(lines)
            quiet_since = time.monotonic()
        else:
            time.sleep(0.05)
