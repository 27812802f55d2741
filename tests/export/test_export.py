"""Data export: CSV and JSON read back equal the tables (NULLs, blobs, floats, big ints,
unicode, non-UTF-8 text, odd table names), from the live database under a real concurrent
writer, and from a snapshot."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.cli.helpers import assert_error, cli
from tests.snapshots.dbproc import prepare
from tui_backup.errors import UsageError
from tui_backup.service import ProfileService
from tui_backup.service.export import (
    BadText,
    decode_json,
    read_csv,
    table_file_stem,
    table_from_stem,
)

ODD = 'we"ird / tåble.x'  # quotes, a slash, a dot, non-ASCII

VALUES: list[tuple[Any, ...]] = [
    (1, None, None, None),
    (2, "", b"", 0.0),
    (3, "héllo, \"world\"\r\nline 2 ✓ 🎉", b"\x00\xff\x10binary", 1.5),
    (9223372036854775807, "12", bytes(range(256)), -0.1),
    (-9223372036854775808, "NULL", b"x", 1e300),
    (5, "base64:looks-like-a-blob", None, float("inf")),
    (6, " , ", None, float("-inf")),
]


def _db_path(svc: ProfileService) -> Path:
    path = svc.config.source.database.path
    assert path is not None
    return path


def _fill(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute(f'CREATE TABLE "{ODD.replace(chr(34), chr(34) * 2)}" (i INTEGER, t TEXT, b BLOB, r REAL)')
    conn.execute("CREATE TABLE mixed (v)")  # no declared type: each cell keeps its own
    conn.execute("CREATE TABLE empty (a, b)")
    conn.executemany(f'INSERT INTO "{ODD.replace(chr(34), chr(34) * 2)}" VALUES (?, ?, ?, ?)', VALUES)
    conn.executemany("INSERT INTO mixed VALUES (?)", [(1,), ("1",), (1.0,), (b"1",), (None,), ("",)])
    conn.execute("INSERT INTO mixed VALUES (CAST(x'ff6869' AS TEXT))")  # not UTF-8
    conn.commit()
    conn.close()


def _table(db: Path, name: str) -> tuple[list[str], list[list[object]]]:
    conn = sqlite3.connect(db)
    conn.text_factory = lambda b: b.decode("utf-8") if _utf8(b) else BadText(b)
    cur = conn.execute('SELECT * FROM "' + name.replace('"', '""') + '"')
    cols = [d[0] for d in cur.description]
    rows = [list(r) for r in cur.fetchall()]
    conn.close()
    return cols, rows


def _utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _same(a: list[list[object]], b: list[list[object]]) -> None:
    """Equal values AND equal types (1 is not 1.0 is not '1')."""
    assert [[type(v) for v in r] for r in a] == [[type(v) for v in r] for r in b]
    assert a == b


def _all_tables(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    conn.close()
    return names


def test_csv_round_trip(svc: ProfileService, tmp_path: Path) -> None:
    db = _db_path(svc)
    _fill(db)
    out = tmp_path / "out"
    result = svc.export_data("csv", out=out)
    assert [t.name for t in result.tables] == _all_tables(db)
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for t in result.tables:
        assert t.file.parent == out and stat.S_IMODE(t.file.stat().st_mode) == 0o600
        assert table_from_stem(t.file.stem) == t.name
        cols, rows = read_csv(t.file)
        want_cols, want_rows = _table(db, t.name)
        assert cols == want_cols and t.rows == len(want_rows)
        _same(rows, want_rows)
    assert (out / f"{table_file_stem(ODD)}.csv").is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporaries left
    # NULL is an empty unquoted cell, the empty string is "".
    lines = (out / f"{table_file_stem(ODD)}.csv").read_bytes().split(b"\r\n")
    assert lines[0] == b'"i","t","b","r"'
    assert lines[1] == b"1,,,"
    assert lines[2] == b'2,"",base64:,0.0'


@pytest.mark.parametrize("lines", [False, True])
def test_json_round_trip(svc: ProfileService, tmp_path: Path, lines: bool) -> None:
    db = _db_path(svc)
    _fill(db)
    out = tmp_path / "out"
    result = svc.export_data("json", out=out, lines=lines)
    if lines:
        docs = {
            t.name: [json.loads(line) for line in t.file.read_text(encoding="utf-8").splitlines()]
            for t in result.tables
        }
        assert {t.file.suffix for t in result.tables} == {".jsonl"}
    else:
        assert result.files == (out / "app.json",)
        docs = json.loads((out / "app.json").read_text(encoding="utf-8"))
    assert sorted(docs) == _all_tables(db)
    for name, rows in docs.items():
        cols, want = _table(db, name)
        got = [[decode_json(row[c]) for c in cols] for row in rows]
        assert all(list(row) == cols for row in rows)
        _same(got, want)
    assert docs["mixed"][3] == {"v": {"$base64": "MQ=="}}
    assert docs[ODD][5]["r"] == {"$real": "Infinity"}


def test_table_filter_and_unknown_table(svc: ProfileService, tmp_path: Path) -> None:
    result = svc.export_data("csv", tables=["tags", "assets", "tags"], out=tmp_path / "o")
    assert [t.name for t in result.tables] == ["tags", "assets"]
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["assets.csv", "tags.csv"]
    with pytest.raises(UsageError, match="no table 'nope'"):
        svc.export_data("json", tables=["nope"], out=tmp_path / "o2")
    assert not (tmp_path / "o2").exists()


def test_cli(profile_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli-out"
    r = cli("--config", str(profile_config), "export", "--format", "json", "--table", "tags", "--out", str(out), "--json")
    assert r.exit_code == 0, r.stderr
    summary = r.json()
    assert summary["tables"] == [{"name": "tags", "rows": 20, "file": str(out / "app.json")}]
    assert json.loads((out / "app.json").read_text())["tags"][0] == {"id": 1, "label": "tag0"}
    r = cli("--config", str(profile_config), "export", "--format", "csv", "--out", str(out))
    assert r.exit_code == 0 and "3 table(s)" in r.stdout
    assert_error(cli("--config", str(profile_config), "export", "--format", "csv", "--table", "nope"), 2, "no table 'nope'", "assets")
    assert_error(cli("--config", str(profile_config), "export", "--format", "xml"), 2, "unknown export format")
    assert_error(cli("--config", str(profile_config), "export", "--format", "csv", "--lines"), 2, "--lines")


def test_from_snapshot(svc: ProfileService, tmp_path: Path) -> None:
    db = _db_path(svc)
    snap = svc.create_snapshot("before")
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM tags")
    conn.commit()
    conn.close()
    before = set(tmp_path.iterdir())
    result = svc.export_data("csv", snapshot_id=snap.id, tables=["tags"], out=tmp_path / "snap")
    assert result.source == snap.id and result.tables[0].rows == 20
    assert svc.export_data("csv", tables=["tags"], out=tmp_path / "live").tables[0].rows == 0
    # the private decompressed copy is gone
    assert not [p for p in svc.paths.snapshots_dir.iterdir() if p.name.startswith(".tui-backup-tmp-")]
    assert set(tmp_path.iterdir()) - before == {tmp_path / "snap", tmp_path / "live"}


def test_live_export_under_a_concurrent_writer(svc: ProfileService, tmp_path: Path, db_process: Any) -> None:
    """A real writer process keeps committing; the export is one consistent moment and the
    writer is never held up (WAL + read-only connection)."""
    db = _db_path(svc)
    prepare(str(db), rows=3000)
    writer = db_process("write", db, "0.002")
    try:
        for i in range(3):
            result = svc.export_data("json", tables=["ledger", "meta"], out=tmp_path / f"o{i}")
            doc = json.loads(result.files[0].read_text())
            n = doc["meta"][0]["v"]
            assert len(doc["ledger"]) == n == doc["ledger"][-1]["n"]  # one moment, not torn
    finally:
        done = writer.stop()
    assert done["commits"] > 0
    # the writer's rows all landed (export never blocked or broke it)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT v FROM meta").fetchone()[0] == 3000 + done["commits"]
    conn.close()


def test_rollback_journal_database(svc: ProfileService, tmp_path: Path) -> None:
    db = _db_path(svc)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    result = svc.export_data("csv", tables=["tags"], out=tmp_path / "o")
    assert result.tables[0].rows == 20 and result.warnings


def test_postgres_profile_is_refused(svc: ProfileService, tmp_path: Path) -> None:
    import dataclasses

    from tui_backup.config.models import DatabaseSource

    pg = DatabaseSource(kind="postgresql", url="postgresql://app@localhost/app")
    cfg = dataclasses.replace(svc.config, source=dataclasses.replace(svc.config.source, database=pg))
    other = ProfileService(cfg)
    try:
        with pytest.raises(UsageError, match="SQLite databases only") as err:
            other.export_data("csv", out=tmp_path / "o")
        assert "pg_dump" in err.value.hint
    finally:
        other.close()


def test_file_stems() -> None:
    for name in ["plain", "", ".", "..", ".hidden", "a/b", "a%20b", "x" * 300, "ü ñ", "CON"]:
        stem = table_file_stem(name)
        assert "/" not in stem and not stem.startswith(".") and len(stem) < 250
        if len(name) < 100:
            assert table_from_stem(stem) == name
