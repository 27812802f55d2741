"""Snapshots and restores of a PostgreSQL profile through the service layer (and the CLI), end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import assert_error, cli
from tests.helpers import open_service
from tests.postgres.conftest import SAMPLE_ROWS, PgDb, assert_no_leak
from tests.postgres.pgserver import APP_ROLE, free_port
from tui_backup.config import ConfigDocument
from tui_backup.errors import RestoreError, SnapshotError
from tui_backup.service import ProfileService
from tui_backup.service.faults import FAULT_ENV
from tui_backup.service.setup import InitRequest, init_profile
from tui_backup.sources.postgres import PostgresDatabase


def test_snapshot_create_list_verify(pg_svc: ProfileService, pg_db: PgDb) -> None:
    rec = pg_svc.create_snapshot("before the upgrade")

    assert rec.source_kind == "postgresql"
    assert rec.artifact.endswith(".pgdump.zst")
    assert rec.source == pg_db.url  # no password in it
    assert rec.tables == SAMPLE_ROWS and rec.row_count == sum(SAMPLE_ROWS.values())
    assert rec.engine_version.startswith("pg_dump 15")
    assert rec.note == "before the upgrade"
    assert [s.id for s in pg_svc.list_snapshots()] == [rec.id]

    meta = json.loads((Path(rec.path) / "metadata.json").read_text())
    assert meta["tables"] == SAMPLE_ROWS
    assert meta["sha256"] == rec.sha256

    result = pg_svc.verify_snapshot(rec.id)
    assert result.ok and result.checksum_ok and result.integrity_ok


def test_restore_in_place_brings_the_data_back(pg_svc: ProfileService, pg_db: PgDb) -> None:
    original = pg_db.fingerprint()
    rec = pg_svc.create_snapshot()
    pg_db.sql("DELETE FROM asset_tags WHERE tag_id > 5; UPDATE assets SET name = 'renamed'; CREATE TABLE later (x int)")
    changed = pg_db.fingerprint()

    plan = pg_svc.plan_restore(rec.id)  # the dry run changes nothing
    by_table = {c.table: c for c in plan.tables}
    assert by_table["asset_tags"].rows_before == 125 and by_table["asset_tags"].rows_after == 500
    assert "later" in plan.tables_removed
    assert pg_db.fingerprint() == changed

    result = pg_svc.restore_snapshot(rec.id)

    assert pg_db.fingerprint() == original
    assert result.in_place and result.safety_snapshot_id
    listed = {s.id: s for s in pg_svc.list_snapshots()}
    safety = listed[result.safety_snapshot_id]
    assert safety.kind == "safety" and safety.tables["asset_tags"] == 125
    # The safety snapshot is a real one: restoring it brings the changed state back.
    pg_svc.restore_snapshot(safety.id)
    assert pg_db.fingerprint() == changed


def test_a_failed_restore_is_rolled_back(pg_svc: ProfileService, pg_db: PgDb) -> None:
    """A table the snapshot does not know references a table it replaces: pg_restore fails."""
    rec = pg_svc.create_snapshot()
    pg_db.sql("UPDATE tags SET label = 'changed-' || id; CREATE TABLE later (asset_id int REFERENCES assets(id))")
    changed = pg_db.fingerprint()

    with pytest.raises(RestoreError) as info:
        pg_svc.restore_snapshot(rec.id)
    assert info.value.rolled_back
    assert "depend" in info.value.message and "\n" not in info.value.message and info.value.hint
    assert pg_db.fingerprint() == changed
    assert any(s.kind == "safety" for s in pg_svc.list_snapshots())


def test_a_failure_after_the_swap_rolls_back_from_the_safety_snapshot(
    pg_svc: ProfileService, pg_db: PgDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot's content is already in the database when the failure hits: the
    rollback must load the safety snapshot over it."""
    rec = pg_svc.create_snapshot()
    pg_db.sql("DELETE FROM asset_tags WHERE tag_id < 4; UPDATE assets SET size = -1 WHERE id < 50")
    changed = pg_db.fingerprint()
    monkeypatch.setenv(FAULT_ENV, "restore.after_swap")

    with pytest.raises(RestoreError) as info:
        pg_svc.restore_snapshot(rec.id)

    assert info.value.rolled_back and "rolled back to safety snapshot" in info.value.message
    assert pg_db.fingerprint() == changed
    safety = [s for s in pg_svc.list_snapshots() if s.kind == "safety"]
    assert len(safety) == 1 and safety[0].tables["asset_tags"] == 425


