"""The row index of a snapshot: one hash per database row, stored beside the snapshot.

Built on the snapshot's own scratch copy (never the live database) while the copy is being
compressed (service/snapshots.py runs it in a thread), and written as ``rows.sqlite`` in the
snapshot's temporary directory, so it appears atomically with the snapshot. Comparing two
row indexes (service/db_changes.py) gives the rows inserted, updated and deleted per table,
and the schema changes, without decompressing either snapshot.

Per table the key is: the INTEGER PRIMARY KEY (= the rowid); the declared PRIMARY KEY
columns (WITHOUT ROWID tables always; rowid tables with a non-integer key, falling back to
the rowid for a row whose key holds a NULL, which SQLite allows there); else the rowid
(which VACUUM may renumber in tables without an INTEGER PRIMARY KEY: such rows would then
show as updated). A row's hash is the first 16 bytes of the SHA-256 of
``marshal.dumps(values, 2)``: type-preserving (1, 1.0, '1' and x'31' differ; NULL is its
own value) and deterministic (version 2 has no back-references, whose use depends on
reference counts). The scheme is recorded in the file: indexes made with another scheme
are never compared row by row.

Sidecar layout (SQLite, written without journal, fsynced, 0600):
  info(name, value)                          format, hash scheme
  tables(id, name, key_kind, key_columns, without_rowid, row_count)
  columns(tbl, cid, name, type, notnull, dflt, pk, hidden)   PRAGMA table_xinfo
  objects(type, name, tbl_name, sql)         sqlite_master: tables, indexes, views, triggers
  rows(tbl, k, h)                            k: the rowid (integer) or the key as JSON text
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tui_backup.config._schema import ROW_CHANGES_AUTO_MAX_MB
from tui_backup.fsutil import open_private, temp_path_for

ROW_INDEX_NAME = "rows.sqlite"
ROW_INDEX_FORMAT = 1
HASH_SCHEME = "sha256/16 of marshal v2"
KEY_ROWID = "rowid"
KEY_INTEGER_PK = "integer primary key"
KEY_PRIMARY = "primary key"
KEY_NONE = "none"  # every rowid alias is shadowed by a column: rows are counted, not compared
AUTO_MAX_BYTES = ROW_CHANGES_AUTO_MAX_MB * 1024 * 1024  # `row_changes = "auto"` indexes copies up to this
ROW_CHANGES_HINT = 'set [snapshots] row_changes = "on" to always compute row changes'
_STOP_EVERY = 4096  # rows between cancel/timeout checks
_ROWID_ALIASES = ("rowid", "_rowid_", "oid")

_SCHEMA = """
CREATE TABLE info (name TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE tables (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, key_kind TEXT NOT NULL,
    key_columns TEXT NOT NULL, without_rowid INTEGER NOT NULL, row_count INTEGER NOT NULL
);
CREATE TABLE columns (
    tbl INTEGER NOT NULL, cid INTEGER NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,
    "notnull" INTEGER NOT NULL, dflt TEXT, pk INTEGER NOT NULL, hidden INTEGER NOT NULL,
    PRIMARY KEY (tbl, cid)
) WITHOUT ROWID;
CREATE TABLE objects (type TEXT NOT NULL, name TEXT NOT NULL, tbl_name TEXT, sql TEXT, PRIMARY KEY (type, name))
    WITHOUT ROWID;
CREATE TABLE rows (tbl INTEGER NOT NULL, k NOT NULL, h BLOB NOT NULL, PRIMARY KEY (tbl, k)) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class RowIndexInfo:
    """What metadata.json says about the sidecar (its checksum guards every later read)."""

    file: str
    sha256: str
    size_bytes: int
    tables: int
    rows: int
    duration_s: float
    format: int = ROW_INDEX_FORMAT
    hash: str = HASH_SCHEME

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Table:
    name: str
    without_rowid: bool
    columns: list[tuple[int, str, str, int, str | None, int, int]]  # PRAGMA table_xinfo rows

    @property
    def pk_columns(self) -> list[str]:
        return [c[1] for c in sorted((c for c in self.columns if c[5] > 0), key=lambda c: c[5])]

    def key(self) -> tuple[str, list[str], str]:
        """(key kind, key columns, the SELECT list in front of `*`)."""
        pk = self.pk_columns
        if self.without_rowid:
            return KEY_PRIMARY, pk, ", ".join(quote_ident(c) for c in pk)
        if len(pk) == 1:
            decl = next(c[2] for c in self.columns if c[1] == pk[0])
            if decl.strip().upper() == "INTEGER":
                return KEY_INTEGER_PK, pk, quote_ident(pk[0])
        names = {c[1].lower() for c in self.columns}
        alias = next((a for a in _ROWID_ALIASES if a not in names), None)
        if pk and alias is not None:
            return KEY_PRIMARY, pk, ", ".join([alias, *(quote_ident(c) for c in pk)])
        if alias is None:
            return KEY_NONE, [], ""
        return KEY_ROWID, [KEY_ROWID], alias


def _size_text(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def skip_reason(setting: str, copy_size: int) -> str | None:
    """Why the row index of a copy of `copy_size` bytes is not built under `[snapshots]
    row_changes = setting`, or None when it is. (Its cost grows with the size: see the key's help.)"""
    if setting == "off":
        return 'row_changes = "off"'
    if setting == "auto" and copy_size > AUTO_MAX_BYTES:
        return (
            f"database copy is {_size_text(copy_size)}, over the {_size_text(AUTO_MAX_BYTES)} limit of"
            ' row_changes = "auto"'
        )
    return None


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def row_hash(values: Sequence[Any]) -> bytes:
    return hashlib.sha256(marshal.dumps(tuple(values), 2)).digest()[:16]


def _key_value(v: Any) -> Any:
    """A key value as JSON (BLOBs as {"x": hex}: JSON has no bytes)."""
    return {"x": v.hex()} if isinstance(v, bytes) else v


def key_text(values: Sequence[Any]) -> str:
    return json.dumps([_key_value(v) for v in values], separators=(",", ":"))


def _surrogate_text(raw: bytes) -> str:
    # TEXT that is not valid UTF-8 (SQLite stores what it is given): keep its bytes exactly.
    return raw.decode("utf-8", "surrogateescape")


def _tables(conn: sqlite3.Connection) -> list[_Table]:
    out: list[_Table] = []
    listed = conn.execute(
        "SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type = 'table'"
        " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
    ).fetchall()
    for name, wr in listed:
        cols = [
            (int(c[0]), str(c[1]), str(c[2] or ""), int(c[3]), None if c[4] is None else str(c[4]), int(c[5]), int(c[6]))
            for c in conn.execute("SELECT * FROM pragma_table_xinfo(?)", (name,))
        ]
        out.append(_Table(str(name), bool(wr), cols))
    return out


def _rows(
    conn: sqlite3.Connection, tid: int, table: _Table, stop: Callable[[], None], counter: list[int]
) -> Iterator[tuple[int, Any, bytes]]:
    kind, _cols, select = table.key()
    if kind == KEY_NONE:
        counter[0] = int(conn.execute(f"SELECT COUNT(*) FROM {quote_ident(table.name)}").fetchone()[0])
        return
    cur = conn.execute(f"SELECT {select}, * FROM {quote_ident(table.name)}")
    sha, dumps = hashlib.sha256, marshal.dumps
    n = 0
    if kind in (KEY_ROWID, KEY_INTEGER_PK):
        for row in cur:
            yield tid, row[0], sha(dumps(row[1:], 2)).digest()[:16]
            n += 1
            if n % _STOP_EVERY == 0:
                stop()
    else:
        nk = len(table.pk_columns)
        first = 1 if not table.without_rowid else 0  # a rowid table's select starts with its rowid
        for row in cur:
            keyvals = row[first : first + nk]
            k = key_text(keyvals) if None not in keyvals else json.dumps({"rowid": row[0]})
            yield tid, k, sha(dumps(row[first + nk :], 2)).digest()[:16]
            n += 1
            if n % _STOP_EVERY == 0:
                stop()
    counter[0] = n


def _no_stop() -> None:
    return None


def _open_copy(copy: Path) -> sqlite3.Connection:
    from urllib.parse import quote

    from tui_backup.sources.sqlite import MMAP_BYTES

    # Read-only and immutable: our own copy, nobody writes it (no locks, no -wal/-shm files).
    uri = f"file:{quote(str(copy))}?mode=ro&immutable=1"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    return conn


def build_row_index(copy: Path, out_dir: Path, *, stop: Callable[[], None] = _no_stop) -> RowIndexInfo:
    """Hash every row of the SQLite file `copy` (the tool's own scratch copy) into
    ``out_dir/rows.sqlite`` (temp name, fsynced, renamed). `stop` raises to abandon."""
    started = time.monotonic()
    final = out_dir / ROW_INDEX_NAME
    tmp = temp_path_for(final)
    os.close(open_private(tmp))  # 0600 from the start
    src = _open_copy(copy)
    total = 0
    try:
        out = sqlite3.connect(tmp, isolation_level=None)
        try:
            out.execute("PRAGMA journal_mode = OFF")  # a new file, fsynced once at the end
            out.execute("PRAGMA synchronous = OFF")
            out.executescript(_SCHEMA)
            out.execute("BEGIN")
            out.executemany(
                "INSERT INTO info VALUES (?, ?)", [("format", ROW_INDEX_FORMAT), ("hash", HASH_SCHEME)]
            )
            src.execute("BEGIN")
            out.executemany(
                "INSERT INTO objects VALUES (?, ?, ?, ?)",
                src.execute(
                    "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL"
                    " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
                ).fetchall(),
            )
            tables = _tables(src)
            for tid, table in enumerate(tables, start=1):
                kind, key_cols, _ = table.key()
                out.executemany(
                    "INSERT INTO columns VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [(tid, *c) for c in table.columns]
                )
                counter = [0]
                try:
                    out.executemany("INSERT INTO rows VALUES (?, ?, ?)", _rows(src, tid, table, stop, counter))
                except sqlite3.OperationalError as exc:
                    if "decode" not in str(exc).lower():
                        raise
                    # Some TEXT is not valid UTF-8: this table again, keeping its raw bytes.
                    out.execute("DELETE FROM rows WHERE tbl = ?", (tid,))
                    src.text_factory = _surrogate_text
                    try:
                        out.executemany("INSERT INTO rows VALUES (?, ?, ?)", _rows(src, tid, table, stop, counter))
                    finally:
                        src.text_factory = str
                out.execute(
                    "INSERT INTO tables VALUES (?, ?, ?, ?, ?, ?)",
                    (tid, table.name, kind, json.dumps(key_cols), int(table.without_rowid), counter[0]),
                )
                total += counter[0]
            src.execute("COMMIT")
            out.execute("COMMIT")
        finally:
            out.close()
        digest = hashlib.sha256()
        fd = os.open(tmp, os.O_RDWR)
        try:
            with open(fd, "rb", closefd=False) as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
            os.fsync(fd)
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        os.rename(tmp, final)  # the caller fsyncs the directory (with metadata.json)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    finally:
        src.close()
    return RowIndexInfo(
        file=ROW_INDEX_NAME,
        sha256=digest.hexdigest(),
        size_bytes=size,
        tables=len(tables),
        rows=total,
        duration_s=round(time.monotonic() - started, 3),
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


__all__ = [
    "AUTO_MAX_BYTES",
    "ROW_CHANGES_HINT",
    "ROW_INDEX_NAME",
    "RowIndexInfo",
    "build_row_index",
    "file_sha256",
    "key_text",
    "quote_ident",
    "row_hash",
    "skip_reason",
]
