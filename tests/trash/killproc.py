"""A real process that moves items into and out of the trash in a loop until it is killed.

    python killproc.py CONFIG WORKDIR NAME...

For each name: in place -> trash put; in the trash -> restore. Prints "ready" once the
service is open, so the parent's SIGKILL lands inside the loop, and "cycle" after each pass
over the names (so a parent can wait for work done, whatever the machine's load).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tui_backup.catalog import trash as rows
from tui_backup.service import ProfileService, trash


def main() -> None:
    config, work, names = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
    svc = ProfileService.open(config=config, check_paths=False)
    print("ready", flush=True)
    while True:
        for name in names:
            path = work / name
            if path.exists():
                trash.put(svc, path, kind="user", reason="kill test")
                continue
            for item in rows.items_in_state(svc.catalog, rows.TRASHED):
                if item.original == str(path):
                    trash.restore(svc, item.id)
                    break
        print("cycle", flush=True)


if __name__ == "__main__":
    main()
