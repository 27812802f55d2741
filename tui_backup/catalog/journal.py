"""The change journal's rows: an append-only hash chain in the catalog (layer 2).

Each entry's `hash` = SHA-256 of the previous entry's hash (64 zeros for the first) and the
entry's canonical JSON: {action, actor, at, details, seq, target} with sorted keys, no
spaces, UTF-8. `actor_json` and `details_json` are stored already canonical, so the chain
is recomputed from the stored text alone (no JSON parsing: verify stays fast).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tui_backup.catalog._db import Catalog, utc_now
from tui_backup.errors import NotFoundError

GENESIS_HASH = "0" * 64
FETCH_ROWS = 5000  # verify reads the chain in batches of this many rows: constant memory
_COLUMNS = "seq, at, actor, action, target, details_json, hash"

# json's C string encoder (UTF-8 kept as is, like ensure_ascii=False): the same text
# json.dumps writes for a str, without its per-call overhead.
_encode_str: Any = getattr(json.encoder, "c_encode_basestring", None) or json.encoder.py_encode_basestring


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the one text a value hashes as."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(prev_hash: str, seq: int, at: str, actor_json: str, action: str, target: str, details_json: str) -> str:
    """The chain link: sha256(prev_hash_hex + canonical form of the entry)."""
    canonical = (
        f'{{"action":{_encode_str(action)},"actor":{actor_json},"at":{_encode_str(at)},'
        f'"details":{details_json},"seq":{seq},"target":{_encode_str(target)}}}'
    )
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class JournalEntry:
    seq: int
    at: str  # UTC, catalog format
    actor: dict[str, Any]  # {"who": "user@host", "pid": N, "interface": "cli"|"tui"|"scheduler"|"daemon"}
    action: str
    target: str
    details: dict[str, Any]
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "details": self.details,
            "hash": self.hash,
        }


def _entry(row: sqlite3.Row | tuple[Any, ...]) -> JournalEntry:
    seq, at, actor, action, target, details, digest = tuple(row)
    return JournalEntry(int(seq), at, _loads(actor), action, target, _loads(details), digest)


def _loads(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {"unparsable": text}
    return value if isinstance(value, dict) else {"value": value}


def append(catalog: Catalog, actor: dict[str, Any], action: str, target: str, details: dict[str, Any]) -> JournalEntry:
    """Add one entry. The last hash is read inside the same IMMEDIATE transaction as the
    insert, so writers in other processes queue and each links to the one before it."""
    with catalog.transaction() as conn:
        return insert(conn, actor, action, target, details)


def insert(
    conn: sqlite3.Connection, actor: dict[str, Any], action: str, target: str, details: dict[str, Any]
) -> JournalEntry:
    """`append` on a connection already inside an IMMEDIATE transaction (the caller's: its
    change and the entry commit or roll back together)."""
    # Outside one, another writer could append between the read of the last hash and the insert.
    assert conn.in_transaction, "journal.insert needs the catalog's write transaction"
    actor_json = canonical_json(actor)
    details_json = canonical_json(details)
    row = conn.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    prev_seq, prev_hash = (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)
    seq = prev_seq + 1
    at = utc_now()
    digest = entry_hash(prev_hash, seq, at, actor_json, action, target, details_json)
    conn.execute(
        f"INSERT INTO journal ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (seq, at, actor_json, action, target, details_json, digest),
    )
    return JournalEntry(seq, at, json.loads(actor_json), action, target, json.loads(details_json), digest)


def get(catalog: Catalog, seq: int) -> JournalEntry:
    row = catalog.conn.execute(f"SELECT {_COLUMNS} FROM journal WHERE seq = ?", (seq,)).fetchone()
    if row is None:
        raise NotFoundError(f"no journal entry {seq}", "list them with `tui-backup journal list`")
    return _entry(row)


def last(catalog: Catalog) -> tuple[int, str] | None:
    """(seq, hash) of the newest entry, or None for an empty journal."""
    row = catalog.conn.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else None


def hash_at(catalog: Catalog, seq: int) -> str | None:
    row = catalog.conn.execute("SELECT hash FROM journal WHERE seq = ?", (seq,)).fetchone()
    return str(row[0]) if row else None


def count(catalog: Catalog) -> int:
    return int(catalog.conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0])


def _glob_or_eq(column: str, pattern: str) -> tuple[str, str]:
    # A plain value uses the index by equality; a pattern with wildcards is a GLOB.
    if any(c in pattern for c in "*?["):
        return f"{column} GLOB ?", pattern
    return f"{column} = ?", pattern


def select(
    catalog: Catalog,
    *,
    since: str | None = None,
    until: str | None = None,
    action: str | None = None,
    target_glob: str | None = None,
    limit: int = 50,
    before_seq: int | None = None,
) -> list[JournalEntry]:
    """One page, newest first: at most `limit` entries with seq < `before_seq`."""
    where: list[str] = []
    args: list[Any] = []
    if since is not None:
        where.append("at >= ?")
        args.append(since)
    if until is not None:
        where.append("at < ?")
        args.append(until)
    if action:
        clause, arg = _glob_or_eq("action", action)
        where.append(clause)
        args.append(arg)
    if target_glob:
        clause, arg = _glob_or_eq("target", target_glob)
        where.append(clause)
        args.append(arg)
    if before_seq is not None:
        where.append("seq < ?")
        args.append(before_seq)
    sql = f"SELECT {_COLUMNS} FROM journal"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq DESC LIMIT ?"
    args.append(max(0, limit))
    return [_entry(r) for r in catalog.conn.execute(sql, args).fetchall()]


def raw_rows(catalog: Catalog, after_seq: int | None = None) -> Iterator[tuple[int, str, str, str, str, str, str]]:
    """Every row (with seq > `after_seq` when given) as plain tuples, in seq order, in batches."""
    # A connection of its own: the stream stays consistent (one read transaction) and the
    # catalog's shared connection stays free for the caller.
    if after_seq is None:
        yield from _stream(catalog, f"SELECT {_COLUMNS} FROM journal ORDER BY seq", ())
    else:
        yield from _stream(catalog, f"SELECT {_COLUMNS} FROM journal WHERE seq > ? ORDER BY seq", (after_seq,))


def _stream(catalog: Catalog, sql: str, args: tuple[Any, ...] | dict[str, Any]) -> Iterator[Any]:
    """The rows of `sql`, fetched in batches (constant memory) on a connection of its own."""
    conn = sqlite3.connect(catalog.path, timeout=15)
    try:
        cur = conn.execute(sql, args)
        while True:
            batch = cur.fetchmany(FETCH_ROWS)
            if not batch:
                return
            yield from batch
    finally:
        conn.close()


# The canonical form built by SQLite itself (json_quote escapes strings as json.dumps does
# with ensure_ascii=False), returned as bytes: verify then only hashes in Python. Python's
# entry_hash stays the authority: a link that fails here is rechecked with it.
# (Measured: two threads over two halves were slower — the GIL is taken per row.)
_CANONICAL_SQL = (
    "SELECT seq, CAST('{\"action\":' || json_quote(action) || ',\"actor\":' || actor"
    " || ',\"at\":' || json_quote(at) || ',\"details\":' || details_json || ',\"seq\":' || seq"
    " || ',\"target\":' || json_quote(target) || '}' AS BLOB), CAST(hash AS BLOB) FROM journal"
)


def canonical_rows(
    catalog: Catalog, after_seq: int | None = None, upto_seq: int | None = None
) -> Iterator[tuple[int, bytes, bytes]]:
    """(seq, canonical form as UTF-8, hash as ASCII) of every row (after_seq < seq <= upto_seq,
    either bound optional), in seq order, read in batches on a connection of its own."""
    where = " AND ".join(
        c for c, v in (("seq > :after", after_seq), ("seq <= :upto", upto_seq)) if v is not None
    )
    sql = f"{_CANONICAL_SQL}{' WHERE ' + where if where else ''} ORDER BY seq"
    yield from _stream(catalog, sql, {"after": after_seq, "upto": upto_seq})


def raw_row(catalog: Catalog, seq: int) -> tuple[int, str, str, str, str, str, str] | None:
    row = catalog.conn.execute(f"SELECT {_COLUMNS} FROM journal WHERE seq = ?", (seq,)).fetchone()
    return None if row is None else tuple(row)


def next_raw_row(catalog: Catalog, seq: int) -> tuple[int, str, str, str, str, str, str] | None:
    row = catalog.conn.execute(
        f"SELECT {_COLUMNS} FROM journal WHERE seq > ? ORDER BY seq LIMIT 1", (seq,)
    ).fetchone()
    return None if row is None else tuple(row)
