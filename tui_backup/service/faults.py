"""Named fault and pause points, for tests that break operations at exact moments.

Production code calls `checkpoint("restore.after_swap")` at the points where a failure
or a crash matters. Two environment variables (comma-separated point names) act on them:

- ``TUI_BACKUP_FAULT``: raise `InjectedFault` at these points (e.g. to prove that a restore
  failing after the swap started rolls back);
- ``TUI_BACKUP_PAUSE``: print ``PAUSED <point>`` on stderr and sleep at these points, so a
  test can SIGKILL the process exactly there.

Points: snapshot.after_dump, snapshot.after_compress, snapshot.before_rename,
snapshot.after_rename, restore.before_swap, restore.after_swap, restore.verify,
restore.rollback; restores from a destination (service/backup_restore.py):
backup_restore.before_swap, backup_restore.files_swapped, backup_restore.after_swap,
backup_restore.verify, backup_restore.rollback; backups (service/backups.py):
backup.after_manifest (every source file listed and hashed, nothing sent yet). Unset (the
normal case), checkpoints do nothing.

With ``TUI_BACKUP_PAUSE_UNTIL=PATH`` a paused point waits only until PATH exists and then
goes on, so a test can change the world at that exact moment (e.g. make a file unreadable
between the manifest and restic reading it).
"""

from __future__ import annotations

import os
import sys
import time

from tui_backup.errors import TuiBackupError

FAULT_ENV = "TUI_BACKUP_FAULT"
PAUSE_ENV = "TUI_BACKUP_PAUSE"
RESUME_ENV = "TUI_BACKUP_PAUSE_UNTIL"


class InjectedFault(TuiBackupError):
    """A failure injected by a test through TUI_BACKUP_FAULT."""


def _named(env: str, point: str) -> bool:
    value = os.environ.get(env, "")
    return bool(value) and point in {p.strip() for p in value.split(",")}


def checkpoint(point: str) -> None:
    if _named(PAUSE_ENV, point):
        print(f"PAUSED {point}", file=sys.stderr, flush=True)
        resume = os.environ.get(RESUME_ENV)
        while not resume:
            time.sleep(3600)
        while not os.path.exists(resume):
            time.sleep(0.02)
    if _named(FAULT_ENV, point):
        raise InjectedFault(f"injected fault at {point}", f"unset {FAULT_ENV}")
