"""A separate process that writes to, or reads from, an application database.

    python dbproc.py write DB [INTERVAL_S]   commit a row every INTERVAL_S (default 0.003)
    python dbproc.py read DB                 read in a loop, checking the invariant

Both print ``ready`` once they have done their first round, and on SIGTERM print one JSON
line with what they did and stop. The `ledger` table and the `meta` row are kept
consistent by every commit (`meta.rows` = number of ledger rows = max(n)); a reader that
ever sees them disagree, or sees SQLite complain, has seen a torn database.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import sys
import time
from types import FrameType

SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger (n INTEGER PRIMARY KEY, payload BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('rows', 0);
"""

stopping = False


def _stop(_signum: int, _frame: FrameType | None) -> None:
    global stopping
    stopping = True


def prepare(path: str, rows: int = 0) -> None:
    """Create the ledger (with `rows` rows) in the database at `path`."""
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    start = conn.execute("SELECT v FROM meta WHERE k = 'rows'").fetchone()[0]
    conn.executemany(
        "INSERT INTO ledger VALUES (?, ?)", [(start + i + 1, bytes([i % 251]) * 200) for i in range(rows)]
    )
    conn.execute("UPDATE meta SET v = ? WHERE k = 'rows'", (start + rows,))
    conn.commit()
    conn.close()


def write(path: str, interval: float) -> dict[str, object]:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA synchronous = NORMAL")  # commit often, as a busy app does
    commits = 0
    while not stopping:
        conn.execute("BEGIN IMMEDIATE")
        n = conn.execute("SELECT v FROM meta WHERE k = 'rows'").fetchone()[0] + 1
        conn.execute("INSERT INTO ledger VALUES (?, ?)", (n, bytes([n % 251]) * 300))
        conn.execute("UPDATE meta SET v = ? WHERE k = 'rows'", (n,))
        conn.execute("COMMIT")
        commits += 1
        if commits == 1:
            print("ready", flush=True)
        time.sleep(interval)
    return {"commits": commits}


def read(path: str) -> dict[str, object]:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    reads = 0
    seen: set[int] = set()
    errors: list[str] = []
    while not stopping:
        try:
            conn.execute("BEGIN")
            rows = conn.execute("SELECT v FROM meta WHERE k = 'rows'").fetchone()[0]
            count, top = conn.execute("SELECT COUNT(*), COALESCE(MAX(n), 0) FROM ledger").fetchone()
            total = conn.execute("SELECT COUNT(*) FROM (SELECT length(payload) FROM ledger)").fetchone()[0]
            conn.execute("COMMIT")
            if not (rows == count == top == total):
                errors.append(f"torn: meta={rows} count={count} max={top} scanned={total}")
            seen.add(count)
        except sqlite3.Error as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        reads += 1
        if reads == 1:
            print("ready", flush=True)
        time.sleep(0.001)
    return {"reads": reads, "seen": sorted(seen), "errors": errors[:20]}


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "write":
        result = write(path, float(sys.argv[3]) if len(sys.argv) > 3 else 0.003)
    elif mode == "read":
        result = read(path)
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
