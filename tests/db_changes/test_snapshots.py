"""Row changes at every snapshot: the sidecar, the journal entries, a real concurrent writer."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.db_changes.conftest import make_keyed_db, sql
from tests.snapshots.conftest import DbProcess
from tui_backup.errors import NotFoundError, SnapshotCorruptError, UsageError
from tui_backup.service import ProfileService
from tui_backup.service.db_changes import diff_snapshots, journal_db_changes
from tui_backup.service.row_index import ROW_INDEX_NAME, file_sha256


def live_db(svc: ProfileService) -> Path:
    path = svc.config.source.database.path
    assert path is not None
    return path


def db_entries(svc: ProfileService) -> list[Any]:
    return [e for e in reversed(svc.journal_list(limit=1000)) if e.action in ("db.changed", "db.schema")]


@pytest.fixture
def keyed(svc: ProfileService) -> ProfileService:
    """The profile's database with the keyed tables added."""
    make_keyed_db(live_db(svc))  # the keyed tables beside the app's own
    return svc


def test_snapshot_stores_a_private_row_index_listed_in_metadata(svc: ProfileService) -> None:
    rec = svc.create_snapshot("first")
    path = Path(rec.path) / ROW_INDEX_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    meta = json.loads((Path(rec.path) / "metadata.json").read_text())["row_index"]
    assert meta["file"] == ROW_INDEX_NAME and meta["sha256"] == file_sha256(path)
    assert meta["tables"] == 3 and meta["rows"] == sum(rec.tables.values())
    assert db_entries(svc) == []  # the first snapshot: nothing to compare with
    with pytest.raises(NotFoundError, match="no snapshot older"):
        svc.db_changes()


def test_changes_journaled_one_entry_per_table(keyed: ProfileService) -> None:
    svc = keyed
    first = svc.create_snapshot("before")
    svc.create_snapshot("nothing changed")
    assert db_entries(svc) == []  # no entry when nothing changed
    sql(
        live_db(svc),
        """
        UPDATE assets SET body = NULL WHERE id = 3;
        DELETE FROM pairs WHERE a = 2;
        INSERT INTO codes VALUES ('new', x'00');
        ALTER TABLE tags ADD COLUMN color TEXT;
        CREATE INDEX codes_label ON codes(label);
        """,
    )
    third = svc.create_snapshot("after")
    entries = db_entries(svc)
    changed = {e.target: e.details for e in entries if e.action == "db.changed"}
    assert sorted(changed) == ["assets", "codes", "pairs", "tags"]
    assert changed["assets"]["updated"] == 1 and changed["assets"]["samples"] == {"updated": [3]}
    assert changed["pairs"]["deleted"] == 3 and changed["pairs"]["keyed_by"] == ["a", "b"]
    assert changed["codes"]["inserted"] == 1 and changed["codes"]["samples"] == {"inserted": ["new"]}
    assert changed["tags"]["columns_added"] == ["color"] and changed["tags"]["updated"] == 20
    assert all(d["snapshot"] == third.id and d["previous_snapshot"] != first.id for d in changed.values())
    schema = {e.target: e.details for e in entries if e.action == "db.schema"}
    assert schema["codes_label"]["change"] == "added" and schema["tags"]["change"] == "changed"
    # the facade: defaults are the two newest; naming the first compares across both
    assert {t.table for t in svc.db_changes().tables} == set(changed)
    across = svc.db_changes(first.id, third.id)
    assert across.to_json()["new"]["id"] == third.id and not svc.db_changes(first.id, first.id).changed
    assert svc.journal_verify().ok


def test_safety_snapshots_have_no_row_index_and_are_skipped(svc: ProfileService) -> None:
    first = svc.create_snapshot("one")
    sql(live_db(svc), "DELETE FROM tags WHERE id > 10;")
    result = svc.restore_snapshot(first.id)  # takes a safety snapshot of the changed database
    safety = svc.get_snapshot(result.safety_snapshot_id or "")
    assert safety.kind == "safety" and not (Path(safety.path) / ROW_INDEX_NAME).exists()
    sql(live_db(svc), "DELETE FROM tags WHERE id = 1;")
    svc.create_snapshot("two")
    changes = svc.db_changes()
    assert changes.old_id == first.id  # the safety snapshot in between has no row index
    assert [(t.table, t.deleted) for t in changes.tables] == [("tags", 1)]
    with pytest.raises(UsageError, match="has no row index"):
        diff_snapshots(svc, safety.id, "latest")


def test_tampered_row_index_is_refused_and_never_fails_a_snapshot(svc: ProfileService) -> None:
    first = svc.create_snapshot("one")
    with open(Path(first.path) / ROW_INDEX_NAME, "r+b") as f:
        f.seek(200)
        f.write(b"tampered")
    sql(live_db(svc), "DELETE FROM tags WHERE id = 1;")
    second = svc.create_snapshot("two")  # comparing fails: logged, the snapshot stands
    assert db_entries(svc) == []
    with pytest.raises(SnapshotCorruptError, match="checksum"):
        svc.db_changes()
    assert journal_db_changes(svc, second) is None


def test_a_real_concurrent_writer(svc: ProfileService) -> None:
    from tests.snapshots import dbproc

    db = live_db(svc)
    dbproc.prepare(str(db), rows=2000)
    writer = DbProcess("write", db, "0.002")  # commits a row every 2 ms while we snapshot
    try:
        first = svc.create_snapshot("one")
        second = svc.create_snapshot("two")
        assert writer.stop()["commits"] > 0
    finally:
        writer.kill()
    changes = {t.table: t for t in svc.db_changes(first.id, second.id, keys=3).tables}
    ledger = changes["ledger"]  # the writer only appends to the ledger and bumps meta
    assert ledger.inserted == (ledger.rows_after or 0) - (ledger.rows_before or 0) > 0
    assert ledger.updated == ledger.deleted == 0
    assert min(ledger.samples["inserted"]) > (ledger.rows_before or 0)
    assert (changes["meta"].updated, changes["meta"].samples) == (1, {"updated": ["rows"]})
    # the rows were read from the snapshots: each sidecar agrees with its snapshot's counts
    assert ledger.rows_before == first.tables["ledger"] and ledger.rows_after == second.tables["ledger"]
