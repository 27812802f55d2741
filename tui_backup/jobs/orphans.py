"""Finding and stopping the programs a killed run of this tool left running.

Children run in their own session (so stopping a job reaches their own children), which
also means they outlive a tool killed with SIGKILL: an rsync or restic goes on writing into
a staging dir or holding a lock with nobody to read its output. Each child carries a marker
variable in its environment (inherited by its own children, e.g. rsync's ssh), so a later
run finds them in /proc and stops them before it cleans up after the dead run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

from tui_backup.fsutil import pid_alive

STARTED_BY_VARIABLE = "TUI_BACKUP_STARTED_BY"  # = the pid of the tool process that ran the child


def started_by_entry(pid: int | None = None) -> dict[str, str]:
    """The marker for a child of this process (or of `pid`), to merge into its environment."""
    return {STARTED_BY_VARIABLE: str(os.getpid() if pid is None else pid)}


def find(markers: set[str]) -> list[int]:
    """PIDs of the processes (of this user) whose environment holds one of `markers`
    ("NAME=value" entries)."""
    wanted = {m.encode() for m in markers}
    found: list[int] = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as f:
                env = set(f.read().split(b"\0"))
        except OSError:
            continue  # gone, or not ours to read
        if env & wanted:
            found.append(int(entry.name))
    return found


def children_of_dead(pid: int) -> list[int]:
    """The programs the tool process `pid` (gone) started and left running."""
    return find({f"{STARTED_BY_VARIABLE}={pid}"})


def stop(pids: list[int], first: signal.Signals = signal.SIGINT, grace_s: float = 5.0) -> None:
    """`first` to each (SIGINT: rsync and restic stop cleanly on it, restic removing its own
    lock), SIGKILL after `grace_s`."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, first)
    deadline = time.monotonic() + grace_s
    while any(pid_alive(p) and not zombie(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def zombie(pid: int) -> bool:
    """Dead but not yet reaped (or gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return True
