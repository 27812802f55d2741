"""Row changes in the database between two snapshots (layer 2: `db.changed` entries).

Each SQLite snapshot carries a row index (service/row_index.py: one hash per row, computed
on the snapshot's copy, never the live database). Comparing the row indexes of two
snapshots gives, per table, the rows inserted, updated and deleted (with a few sample keys),
the tables added and dropped, and the schema changes (objects of sqlite_master added,
removed or changed; columns added, removed or changed). The comparison runs in SQLite on
the two sidecars (attached), so it never holds a table's keys in memory.

At every snapshot (not the safety ones a restore takes) the new snapshot is compared with
the newest older snapshot that has a row index, and each changed table is journaled as one
`db.changed` entry (target = the table), each changed schema object as one `db.schema`
entry; nothing is journaled when nothing changed. PostgreSQL snapshots have no row index:
their `db.changed` entry says that row changes are computed for SQLite only. Nor do those
`[snapshots] row_changes` rules out (its cost grows with the database): one `db.changed`
entry (target "database", "computed": false) says why, and the next snapshot with an index
is compared across them (`snapshots_between` in its entries).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tui_backup.catalog import snapshots as snapshot_rows
from tui_backup.catalog.snapshots import SnapshotRecord
from tui_backup.config._schema import ROW_CHANGES_AUTO_MAX_MB
from tui_backup.errors import NotFoundError, SnapshotCorruptError, UsageError
from tui_backup.service.row_index import (
    HASH_SCHEME,
    ROW_CHANGES_HINT,
    ROW_INDEX_FORMAT,
    ROW_INDEX_NAME,
    file_sha256,
)

if TYPE_CHECKING:
    from tui_backup.service.profile import ProfileService

log = logging.getLogger(__name__)

DEFAULT_SAMPLE_KEYS = 10
SQLITE_ONLY = "row changes are computed for SQLite databases only"


@dataclass(frozen=True)
class TableChanges:
    """What changed in one table. `status`: "changed", "added" or "dropped"."""

    table: str
    status: str
    inserted: int
    updated: int
    deleted: int
    rows_before: int | None
    rows_after: int | None
    keyed_by: list[str]  # the key columns ("rowid" for the rowid)
    samples: dict[str, list[Any]] = field(default_factory=dict)  # "inserted"/"updated"/"deleted" -> keys
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    columns_changed: list[str] = field(default_factory=list)  # "name: INTEGER -> TEXT"
    note: str = ""  # e.g. why rows were not compared

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SchemaChange:
    """One object of sqlite_master (table, index, view, trigger) added, removed or changed."""

    type: str
    name: str
    change: str  # "added" | "removed" | "changed"
    before: str | None
    after: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DbChanges:
    old_id: str
    new_id: str
    old_created_at: str
    new_created_at: str
    tables: tuple[TableChanges, ...] = ()  # changed tables only, by name
    schema: tuple[SchemaChange, ...] = ()
    unchanged_tables: int = 0
    note: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.tables or self.schema)

    @property
    def tables_added(self) -> list[str]:
        return [t.table for t in self.tables if t.status == "added"]

    @property
    def tables_dropped(self) -> list[str]:
        return [t.table for t in self.tables if t.status == "dropped"]

    def to_json(self) -> dict[str, Any]:
        return {
            "old": {"id": self.old_id, "created_at": self.old_created_at},
            "new": {"id": self.new_id, "created_at": self.new_created_at},
            "changed": self.changed,
            "tables": [t.to_json() for t in self.tables],
            "tables_added": self.tables_added,
            "tables_dropped": self.tables_dropped,
            "schema": [s.to_json() for s in self.schema],
            "unchanged_tables": self.unchanged_tables,
            "note": self.note,
        }


# ---- finding row indexes ----


def row_index_file(rec: SnapshotRecord) -> Path | None:
    """The snapshot's row index, or None if it has none (PostgreSQL, safety, older snapshots)."""
    path = Path(rec.path) / ROW_INDEX_NAME
    return path if path.is_file() else None


def _checked_row_index(rec: SnapshotRecord) -> Path:
    """The row index, its checksum matched against metadata.json (as every artifact's is)."""
    from tui_backup.service.snapshots import read_metadata

    path = row_index_file(rec)
    if path is None:
        why = SQLITE_ONLY if rec.source_kind != "sqlite" else "it was taken without one (a safety snapshot, or older)"
        raise UsageError(f"snapshot {rec.id} has no row index: {why}", "compare two other snapshots")
    try:
        meta = read_metadata(Path(rec.path)).get("row_index") or {}
    except (OSError, ValueError) as exc:
        raise SnapshotCorruptError(f"cannot read the metadata.json of snapshot {rec.id}: {exc}", "verify it") from None
    if meta.get("sha256") != file_sha256(path):
        raise SnapshotCorruptError(
            f"the row index of snapshot {rec.id} does not match its checksum in metadata.json",
            f"its row changes cannot be trusted; `tui-backup snapshot verify {rec.id}` checks the snapshot itself",
        )
    return path


