"""A separate process that appends journal entries: `python -m tests.journal.appender CONFIG N TAG`."""

from __future__ import annotations

import sys

from tui_backup.service import ProfileService, journal


def main() -> None:
    config, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    svc = ProfileService.open(config=config, interface="scheduler")
    try:
        for i in range(n):
            journal.record(svc, "file.modified", f"{tag}/{i}", {"i": i})
    finally:
        svc.close()


if __name__ == "__main__":
    main()
