"""SHA-256s of source files remembered between backups, keyed by the file's full stat.

Why: every backup lists each artifact's SHA-256 in metadata.json; re-reading an unchanged
300 MB tree only to find the same digests costs more than an unchanged rsync/restic run.
A digest is reused only when path, size, mtime_ns, ctime_ns, inode and device are all
identical (any write changes ctime, which user space cannot set back), and a file is
remembered only if it had not been touched for RACY_S before it was hashed (a write in the
same timestamp tick as the hashing could otherwise go unseen — git's "racy" case).
The cache lives in the profile's state dir (0600, written atomically); a missing or
unreadable cache just means hashing everything.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from tui_backup.fsutil import atomic_write_text

CACHE_NAME = "hash-cache.json"
FORMAT = 1
RACY_S = 2.0

Stamp = tuple[int, int, int, int, int]  # size, mtime_ns, ctime_ns, ino, dev


def stamp_of(st: os.stat_result) -> Stamp:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


class HashCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._old: dict[str, list[object]] = {}
        self._new: dict[str, list[object]] = {}
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("format") == FORMAT and isinstance(data.get("files"), dict):
                self._old = data["files"]

    def get(self, source: Path, st: os.stat_result) -> str | None:
        """The remembered digest of `source` if its stat is exactly the remembered one."""
        entry = self._old.get(str(source))
        if isinstance(entry, list) and len(entry) == 6 and tuple(entry[:5]) == stamp_of(st):
            digest = entry[5]
            if isinstance(digest, str) and len(digest) == 64:
                self._new[str(source)] = entry
                return digest
        return None

    def put(self, source: Path, st: os.stat_result, digest: str, hashed_at_ns: int) -> None:
        """Remember a digest computed from a read that started at `hashed_at_ns` (wall clock)
        of a file whose stat before the read was `st` and unchanged after it."""
        if max(st.st_mtime_ns, st.st_ctime_ns) > hashed_at_ns - int(RACY_S * 1e9):
            return
        self._new[str(source)] = [*stamp_of(st), digest]

    def save(self) -> None:
        """Keep only the files seen in this run (deleted ones drop out)."""
        with contextlib.suppress(OSError):
            atomic_write_text(self.path, json.dumps({"format": FORMAT, "files": self._new}, separators=(",", ":")))
