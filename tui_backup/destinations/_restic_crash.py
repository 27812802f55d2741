"""Markers of restic runs in progress, so a run after a crash removes the locks it left.

restic 0.14 leaves its lock behind when it is killed (SIGKILL, or SIGPIPE once the tool that
read its output died). A stale shared lock blocks no backup or restore, but it stays until some
later exclusive command trips over it. So every restic command runs under a marker file
`<state>/restic-running/<repo hash>-<pid>`; a marker whose process is gone means a run of this
tool died mid-restic, and the next command on that repository runs `restic unlock` once first
(it removes only locks of dead processes on this host, or old ones).

restic runs in its own session, so it outlives a tool killed with SIGKILL (power loss aside)
and keeps its lock while it runs. Each restic gets `TUI_BACKUP_RESTIC_RUN=<marker name>` in
its environment; the next run stops the restic processes of a dead run's marker (SIGINT, which
makes restic remove its own lock; SIGKILL if it lingers) before it unlocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

from tui_backup.config.locations import state_home
from tui_backup.fsutil import FILE_MODE, make_private_dir, pid_alive
from tui_backup.jobs import orphans


def _markers_dir() -> Path:
    return state_home() / "restic-running"


def _prefix(repository: str) -> str:
    return hashlib.sha256(repository.encode()).hexdigest()[:32]


RUN_VARIABLE = "TUI_BACKUP_RESTIC_RUN"


def marker_name(repository: str) -> str:
    """This process's marker for `repository` (also the value of RUN_VARIABLE in restic's env)."""
    return f"{_prefix(repository)}-{os.getpid()}"


def _orphans(names: set[str]) -> list[int]:
    """PIDs of processes started under one of the markers `names` (restic left running)."""
    return orphans.find({f"{RUN_VARIABLE}={n}" for n in names})


def stale_markers(repository: str) -> list[Path]:
    """Markers of runs on `repository` whose process is gone."""
    d = _markers_dir()
    if not d.is_dir():
        return []
    out: list[Path] = []
    for m in d.glob(f"{_prefix(repository)}-*"):
        pid = m.name.rsplit("-", 1)[1]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            out.append(m)
    return out


async def unlock_after_crash(repository: str, unlock: Callable[[], Awaitable[None]],
                             locks_left: Callable[[], Awaitable[int]],
                             note: Callable[[str], None] | None, *, tries: int = 5) -> None:
    """After a crash: stop the restic it left running, then `restic unlock` until no lock is
    left (a few tries: restic keeps the lock of a process that is dead but not yet reaped —
    a zombie counts as alive — and init may take a second to reap an orphan)."""
    stale = stale_markers(repository)
    if not stale:
        return
    found = await asyncio.to_thread(_orphans, {m.name for m in stale})
    if note is not None:
        left = f": stopping the restic it left running (PID {', '.join(map(str, found))})" if found else ""
        note(f"an earlier run was killed while restic ran{left}; running restic unlock (removes only stale locks)")
    if found:
        await asyncio.to_thread(orphans.stop, found)
    for attempt in range(tries):
        await unlock()
        if attempt == tries - 1 or await locks_left() == 0:
            break
        await asyncio.sleep(0.5)
    for m in stale:
        m.unlink(missing_ok=True)


@contextlib.contextmanager
def running(repository: str) -> Iterator[None]:
    """Mark a restic command on `repository` by this process (nested uses share one marker)."""
    marker = _markers_dir() / marker_name(repository)
    if marker.exists():
        yield
        return
    make_private_dir(marker.parent)
    os.close(os.open(marker, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    try:
        yield
    finally:
        marker.unlink(missing_ok=True)
