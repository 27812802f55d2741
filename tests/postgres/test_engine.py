"""The PostgreSQL engine against a real server: dump, check, facts, load, and how each one fails."""

from __future__ import annotations

import stat
import threading
import time
from pathlib import Path

import pytest

from tests.postgres.conftest import SAMPLE_ROWS, PgDb
from tests.postgres.pgserver import APP_PASSWORD, APP_ROLE
from tui_backup.errors import CancelledError, RestoreError, SnapshotCorruptError, SnapshotError
from tui_backup.jobs.events import CancelToken, Progress, no_progress
from tui_backup.sources import pgtools
from tui_backup.sources.postgres import PostgresDatabase


def dump(engine: PostgresDatabase, out: Path, *, timeout: float = 60, cancel: CancelToken | None = None) -> Path:
    engine.dump(out, timeout=timeout, progress=no_progress, cancel=cancel or CancelToken())
    return out


def test_dump_check_and_facts_agree_with_the_live_database(pg_engine: PostgresDatabase, tmp_path: Path) -> None:
    seen: list[Progress] = []
    out = tmp_path / "copy.pgdump"
    pg_engine.dump(out, timeout=60, progress=seen.append, cancel=CancelToken())

    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_bytes()[:5] == b"PGDMP"
    assert seen and seen[-1].fraction == 1.0 and seen[-1].bytes_done == out.stat().st_size
    pg_engine.check(out, full=False)
    pg_engine.check(out, full=True)

    copy = pg_engine.facts(out)
    live = pg_engine.facts()
    assert copy.tables == SAMPLE_ROWS  # exact counts, read from the archive's data
    assert live.tables == SAMPLE_ROWS
    assert copy.row_count == sum(SAMPLE_ROWS.values())
    # The same words for the same objects: a restore's dry run can diff them.
    assert copy.schema == live.schema
    assert copy.schema["assets"].startswith("CREATE TABLE public.assets (")
    assert copy.schema["big_assets"].startswith("CREATE VIEW public.big_assets AS")
    assert copy.schema["asset_tags_asset"].startswith("CREATE INDEX asset_tags_asset ON public.asset_tags")
    assert "ADD CONSTRAINT assets_pkey PRIMARY KEY" in copy.schema["assets assets_pkey (constraint)"]
    assert copy.schema["audit"] == "CREATE SCHEMA audit;" and "audit.Event Log" in copy.schema
    assert copy.engine_version.startswith("pg_dump 15")
    assert live.engine_version.startswith("PostgreSQL 15")
    assert copy.size_bytes == out.stat().st_size and live.size_bytes > 0


def test_facts_see_schema_and_row_changes(pg_db: PgDb, pg_engine: PostgresDatabase, tmp_path: Path) -> None:
    before = pg_engine.facts(dump(pg_engine, tmp_path / "a.pgdump"))
    pg_db.sql("DELETE FROM asset_tags WHERE asset_id > 100; ALTER TABLE tags ADD COLUMN colour text; CREATE TABLE notes (t text)")
    after = pg_engine.facts()
    assert after.tables["asset_tags"] == 100 and after.tables["notes"] == 0
    assert before.schema["tags"] != after.schema["tags"]
    assert "notes" in after.schema and "notes" not in before.schema


def test_load_puts_the_old_content_back(pg_db: PgDb, pg_engine: PostgresDatabase, tmp_path: Path) -> None:
    original = pg_db.fingerprint()
    out = dump(pg_engine, tmp_path / "copy.pgdump")
    pg_db.sql(
        "DELETE FROM asset_tags; DELETE FROM assets WHERE id % 2 = 0; UPDATE tags SET label = label || '!';"
        "DROP VIEW big_assets; ALTER TABLE assets DROP COLUMN size; INSERT INTO audit.\"Event Log\" DEFAULT VALUES"
    )
    assert pg_db.fingerprint() != original

    seen: list[Progress] = []
    pg_engine.load(out, timeout=60, progress=seen.append)

    assert pg_db.fingerprint() == original
    assert pg_db.counts() == SAMPLE_ROWS
    assert pg_engine.facts().schema == pg_engine.facts(out).schema
    assert seen[-1].fraction == 1.0
    # Sequences come back too: the next id continues after the snapshot's last one.
    assert pg_db.sql("INSERT INTO assets (name) VALUES ('next') RETURNING id") == "501"


def test_a_failing_load_leaves_the_live_database_as_it_was(pg_db: PgDb, pg_engine: PostgresDatabase, tmp_path: Path) -> None:
    out = dump(pg_engine, tmp_path / "copy.pgdump")
    pg_db.sql("DELETE FROM asset_tags WHERE tag_id = 3; UPDATE assets SET name = 'changed' WHERE id < 10")
    changed = pg_db.fingerprint()
    # Cut the archive inside its table data: the table of contents still lists, so pg_restore
    # drops and recreates objects before it reads past the end -- all in one transaction.
    broken = tmp_path / "broken.pgdump"
    data = out.read_bytes()
    broken.write_bytes(data[: len(data) - 2000])
    pg_engine.check(broken, full=False)  # the TOC alone looks fine

    with pytest.raises(RestoreError) as info:
        pg_engine.load(broken, timeout=60, progress=no_progress)

    assert "archive is damaged" in info.value.message and "\n" not in info.value.message
    assert pg_db.fingerprint() == changed  # nothing of the half-applied restore was committed
    with pytest.raises(SnapshotCorruptError):
        pg_engine.check(broken, full=True)