def previous_with_index(svc: ProfileService, rec: SnapshotRecord) -> SnapshotRecord | None:
    """The newest snapshot older than `rec` that has a row index."""
    for other in snapshot_rows.list_snapshots(svc.catalog):  # newest first
        if (other.created_at, other.id) < (rec.created_at, rec.id) and row_index_file(other) is not None:
            return other
    return None


def _newest_with_index(svc: ProfileService) -> SnapshotRecord:
    for rec in snapshot_rows.list_snapshots(svc.catalog):
        if row_index_file(rec) is not None:
            return rec
    raise NotFoundError(
        "no snapshot has a row index yet",
        "row changes are recorded at every snapshot of a SQLite database ([snapshots] row_changes permitting:"
        f" \"auto\" skips databases over {ROW_CHANGES_AUTO_MAX_MB} MB): take two with `tui-backup snapshot create`",
    )


# ---- comparing ----


def _open_pair(old: Path, new: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    for alias, path in (("o", old), ("n", new)):
        conn.execute(f"ATTACH DATABASE ? AS {alias}", (f"file:{quote(str(path))}?mode=ro&immutable=1",))
    return conn


def _info(conn: sqlite3.Connection, alias: str) -> dict[str, Any]:
    return {str(k): v for k, v in conn.execute(f"SELECT name, value FROM {alias}.info")}


def _tables(conn: sqlite3.Connection, alias: str) -> dict[str, tuple[int, str, list[str], int]]:
    return {
        str(name): (int(tid), str(kind), list(json.loads(cols)), int(count))
        for tid, name, kind, cols, count in conn.execute(
            f"SELECT id, name, key_kind, key_columns, row_count FROM {alias}.tables"
        )
    }


def _columns(conn: sqlite3.Connection, alias: str, tid: int) -> dict[str, str]:
    """Column name -> its definition as one comparable string."""
    out: dict[str, str] = {}
    for name, type_, notnull, dflt, pk, hidden in conn.execute(
        f'SELECT name, type, "notnull", dflt, pk, hidden FROM {alias}.columns WHERE tbl = ? ORDER BY cid', (tid,)
    ):
        parts = [str(type_) or "(no type)"]
        if notnull:
            parts.append("NOT NULL")
        if dflt is not None:
            parts.append(f"DEFAULT {dflt}")
        if pk:
            parts.append(f"PRIMARY KEY({pk})")
        if hidden:
            parts.append("GENERATED" if hidden >= 2 else "HIDDEN")
        out[str(name)] = " ".join(parts)
    return out


def _key_out(k: Any) -> Any:
    """A stored key as shown to people and in JSON: the rowid, the key value, or the list of values."""
    if isinstance(k, str):
        try:
            value = json.loads(k)
        except ValueError:
            return k
        if isinstance(value, list):
            return value[0] if len(value) == 1 else value
        return value  # {"rowid": n}: a NULL in a rowid table's key
    return k


_ONLY_NEW = "FROM n.rows a WHERE a.tbl = :nt AND NOT EXISTS (SELECT 1 FROM o.rows b WHERE b.tbl = :ot AND b.k = a.k)"
_ONLY_OLD = "FROM o.rows a WHERE a.tbl = :ot AND NOT EXISTS (SELECT 1 FROM n.rows b WHERE b.tbl = :nt AND b.k = a.k)"
_UPDATED = "FROM n.rows a JOIN o.rows b ON b.tbl = :ot AND b.k = a.k WHERE a.tbl = :nt AND a.h <> b.h"


def _count_and_sample(conn: sqlite3.Connection, where: str, params: dict[str, int], keys: int) -> tuple[int, list[Any]]:
    count = int(conn.execute(f"SELECT COUNT(*) {where}", params).fetchone()[0])
    sample = [_key_out(k) for (k,) in conn.execute(f"SELECT a.k {where} ORDER BY a.k LIMIT :lim", {**params, "lim": keys})]
    return count, sample if count else []


def _table_diff(
    conn: sqlite3.Connection, name: str, old: tuple[int, str, list[str], int], new: tuple[int, str, list[str], int],
    keys: int, comparable: bool,
) -> TableChanges | None:  # fmt: skip
    ocols, ncols = _columns(conn, "o", old[0]), _columns(conn, "n", new[0])
    added = [c for c in ncols if c not in ocols]
    removed = [c for c in ocols if c not in ncols]
    changed = [f"{c}: {ocols[c]} -> {ncols[c]}" for c in ncols if c in ocols and ocols[c] != ncols[c]]
    note = ""
    ins = upd = dele = 0
    samples: dict[str, list[Any]] = {}
    if not comparable:
        note = "the row indexes were made by different versions: rows not compared"
    elif (old[1], old[2]) != (new[1], new[2]):
        note = f"the key changed ({', '.join(old[2]) or old[1]} -> {', '.join(new[2]) or new[1]}): rows not compared"
    elif new[1] == "none":
        note = "no usable key (every rowid name is a column): rows counted, not compared"
    else:
        params = {"ot": old[0], "nt": new[0]}
        ins, s_ins = _count_and_sample(conn, _ONLY_NEW, params, keys)
        dele, s_del = _count_and_sample(conn, _ONLY_OLD, params, keys)
        upd, s_upd = _count_and_sample(conn, _UPDATED, params, keys)
        samples = {k: v for k, v in (("inserted", s_ins), ("updated", s_upd), ("deleted", s_del)) if v}
    if not (ins or upd or dele or added or removed or changed) and old[3] == new[3] and not note:
        return None
    if note and old[3] == new[3] and not (added or removed or changed):
        return None  # not comparable, but nothing shows a change either
    return TableChanges(
        table=name, status="changed", inserted=ins, updated=upd, deleted=dele, rows_before=old[3], rows_after=new[3],
        keyed_by=new[2], samples=samples, columns_added=added, columns_removed=removed, columns_changed=changed,
        note=note,
    )  # fmt: skip


def _whole_table(conn: sqlite3.Connection, alias: str, name: str, t: tuple[int, str, list[str], int], keys: int) -> TableChanges:
    """A table that exists on one side only: all its rows were inserted (added) or deleted (dropped)."""
    sample = [_key_out(k) for (k,) in conn.execute(f"SELECT k FROM {alias}.rows WHERE tbl = ? ORDER BY k LIMIT ?", (t[0], keys))]
    added = alias == "n"
    return TableChanges(
        table=name, status="added" if added else "dropped", inserted=t[3] if added else 0, updated=0,
        deleted=0 if added else t[3], rows_before=None if added else t[3], rows_after=t[3] if added else None,
        keyed_by=t[2], samples={("inserted" if added else "deleted"): sample} if sample else {},
        columns_added=list(_columns(conn, alias, t[0])) if added else [],
    )  # fmt: skip


def _schema_diff(conn: sqlite3.Connection) -> list[SchemaChange]:
    def objects(alias: str) -> dict[tuple[str, str], str]:
        return {(str(t), str(n)): str(s) for t, n, s in conn.execute(f"SELECT type, name, sql FROM {alias}.objects")}

    old, new = objects("o"), objects("n")
    out: list[SchemaChange] = []
    for key in sorted(old.keys() | new.keys(), key=lambda k: (k[1], k[0])):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        change = "added" if before is None else "removed" if after is None else "changed"
        out.append(SchemaChange(key[0], key[1], change, before, after))
    return out


def compare_row_indexes(old: Path, new: Path, *, keys: int = DEFAULT_SAMPLE_KEYS) -> tuple[list[TableChanges], list[SchemaChange], int]:
    """(changed tables, schema changes, number of unchanged tables) between two row index files."""
    conn = _open_pair(old, new)
    try:
        oi, ni = _info(conn, "o"), _info(conn, "n")
        comparable = (oi.get("format"), oi.get("hash")) == (ni.get("format"), ni.get("hash")) == (
            ROW_INDEX_FORMAT, HASH_SCHEME,
        )  # fmt: skip
        otabs, ntabs = _tables(conn, "o"), _tables(conn, "n")
        changes: list[TableChanges] = []
        unchanged = 0
        for name in sorted(otabs.keys() | ntabs.keys()):
            if name not in otabs:
                changes.append(_whole_table(conn, "n", name, ntabs[name], keys))
            elif name not in ntabs:
                changes.append(_whole_table(conn, "o", name, otabs[name], keys))
            else:
                diff = _table_diff(conn, name, otabs[name], ntabs[name], keys, comparable)
                if diff is None:
                    unchanged += 1
                else:
                    changes.append(diff)
        return changes, _schema_diff(conn), unchanged
    finally:
        conn.close()


def diff_records(old: SnapshotRecord, new: SnapshotRecord, *, keys: int = DEFAULT_SAMPLE_KEYS) -> DbChanges:
    if keys < 0:
        raise UsageError("--keys must be 0 or more", "e.g. --keys 10")
    tables, schema, unchanged = compare_row_indexes(_checked_row_index(old), _checked_row_index(new), keys=keys)
    return DbChanges(
        old_id=old.id, new_id=new.id, old_created_at=old.created_at, new_created_at=new.created_at,
        tables=tuple(tables), schema=tuple(schema), unchanged_tables=unchanged,
    )  # fmt: skip


def diff_snapshots(svc: ProfileService, old_id: str, new_id: str, *, keys: int = DEFAULT_SAMPLE_KEYS) -> DbChanges:
    """Row and schema changes from snapshot `old_id` to `new_id` (ids, prefixes or `latest`)."""
    return diff_records(svc.get_snapshot(old_id), svc.get_snapshot(new_id), keys=keys)


def db_changes(
    svc: ProfileService, old_id: str | None = None, new_id: str | None = None, *, keys: int = DEFAULT_SAMPLE_KEYS
) -> DbChanges:
    """Defaults: NEW = the newest snapshot with a row index, OLD = the one before it that has one."""
    new = svc.get_snapshot(new_id) if new_id is not None else _newest_with_index(svc)
    if old_id is not None:
        old = svc.get_snapshot(old_id)
    else:
        found = previous_with_index(svc, new)
        if found is None:
            raise NotFoundError(
                f"no snapshot older than {new.id} has a row index to compare with",
                "take another snapshot with `tui-backup snapshot create`, or name both snapshots",
            )
        old = found
    return diff_records(old, new, keys=keys)


# ---- journaling, at every snapshot ----


def _skipped_reason(rec: SnapshotRecord) -> str:
    """The metadata.json note of a snapshot taken without a row index by design, or ""."""
    from tui_backup.service.snapshots import read_metadata

    note = read_metadata(Path(rec.path)).get("row_changes") or {}
    return str(note.get("reason") or "") if note.get("computed") is False else ""


def _snapshots_between(svc: ProfileService, old: SnapshotRecord, new: SnapshotRecord) -> int:
    """How many snapshots (without a row index, else `old` would be newer) lie between the two."""
    lo, hi = (old.created_at, old.id), (new.created_at, new.id)
    return sum(1 for r in snapshot_rows.list_snapshots(svc.catalog) if lo < (r.created_at, r.id) < hi)


def journal_db_changes(svc: ProfileService, rec: SnapshotRecord) -> DbChanges | None:
    """Journal what changed since the previous snapshot; never fails the snapshot."""
    from tui_backup.service import journal

    if rec.source_kind != "sqlite":
        journal.try_record(svc, "db.changed", "database", {"snapshot": rec.id, "computed": False, "note": SQLITE_ONLY})
        return None
    try:
        if row_index_file(rec) is None:
            skipped = _skipped_reason(rec)
            if skipped:  # not built by design ([snapshots] row_changes): say so, once
                details = {"snapshot": rec.id, "computed": False, "reason": skipped, "hint": ROW_CHANGES_HINT}
                journal.try_record(svc, "db.changed", "database", details)
            return None  # else building it failed: the snapshot's warnings say why
        old = previous_with_index(svc, rec)
        if old is None:
            return None  # the first one: nothing to compare with
        changes = diff_records(old, rec)
        between = _snapshots_between(svc, old, rec)
    except Exception as exc:  # a damaged older sidecar must not fail a finished snapshot
        log.warning("could not compare the rows of snapshot %s with the previous one: %s", rec.id, exc)
        return None
    base: dict[str, Any] = {"snapshot": rec.id, "previous_snapshot": changes.old_id}
    if between:  # snapshots without a row index in between: the changes span them all
        base["snapshots_between"] = between
    for t in changes.tables:
        details = {**base, **{k: v for k, v in t.to_json().items() if k != "table" and v not in ("", [], {})}}
        journal.try_record(svc, "db.changed", t.table, details)
    for s in changes.schema:
        journal.try_record(svc, "db.schema", s.name, {**base, **{k: v for k, v in s.to_json().items() if k != "name"}})
    return changes


__all__ = [
    "DbChanges",
    "SchemaChange",
    "TableChanges",
    "compare_row_indexes",
    "db_changes",
    "diff_snapshots",
    "journal_db_changes",
    "previous_with_index",
    "row_index_file",
]
