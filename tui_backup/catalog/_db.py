"""The catalog: the profile's SQLite state database (WAL mode)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tui_backup import clock
from tui_backup.catalog._migrations import LATEST_VERSION, MIGRATIONS
from tui_backup.clock import to_catalog
from tui_backup.errors import TuiBackupError
from tui_backup.fsutil import FILE_MODE, make_private_dir

BUSY_TIMEOUT_MS = 15_000


class CatalogError(TuiBackupError):
    pass


class CatalogLocked(CatalogError):
    """Another process held the catalog's write lock for longer than the busy timeout."""


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    return "database is locked" in str(exc) or "database table is locked" in str(exc)


class _Connection(sqlite3.Connection):
    """A catalog connection whose "database is locked" (the busy timeout ran out while another
    process wrote) is a user-facing CatalogLocked, not an unexpected error with a traceback."""

    catalog_path: Path = Path()

    def _locked(self) -> CatalogLocked:
        return CatalogLocked(
            f"the catalog {self.catalog_path} is locked by another process "
            f"(still busy after {BUSY_TIMEOUT_MS / 1000:g} s)",
            "another tui-backup process (a backup, the daemon, the TUI) is writing to it: "
            "retry when it is done (`tui-backup jobs` lists running jobs)",
        )

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.OperationalError as exc:
            if _is_locked(exc):
                raise self._locked() from exc
            raise

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        try:
            return super().executemany(sql, parameters)
        except sqlite3.OperationalError as exc:
            if _is_locked(exc):
                raise self._locked() from exc
            raise


def utc_now() -> str:
    # Through tui_backup.clock so the scheduler can be driven through simulated time.
    return to_catalog(clock.now())


class Catalog:
    """Open (creating and migrating if needed) the catalog at `path`.

    One connection per thread: the TUI's workers and the CLI share the code safely.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        make_private_dir(self.path.parent)
        self._local = threading.local()
        self.migrate()

    def _connect(self) -> sqlite3.Connection:
        new = not self.path.exists()
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, factory=_Connection)
        conn.catalog_path = self.path
        if new:
            self.path.chmod(FILE_MODE)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = self._connect()
            except sqlite3.Error as exc:
                raise CatalogError(
                    f"cannot open the catalog {self.path}: {exc}",
                    "check the state directory's permissions and free space",
                ) from None
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An IMMEDIATE transaction: writers from other processes queue on busy_timeout."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def schema_version(self) -> int:
        row = self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'"
        ).fetchone()
        if row is None:
            return 0
        v = self.conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
        return int(v or 0)

    def migrate(self) -> int:
        """Apply every migration newer than the catalog; return the version reached."""
        with self.transaction() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            current = self.schema_version()
            if current > LATEST_VERSION:
                raise CatalogError(
                    f"the catalog {self.path} is schema version {current}, newer than this tui-backup ({LATEST_VERSION})",
                    "upgrade tui-backup",
                )
            for version in range(current + 1, LATEST_VERSION + 1):
                for statement in _statements(MIGRATIONS[version - 1]):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (version, utc_now())
                )
        return LATEST_VERSION


def _statements(script: str) -> Iterator[str]:
    """Split a migration script into statements (executescript would commit our transaction)."""
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                yield buf.strip()
            buf = ""
    if buf.strip():
        yield buf.strip()