@pytest.mark.parametrize(
    "content",
    [b"", b"not a dump at all\n", b"PGDMP\x01\x0e\x00"],
    ids=["empty", "garbage", "truncated-header"],
)
def test_check_refuses_what_is_not_an_archive(pg_engine: PostgresDatabase, tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.pgdump"
    bad.write_bytes(content)
    with pytest.raises(SnapshotCorruptError) as info:
        pg_engine.check(bad, full=False)
    assert info.value.hint and "\n" not in info.value.message
    with pytest.raises(SnapshotCorruptError):
        pg_engine.facts(bad)


def test_a_flipped_byte_in_the_table_of_contents_is_caught(pg_engine: PostgresDatabase, tmp_path: Path) -> None:
    data = bytearray(dump(pg_engine, tmp_path / "copy.pgdump").read_bytes())
    data[10] ^= 0xFF  # the archive header's format byte
    bad = tmp_path / "flipped.pgdump"
    bad.write_bytes(bytes(data))
    with pytest.raises(SnapshotCorruptError):
        pg_engine.check(bad, full=False)


# ---- connection failures: one line and a hint, never the password ----


def _one_line_error(exc: SnapshotError | RestoreError) -> str:
    assert "\n" not in exc.message and exc.hint
    assert APP_PASSWORD not in exc.message and APP_PASSWORD not in exc.hint
    return exc.message


def test_wrong_password(pg_db: PgDb, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password\n")
    engine = PostgresDatabase(pg_db.url, password_file=wrong)
    with pytest.raises(SnapshotError) as info:
        dump(engine, tmp_path / "x.pgdump")
    assert "rejected the password" in _one_line_error(info.value)
    assert str(wrong) in info.value.hint


def test_no_password_configured(pg_db: PgDb, tmp_path: Path) -> None:
    engine = PostgresDatabase(pg_db.url, password_file=None)
    with pytest.raises(SnapshotError) as info:
        engine.facts()
    assert "wants a password" in _one_line_error(info.value)
    assert "password_file" in info.value.hint


def test_server_not_listening(pg_db: PgDb, pg_engine: PostgresDatabase, tmp_path: Path) -> None:
    from tests.postgres.pgserver import free_port

    good = dump(pg_engine, tmp_path / "good.pgdump")
    engine = PostgresDatabase(f"postgresql://{APP_ROLE}@127.0.0.1:{free_port()}/app", password_file=pg_db.password_file)
    with pytest.raises(SnapshotError) as info:
        dump(engine, tmp_path / "x.pgdump")
    assert "connection refused" in _one_line_error(info.value)
    with pytest.raises(RestoreError) as rinfo:
        engine.load(good, timeout=10, progress=no_progress)
    assert "connection refused" in _one_line_error(rinfo.value)


def test_missing_database(pg_db: PgDb, tmp_path: Path) -> None:
    engine = PostgresDatabase(pg_db.server.url("no_such_db"), password_file=pg_db.password_file)
    with pytest.raises(SnapshotError) as info:
        dump(engine, tmp_path / "x.pgdump")
    assert "'no_such_db' does not exist" in _one_line_error(info.value)
    assert "createdb" in info.value.hint


def test_missing_password_file(pg_db: PgDb, tmp_path: Path) -> None:
    engine = PostgresDatabase(pg_db.url, password_file=tmp_path / "nope")
    with pytest.raises(SnapshotError) as info:
        dump(engine, tmp_path / "x.pgdump")
    assert "does not exist" in _one_line_error(info.value)


def test_missing_client_programs_name_the_package(
    pg_engine: PostgresDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setattr(pgtools, "DEBIAN_LIB", tmp_path / "no-postgresql")
    with pytest.raises(pgtools.PgToolMissingError) as info:
        dump(pg_engine, tmp_path / "x.pgdump")
    assert "pg_dump is not installed" in info.value.message
    assert "apt-get install postgresql-client" in info.value.hint


def test_tools_are_found_in_the_versioned_directory_when_not_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    found = Path(pgtools.find_tool("pg_restore"))
    assert found.parent.parent.parent == pgtools.DEBIAN_LIB and found.name == "pg_restore"


# ---- stopping a dump: timeout and cancel (pg_dump waits on a lock another session holds) ----


def _pg_dump_running(dbname: str) -> bool:
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if any(a.endswith(b"pg_dump") for a in argv[:2]) and any(dbname.encode() in a for a in argv):
            return True
    return False


def test_a_dump_that_exceeds_its_timeout_is_stopped(
    pg_db: PgDb, pg_engine: PostgresDatabase, table_locker: object, tmp_path: Path
) -> None:
    started = time.monotonic()
    with pytest.raises(SnapshotError) as info:
        dump(pg_engine, tmp_path / "x.pgdump", timeout=1.0)
    assert "did not finish within 1 s" in info.value.message
    assert time.monotonic() - started < 10
    assert not _pg_dump_running(pg_db.name)


def test_a_cancelled_dump_is_stopped(pg_db: PgDb, pg_engine: PostgresDatabase, table_locker: object, tmp_path: Path) -> None:
    cancel = CancelToken()
    threading.Timer(0.5, cancel.cancel).start()
    with pytest.raises(CancelledError):
        dump(pg_engine, tmp_path / "x.pgdump", cancel=cancel)
    assert not _pg_dump_running(pg_db.name)


def test_load_into_an_empty_database(pg_db: PgDb, pg_engine: PostgresDatabase, tmp_path: Path) -> None:
    """Disaster recovery: the snapshot recreates everything in a freshly created database."""
    out = dump(pg_engine, tmp_path / "copy.pgdump")
    fresh = PgDb(pg_db.server, f"{pg_db.name}_fresh")
    pg_db.server.create_database(fresh.name)
    try:
        PostgresDatabase(fresh.url, password_file=fresh.password_file).load(out, timeout=60, progress=no_progress)
        assert fresh.fingerprint() == pg_db.fingerprint()
    finally:
        pg_db.server.drop_database(fresh.name)