def test_when_the_rollback_fails_too_the_safety_snapshot_is_named(
    pg_svc: ProfileService, pg_db: PgDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    rec = pg_svc.create_snapshot()
    pg_db.sql("UPDATE tags SET label = 'x' || id")
    changed = pg_db.fingerprint()
    monkeypatch.setenv(FAULT_ENV, "restore.after_swap,restore.rollback")
    with pytest.raises(RestoreError) as info:
        pg_svc.restore_snapshot(rec.id)
    assert not info.value.rolled_back
    safety = next(s for s in pg_svc.list_snapshots() if s.kind == "safety")
    assert safety.id in info.value.hint
    monkeypatch.delenv(FAULT_ENV)
    pg_svc.restore_snapshot(safety.id)  # what the hint says to do
    assert pg_db.fingerprint() == changed


def test_restore_to_a_file_writes_the_archive(pg_svc: ProfileService, pg_engine: PostgresDatabase, tmp_path: Path) -> None:
    rec = pg_svc.create_snapshot()
    out = tmp_path / "app.pgdump"
    result = pg_svc.restore_snapshot(rec.id, to=out)
    assert not result.in_place and result.safety_snapshot_id is None
    pg_engine.check(out, full=True)
    assert pg_engine.facts(out).tables == SAMPLE_ROWS


def test_dry_run_through_the_cli(pg_svc: ProfileService, pg_db: PgDb) -> None:
    rec = pg_svc.create_snapshot()
    pg_db.sql("DELETE FROM asset_tags WHERE tag_id > 10; ALTER TABLE assets ADD COLUMN extra int; CREATE TABLE notes (t text)")
    before = pg_db.fingerprint()
    result = cli("--config", str(pg_svc.config.file), "snapshot", "restore", rec.id, "--dry-run")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "asset_tags" in out and "250" in out and "500" in out
    assert "changed table assets:" in out and "extra integer" in out
    assert "notes" in out

    assert pg_db.fingerprint() == before


def test_no_secret_in_logs_catalog_or_metadata(pg_svc: ProfileService, pg_db: PgDb) -> None:
    rec = pg_svc.create_snapshot()
    pg_svc.verify_snapshot(rec.id)
    pg_svc.restore_snapshot(rec.id)
    roots = [pg_svc.paths.state_dir, pg_svc.paths.snapshots_dir, pg_svc.config.file.parent]
    seen = 0
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.name.endswith(".zst"):  # archives hold table data only
                assert_no_leak(path.read_bytes(), str(path))
                seen += 1
    assert seen >= 4  # config, catalog, job logs, metadata.json
    assert any(j.log_path for j in pg_svc.list_jobs())


def _profile_for(url: str, password_file: Path, name: str) -> Path:
    config = init_profile(InitRequest(name=name, database=url))
    doc = ConfigDocument(config.file)
    doc.set("source.password_file", str(password_file))
    doc.save()
    return config.file


def test_unreachable_server_is_one_line_with_a_hint(pg_db: PgDb) -> None:
    profile = _profile_for(f"postgresql://{APP_ROLE}@127.0.0.1:{free_port()}/app", pg_db.password_file, "down")
    with open_service(profile) as svc:
        with pytest.raises(SnapshotError) as info:
            svc.create_snapshot()
        assert "connection refused" in info.value.message and "\n" not in info.value.message
        assert info.value.hint
        assert svc.list_snapshots() == []
        job = svc.list_jobs()[0]
        assert job.status == "failed" and job.error and "connection refused" in job.error

    result = cli("--config", str(profile), "snapshot", "create")
    assert_error(result, 1, "connection refused", "hint: ")


def test_bad_database_name_through_the_cli(pg_db: PgDb) -> None:
    profile = _profile_for(pg_db.server.url("no_such_db"), pg_db.password_file, "nodb")
    assert_error(cli("--config", str(profile), "snapshot", "create"), 1, "'no_such_db' does not exist", "createdb")
