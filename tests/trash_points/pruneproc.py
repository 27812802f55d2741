"""A real process that prunes policy "gfs" (its points go to the destination's trash) at a
pinned time, to be SIGKILLed mid-move.

    python pruneproc.py CONFIG ISO_TIME

Prints "ready" once the service is open, so the parent's SIGKILL lands in the prune.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from tui_backup import clock
from tui_backup.service import ProfileService


def main() -> None:
    config, at = Path(sys.argv[1]), datetime.fromisoformat(sys.argv[2])
    svc = ProfileService.open(config=config, check_paths=False)
    print("ready", flush=True)
    with clock.pinned(at):
        svc.prune_policy("gfs")
    print("done", flush=True)


if __name__ == "__main__":
    main()
