"""A real PostgreSQL server for the tests (started once per session), and a fresh database per test.

Never skipped: without the PostgreSQL binaries the tests fail with a message saying what to
install (CI installs postgresql).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.postgres.pgserver import APP_PASSWORD, APP_ROLE, PgFixtureError, PgServer, start_server
from tui_backup.config import ConfigDocument
from tui_backup.service import ProfileService
from tui_backup.service.setup import InitRequest, init_profile
from tui_backup.sources.postgres import PostgresDatabase

SAMPLE_SQL = r'''
CREATE TABLE assets (id serial PRIMARY KEY, name text NOT NULL, size integer, body bytea,
                     created timestamptz NOT NULL DEFAULT now());
CREATE TABLE tags (id serial PRIMARY KEY, label text UNIQUE NOT NULL);
CREATE TABLE asset_tags (asset_id integer NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
                         tag_id integer NOT NULL REFERENCES tags(id));
CREATE INDEX asset_tags_asset ON asset_tags (asset_id);
CREATE VIEW big_assets AS SELECT id, name FROM assets WHERE size > 1000;
CREATE SCHEMA audit;
CREATE TABLE audit."Event Log" ("when" timestamptz DEFAULT now(), "what ""exactly""" text);
INSERT INTO assets (name, size, body)
  SELECT 'asset-' || g || E'.jpg\nsecond line', g * 10, decode(repeat('ab', 32), 'hex')
  FROM generate_series(1, 500) g;
INSERT INTO tags (label) SELECT 'tag' || g FROM generate_series(1, 20) g;
INSERT INTO asset_tags SELECT g, g % 20 + 1 FROM generate_series(1, 500) g;
INSERT INTO audit."Event Log" ("what ""exactly""") VALUES (E'tab\there'), (NULL), ('plain');
'''
# Any recognisable piece of the password, raw or URL-encoded, counts as a leak.
LEAKS = [APP_PASSWORD.encode(), quote(APP_PASSWORD, safe="").encode(), b"s3cr3t-UNIQUE-88412"]
SAMPLE_ROWS = {"assets": 500, "tags": 20, "asset_tags": 500, 'audit.Event Log': 3}

_db_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    try:
        server = start_server()
    except PgFixtureError as exc:
        pytest.fail(f"cannot start the PostgreSQL test server: {exc}", pytrace=False)
    yield server
    server.stop()


@dataclass
class PgDb:
    """One test's own database on the test server, owned by the app role."""

    server: PgServer
    name: str

    @property
    def url(self) -> str:
        return self.server.url(self.name)

    @property
    def password_file(self) -> Path:
        return self.server.password_file

    def sql(self, query: str) -> str:
        """Run SQL as the app role (over the trusted socket); unaligned tuples-only output."""
        return self.server.psql(query, dbname=self.name, user=APP_ROLE)

    def counts(self) -> dict[str, int]:
        return {t: int(self.sql(f"SELECT count(*) FROM {_quoted(t)}")) for t in SAMPLE_ROWS}

    def fingerprint(self) -> str:
        """A digest of every sample table's content (order-independent)."""
        parts = [
            self.sql(f"SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM {_quoted(t)} x")
            for t in SAMPLE_ROWS
        ]
        return ",".join(parts)


def assert_no_leak(data: bytes, where: str) -> None:
    for leak in LEAKS:
        assert leak not in data, f"the password leaked into {where}"


def _quoted(table: str) -> str:
    if "." in table:
        schema, name = table.split(".", 1)
        return f'{schema}."{name}"'
    return table


@pytest.fixture
def pg_db(pg_server: PgServer) -> Iterator[PgDb]:
    name = f"app_{os.getpid()}_{next(_db_numbers)}"
    pg_server.create_database(name)
    db = PgDb(pg_server, name)
    db.sql(SAMPLE_SQL)
    yield db
    pg_server.drop_database(name)


@pytest.fixture
def pg_engine(pg_db: PgDb) -> PostgresDatabase:
    return PostgresDatabase(pg_db.url, password_file=pg_db.password_file)


@pytest.fixture
def pg_profile(pg_db: PgDb) -> Path:
    """A profile over the test database, its password in [source] password_file."""
    config = init_profile(InitRequest(name="pgapp", database=pg_db.url))
    doc = ConfigDocument(config.file)
    doc.set("source.password_file", str(pg_db.password_file))
    doc.save()
    return config.file


@pytest.fixture
def pg_svc(pg_profile: Path) -> Iterator[ProfileService]:
    service = ProfileService.open(config=pg_profile)
    yield service
    service.close()


@pytest.fixture
def table_locker(pg_db: PgDb) -> Iterator[subprocess.Popen[bytes]]:
    """A session holding an ACCESS EXCLUSIVE lock on `assets`: pg_dump waits on it until stopped."""
    server = pg_db.server
    argv = [
        str(server.bindir / "psql"), "-X", "-q", "-h", str(server.socket_dir), "-p", str(server.port),
        "-U", APP_ROLE, "-d", pg_db.name,
        "-c", "BEGIN; LOCK TABLE assets IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60); COMMIT;",
    ]  # fmt: skip
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_lock(pg_db)
        yield proc
    finally:
        proc.kill()
        proc.wait()


def _wait_for_lock(pg_db: PgDb) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        held = pg_db.sql(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = 'assets' AND l.mode = 'AccessExclusiveLock' AND l.granted"
        )
        if held == "1":
            return
        time.sleep(0.05)
    raise AssertionError("the locking session never got its lock")

