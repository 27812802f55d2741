"""The catalog upgrades an older schema in place, keeps its data, and refuses a newer one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.cli.helpers import assert_error, cli
from tui_backup.catalog import LATEST_VERSION, Catalog, CatalogError
from tui_backup.catalog import jobs as job_rows
from tui_backup.catalog._migrations import MIGRATIONS
from tui_backup.catalog.snapshots import get_snapshot, list_snapshots
from tui_backup.service.profile import profile_paths


def build_v1_catalog(path: Path) -> None:
    """A catalog as the first released schema left it, with one snapshot and one job."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    conn.executescript(MIGRATIONS[0])
    conn.execute("INSERT INTO schema_version VALUES (1, '2024-01-01T00:00:00.000000Z')")
    conn.execute(
        "INSERT INTO snapshots (id, created_at, source_kind, source, path, artifact, size_bytes,"
        " db_size_bytes, sha256, duration_s, note) VALUES"
        " ('20240101T000000Z-aaaa', '2024-01-01T00:00:00.000000Z', 'sqlite', 'sqlite:///srv/app.db',"
        " '/srv/snaps/20240101T000000Z-aaaa', 'database.db.zst', 1234, 8192, ?, 0.5, 'before upgrade')",
        ("ab" * 32,),
    )
    conn.execute(
        "INSERT INTO jobs (kind, target, started_at, finished_at, status, bytes, duration_s)"
        " VALUES ('snapshot', 'app', '2024-01-01T00:00:00.000000Z', '2024-01-01T00:00:01.000000Z',"
        " 'succeeded', 1234, 0.5)"
    )
    conn.commit()
    conn.close()


def test_first_schema_is_upgraded_in_place(tmp_path: Path) -> None:
    assert LATEST_VERSION > 1  # otherwise there is nothing to upgrade and this test is moot
    path = tmp_path / "catalog.db"
    build_v1_catalog(path)
    catalog = Catalog(path)
    try:
        assert catalog.schema_version() == LATEST_VERSION
        versions = [r[0] for r in catalog.conn.execute("SELECT version FROM schema_version ORDER BY version")]
        assert versions == list(range(1, LATEST_VERSION + 1))
        (snap,) = list_snapshots(catalog)
        assert snap.id == "20240101T000000Z-aaaa"
        assert snap.note == "before upgrade"
        assert snap.sha256 == "ab" * 32
        assert (snap.kind, snap.tables, snap.row_count, snap.verify_status) == ("manual", {}, 0, None)
        assert get_snapshot(catalog, "2024").id == snap.id
        (job,) = job_rows.list_jobs(catalog)
        assert (job.kind, job.status, job.bytes, job.interface) == ("snapshot", "succeeded", 1234, None)
        # New columns and tables are usable.
        job_rows.start_job(catalog, "verify", "app", "cli")
        catalog.conn.execute("SELECT path, marker_id FROM volumes").fetchall()
    finally:
        catalog.close()
    # Opening again changes nothing.
    again = Catalog(path)
    try:
        assert again.conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == LATEST_VERSION
    finally:
        again.close()


def test_every_intermediate_version_upgrades(tmp_path: Path) -> None:
    for start in range(0, LATEST_VERSION):
        path = tmp_path / f"catalog-{start}.db"
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
        for version in range(1, start + 1):
            conn.executescript(MIGRATIONS[version - 1])
            conn.execute("INSERT INTO schema_version VALUES (?, 'x')", (version,))
        conn.commit()
        conn.close()
        catalog = Catalog(path)
        assert catalog.schema_version() == LATEST_VERSION
        catalog.close()


def test_new_catalog_is_private_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "state" / "catalog.db"
    catalog = Catalog(path)
    try:
        assert catalog.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.parent.stat().st_mode & 0o777 == 0o700
    finally:
        catalog.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    Catalog(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (?, 'future')", (LATEST_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(CatalogError, match="newer than this tui-backup"):
        Catalog(path)
    # Refused without a change: the future version row is still the newest.
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == LATEST_VERSION + 1
    conn.close()


def test_cli_reports_a_newer_catalog_in_one_line(svc_config_and_catalog: tuple[Path, Path]) -> None:
    config, catalog_path = svc_config_and_catalog
    conn = sqlite3.connect(catalog_path)
    conn.execute("INSERT INTO schema_version VALUES (?, 'future')", (LATEST_VERSION + 1,))
    conn.commit()
    conn.close()
    assert_error(cli("--config", str(config), "status"), 1, "newer than this tui-backup", "upgrade tui-backup")


@pytest.fixture
def svc_config_and_catalog(profile_config: Path) -> tuple[Path, Path]:
    from tui_backup.config import load_config

    paths = profile_paths(load_config(profile_config))
    Catalog(paths.catalog).close()
    return profile_config, paths.catalog
