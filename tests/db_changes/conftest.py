"""Fixtures for the row-change tests: a database with every kind of table key."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tui_backup.service.row_index import ROW_INDEX_NAME, build_row_index

KEYED_SCHEMA = """
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL, body BLOB);
CREATE TABLE log (msg TEXT, at INTEGER);
CREATE TABLE codes (code TEXT PRIMARY KEY, label TEXT);
CREATE TABLE pairs (a INTEGER, b TEXT, v, PRIMARY KEY (a, b)) WITHOUT ROWID;
CREATE INDEX log_at ON log(at);
"""


def make_keyed_db(path: Path) -> Path:
    """Tables keyed by INTEGER PRIMARY KEY, by rowid only, by a TEXT primary key (rowid
    table) and by a composite key (WITHOUT ROWID); BLOBs and NULLs among the values."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(KEYED_SCHEMA)
    conn.executemany(
        "INSERT INTO items VALUES (?, ?, ?, ?)",
        [(i, f"item {i}", i * 1.5, bytes([i % 256]) * (i % 7) if i % 3 else None) for i in range(1, 101)],
    )
    conn.executemany("INSERT INTO log VALUES (?, ?)", [(f"event {i}", i) for i in range(50)])
    conn.executemany("INSERT INTO codes VALUES (?, ?)", [(f"c{i:03d}", None if i % 2 else f"L{i}") for i in range(30)])
    conn.executemany("INSERT INTO pairs VALUES (?, ?, ?)", [(i // 3, f"k{i % 3}", i) for i in range(60)])
    conn.commit()
    conn.close()
    return path


def sql(path: Path, script: str) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.executescript(script)
        conn.commit()
    finally:
        conn.close()


@pytest.fixture
def index_of(tmp_path: Path) -> Callable[[Path, str], Path]:
    """Build the row index of a database file into tmp_path/<name>/rows.sqlite."""

    def build(db: Path, name: str) -> Path:
        out = tmp_path / name
        out.mkdir()
        build_row_index(db, out)
        return out / ROW_INDEX_NAME

    return build
