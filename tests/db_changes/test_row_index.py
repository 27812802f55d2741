"""Row indexes compared directly: every kind of key, inserts/updates/deletes, schema changes."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

from tests.db_changes.conftest import make_keyed_db, sql
from tui_backup.service.db_changes import TableChanges, compare_row_indexes
from tui_backup.service.row_index import ROW_INDEX_NAME, build_row_index, row_hash

Index = Callable[[Path, str], Path]


def by_table(changes: list[TableChanges]) -> dict[str, TableChanges]:
    return {t.table: t for t in changes}


def test_identical_copies_have_no_changes(tmp_path: Path, index_of: Index) -> None:
    db = make_keyed_db(tmp_path / "a.db")
    tables, schema, unchanged = compare_row_indexes(index_of(db, "one"), index_of(db, "two"))
    assert (tables, schema, unchanged) == ([], [], 4)


def test_inserts_updates_deletes_per_key_kind(tmp_path: Path, index_of: Index) -> None:
    db = make_keyed_db(tmp_path / "a.db")
    old = index_of(db, "old")
    sql(
        db,
        """
        INSERT INTO items VALUES (500, 'new', NULL, x'00ff');
        UPDATE items SET body = x'0102' WHERE id = 7;          -- a BLOB changes
        UPDATE items SET body = NULL WHERE id = 8;             -- a BLOB becomes NULL
        UPDATE items SET price = 10 WHERE id = 10;             -- 15.0 -> 10.0
        UPDATE items SET name = 'item 11' WHERE id = 11;       -- the same value: no change
        DELETE FROM items WHERE id IN (1, 2);
        DELETE FROM log WHERE at = 3;
        INSERT INTO log VALUES ('late', NULL);
        UPDATE log SET msg = NULL WHERE at = 4;
        UPDATE codes SET label = 'x' WHERE code = 'c001';      -- NULL -> text
        INSERT INTO codes VALUES ('zzz', NULL);
        DELETE FROM pairs WHERE a = 0 AND b = 'k1';
        UPDATE pairs SET v = '5' WHERE a = 1 AND b = 'k2';     -- 5 -> '5': the type counts
        INSERT INTO pairs VALUES (99, 'k0', x'');
        """,
    )
    tables, schema, unchanged = compare_row_indexes(old, index_of(db, "new"), keys=5)
    assert schema == [] and unchanged == 0
    t = by_table(tables)
    items = t["items"]
    assert (items.inserted, items.updated, items.deleted) == (1, 3, 2)
    assert items.samples == {"inserted": [500], "updated": [7, 8, 10], "deleted": [1, 2]}
    assert items.keyed_by == ["id"] and (items.rows_before, items.rows_after) == (100, 99)
    log = t["log"]  # no primary key: keyed by rowid (at = i was inserted as rowid i + 1)
    assert (log.inserted, log.updated, log.deleted) == (1, 1, 1)
    assert log.keyed_by == ["rowid"] and log.samples == {"inserted": [51], "updated": [5], "deleted": [4]}
    codes = t["codes"]  # a TEXT primary key in a rowid table: keyed by the declared key
    assert (codes.inserted, codes.updated, codes.deleted) == (1, 1, 0)
    assert codes.keyed_by == ["code"] and codes.samples == {"inserted": ["zzz"], "updated": ["c001"]}
    pairs = t["pairs"]  # WITHOUT ROWID, composite key
    assert (pairs.inserted, pairs.updated, pairs.deleted) == (1, 1, 1)
    assert pairs.keyed_by == ["a", "b"]
    assert pairs.samples == {"inserted": [[99, "k0"]], "updated": [[1, "k2"]], "deleted": [[0, "k1"]]}


def test_sample_keys_are_limited(tmp_path: Path, index_of: Index) -> None:
    db = make_keyed_db(tmp_path / "a.db")
    old = index_of(db, "old")
    sql(db, "DELETE FROM items WHERE id <= 40;")
    items = by_table(compare_row_indexes(old, index_of(db, "new"), keys=3)[0])["items"]
    assert items.deleted == 40 and items.samples == {"deleted": [1, 2, 3]}
    items = by_table(compare_row_indexes(old, index_of(db, "new0"), keys=0)[0])["items"]
    assert items.deleted == 40 and items.samples == {}


def test_schema_changes_tables_added_and_dropped(tmp_path: Path, index_of: Index) -> None:
    db = make_keyed_db(tmp_path / "a.db")
    old = index_of(db, "old")
    sql(
        db,
        """
        ALTER TABLE items ADD COLUMN note TEXT DEFAULT 'n/a';
        ALTER TABLE codes DROP COLUMN label;
        DROP INDEX log_at;
        CREATE INDEX items_name ON items(name);
        DROP TABLE pairs;
        CREATE TABLE fresh (id INTEGER PRIMARY KEY, v BLOB);
        INSERT INTO fresh VALUES (1, NULL), (2, x'00');
        """,
    )
    tables, schema, unchanged = compare_row_indexes(old, index_of(db, "new"))
    t = by_table(tables)
    assert unchanged == 1  # log: only its index went
    assert t["items"].columns_added == ["note"] and t["items"].updated == 100  # every row has a new value
    assert t["codes"].columns_removed == ["label"]
    assert t["pairs"].status == "dropped" and t["pairs"].deleted == 60 and t["pairs"].rows_after is None
    assert t["fresh"].status == "added" and t["fresh"].inserted == 2 and t["fresh"].samples == {"inserted": [1, 2]}
    changes = {(s.type, s.name): s.change for s in schema}
    assert changes == {
        ("table", "items"): "changed",
        ("table", "codes"): "changed",
        ("index", "log_at"): "removed",
        ("index", "items_name"): "added",
        ("table", "pairs"): "removed",
        ("table", "fresh"): "added",
    }


def test_column_type_change_is_named(tmp_path: Path, index_of: Index) -> None:
    db = tmp_path / "a.db"
    sql(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (1, 1);")
    old = index_of(db, "old")
    sql(
        db,
        "CREATE TABLE t2 (id INTEGER PRIMARY KEY, v TEXT NOT NULL); INSERT INTO t2 SELECT * FROM t;"
        " DROP TABLE t; ALTER TABLE t2 RENAME TO t;",
    )
    t = by_table(compare_row_indexes(old, index_of(db, "new"))[0])["t"]
    assert t.columns_changed == ["v: INTEGER -> TEXT NOT NULL"]
    assert t.updated == 1  # the value is stored as TEXT now: 1 -> '1'


def test_key_change_is_reported_not_compared(tmp_path: Path, index_of: Index) -> None:
    db = tmp_path / "a.db"
    sql(db, "CREATE TABLE t (a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x');")
    old = index_of(db, "old")
    sql(db, "DROP TABLE t; CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT); INSERT INTO t VALUES (1, 'x'), (2, 'y');")
    t = by_table(compare_row_indexes(old, index_of(db, "new"))[0])["t"]
    assert "key changed" in t.note and (t.rows_before, t.rows_after) == (1, 2)
    assert (t.inserted, t.updated, t.deleted) == (0, 0, 0)


def test_values_are_type_preserving() -> None:
    assert len({row_hash(v) for v in [(1,), (1.0,), ("1",), (b"1",), (None,), (True * 2,)]}) == 6
    assert row_hash(("a", None)) != row_hash((None, "a")) != row_hash(("aN",))
    assert row_hash((b"x" * 5000,)) == row_hash((b"x" * 5000,))


def test_null_keys_and_invalid_utf8_text(tmp_path: Path, index_of: Index) -> None:
    db = tmp_path / "a.db"
    conn = sqlite3.connect(db)
    # A rowid table's non-integer key may hold NULLs (SQLite allows several).
    conn.executescript("CREATE TABLE k (code TEXT PRIMARY KEY, v); INSERT INTO k VALUES (NULL, 1), (NULL, 2), ('a', 3);")
    conn.execute("CREATE TABLE raw (id INTEGER PRIMARY KEY, t TEXT)")
    conn.execute("INSERT INTO raw VALUES (1, CAST(? AS TEXT)), (2, 'ok')", (b"caf\xe9",))  # not UTF-8
    conn.commit()
    old = index_of(db, "old")
    conn.execute("UPDATE k SET v = 20 WHERE rowid = 2")
    conn.execute("UPDATE raw SET t = CAST(? AS TEXT) WHERE id = 1", (b"caf\xe8",))
    conn.commit()
    conn.close()
    t = by_table(compare_row_indexes(old, index_of(db, "new"))[0])
    assert (t["k"].updated, t["k"].samples) == (1, {"updated": [{"rowid": 2}]})
    assert (t["raw"].updated, t["raw"].samples) == (1, {"updated": [1]})


def test_sidecar_file_is_private_and_complete(tmp_path: Path) -> None:
    db = make_keyed_db(tmp_path / "a.db")
    out = tmp_path / "snap"
    out.mkdir()
    info = build_row_index(db, out)
    path = out / ROW_INDEX_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in out.iterdir()) == [ROW_INDEX_NAME]  # no temporary left
    assert (info.tables, info.rows, info.size_bytes) == (4, 240, path.stat().st_size)
