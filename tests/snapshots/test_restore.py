"""Restoring snapshots: in place with a safety snapshot, rollback on failure, a reader
connected during the restore, --to with and without force, and the dry run."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from tests.snapshots import dbproc
from tests.snapshots.conftest import count_rows, integrity, logical_dump, temporaries
from tui_backup.errors import RestoreError, UsageError
from tui_backup.service import ProfileService
from tui_backup.service.faults import FAULT_ENV


def _live(svc: ProfileService) -> Path:
    path = svc.config.source.database.path
    assert path is not None
    return path


def _change(live: Path) -> None:
    """Make the live database differ from a snapshot: rows, a table, an index, a column."""
    conn = sqlite3.connect(live)
    conn.executescript(
        """
        DELETE FROM assets WHERE id > 100;
        INSERT INTO tags (label) VALUES ('new-1'), ('new-2');
        CREATE TABLE comments (id INTEGER PRIMARY KEY, body TEXT);
        INSERT INTO comments (body) VALUES ('hi');
        CREATE INDEX tags_label ON tags(label);
        DROP TABLE asset_tags;
        """
    )
    conn.commit()
    conn.close()


def _checkpointed_bytes(path: Path) -> bytes:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path.read_bytes()


def test_restore_in_place(svc: ProfileService) -> None:
    live = _live(svc)
    rec = svc.create_snapshot("good")
    snapshot_dump = logical_dump(live)
    _change(live)
    changed_dump = logical_dump(live)
    result = svc.restore_snapshot(rec.id)
    assert result.in_place and result.rows_after == rec.row_count
    assert logical_dump(live) == snapshot_dump
    assert integrity(live) == "ok"
    # the live database stays in WAL mode (the backup API keeps the destination's mode)
    assert open(live, "rb").read(20)[18:20] == b"\x02\x02"
    # the safety snapshot holds what was overwritten, and is listed
    snaps = {s.id: s for s in svc.list_snapshots()}
    assert result.safety_snapshot_id in snaps
    safety = snaps[result.safety_snapshot_id]
    assert safety.kind == "safety" and rec.id in safety.note and safety.verified
    assert safety.tables["comments"] == 1 and "asset_tags" not in safety.tables
    job = svc.list_jobs()[0]
    assert (job.kind, job.status) == ("restore", "succeeded")
    # restoring the safety snapshot puts the changed state back
    svc.restore_snapshot(safety.id)
    assert logical_dump(live) == changed_dump
    assert temporaries(svc.paths.snapshots_dir) == []


def test_failure_after_the_swap_rolls_back(svc: ProfileService, monkeypatch: pytest.MonkeyPatch) -> None:
    """An injected failure after the snapshot was written into the live database: rolled back
    from the safety snapshot.

    Compared: the logical content (iterdump: schema and every row) and the file bytes after a
    checkpoint. The backup API writes every page as it was in the safety copy, but each write
    into the live file moves three header counters on purpose, so that connected clients
    notice the change: the file change counter (offset 24), the schema cookie (offset 40,
    bumped so other connections re-read the schema) and version-valid-for (offset 92). Those
    12 bytes are masked; every other byte of the file must be equal.
    """
    live = _live(svc)
    rec = svc.create_snapshot("good")
    _change(live)
    before_dump = logical_dump(live)
    before_bytes = _checkpointed_bytes(live)

    monkeypatch.setenv(FAULT_ENV, "restore.after_swap")
    with pytest.raises(RestoreError, match="rolled back") as err:
        svc.restore_snapshot(rec.id)
    assert err.value.rolled_back
    monkeypatch.delenv(FAULT_ENV)

    assert logical_dump(live) == before_dump
    assert integrity(live) == "ok"
    after_bytes = _checkpointed_bytes(live)
    assert len(after_bytes) == len(before_bytes)

    def masked(b: bytes) -> bytes:
        return b[:24] + b"\0" * 4 + b[28:40] + b"\0" * 4 + b[44:92] + b"\0" * 4 + b[96:]

    assert masked(after_bytes) == masked(before_bytes)
    snaps = svc.list_snapshots()
    safety = [s for s in snaps if s.kind == "safety"]
    assert len(safety) == 1 and safety[0].tables["comments"] == 1
    job = svc.list_jobs()[0]
    assert job.kind == "restore" and job.status == "failed" and "rolled back" in (job.error or "")


def test_failure_in_verification_rolls_back(svc: ProfileService, monkeypatch: pytest.MonkeyPatch) -> None:
    live = _live(svc)
    rec = svc.create_snapshot()
    _change(live)
    before = logical_dump(live)
    monkeypatch.setenv(FAULT_ENV, "restore.verify")
    with pytest.raises(RestoreError) as err:
        svc.restore_snapshot(rec.id)
    assert err.value.rolled_back
    assert logical_dump(live) == before


def test_failed_rollback_says_so(svc: ProfileService, monkeypatch: pytest.MonkeyPatch) -> None:
    live = _live(svc)
    rec = svc.create_snapshot()
    _change(live)
    monkeypatch.setenv(FAULT_ENV, "restore.after_swap,restore.rollback")
    with pytest.raises(RestoreError) as err:
        svc.restore_snapshot(rec.id)
    assert not err.value.rolled_back
    assert "rolling back failed" in err.value.message
    safety = next(s for s in svc.list_snapshots() if s.kind == "safety")
    assert safety.id in err.value.hint
    monkeypatch.delenv(FAULT_ENV)
    svc.restore_snapshot(safety.id)  # the way out the hint names works
    assert count_rows(live, "comments") == 1


def test_failure_before_the_swap_changes_nothing(svc: ProfileService, monkeypatch: pytest.MonkeyPatch) -> None:
    live = _live(svc)
    rec = svc.create_snapshot()
    _change(live)
    before = logical_dump(live)
    monkeypatch.setenv(FAULT_ENV, "restore.before_swap")
    with pytest.raises(Exception, match="injected fault"):
        svc.restore_snapshot(rec.id)
    assert logical_dump(live) == before


def test_restore_while_another_process_reads(svc: ProfileService, app_db: Path, db_process: Any) -> None:
    """A reader process keeps a connection open and reads throughout: it only ever sees the
    old or the new database, never a torn one, and the restore succeeds."""
    rec = svc.create_snapshot()
    old_rows = rec.tables["ledger"]
    dbproc.prepare(str(app_db), rows=5_000)  # the live database moves on
    reader = db_process("read", app_db)
    result = svc.restore_snapshot(rec.id)
    assert result.rows_after == rec.row_count
    assert result.safety_snapshot_id is not None
    # back and forth a few times while the reader keeps reading
    svc.restore_snapshot(result.safety_snapshot_id)
    svc.restore_snapshot(rec.id)
    time.sleep(0.2)  # let it read the restored database too
    seen = reader.stop()
    assert seen["errors"] == []
    assert seen["reads"] > 10
    assert set(seen["seen"]) == {old_rows, old_rows + 5_000}
    assert count_rows(app_db, "ledger") == old_rows


def test_restore_to_a_new_file(svc: ProfileService, tmp_path: Path) -> None:
    live = _live(svc)
    rec = svc.create_snapshot()
    _change(live)
    changed = logical_dump(live)
    out = tmp_path / "restored" / "copy.db"
    with pytest.raises(UsageError, match="does not exist"):
        svc.restore_snapshot(rec.id, to=out)
    out.parent.mkdir()
    result = svc.restore_snapshot(rec.id, to=out)
    assert not result.in_place and result.safety_snapshot_id is None and result.target == str(out)
    assert integrity(out) == "ok" and count_rows(out, "assets") == 500
    assert out.stat().st_mode & 0o777 == 0o600
    assert logical_dump(live) == changed  # the live database is not touched
    assert [s.kind for s in svc.list_snapshots()] == ["manual"]  # no safety snapshot for --to
    # an existing file is refused without force ...
    conn = sqlite3.connect(out)
    conn.execute("DELETE FROM assets")
    conn.commit()
    conn.close()
    with pytest.raises(UsageError, match="already exists") as err:
        svc.restore_snapshot(rec.id, to=out)
    assert "--force" in err.value.hint
    assert count_rows(out, "assets") == 0
    # ... and overwritten with it
    svc.restore_snapshot(rec.id, to=out, force=True)
    assert count_rows(out, "assets") == 500 and integrity(out) == "ok"
    assert temporaries(out.parent) == []
    with pytest.raises(UsageError, match="live database"):
        svc.restore_snapshot(rec.id, to=live, force=True)


def test_plan_restore_says_what_would_change_and_changes_nothing(svc: ProfileService, tmp_path: Path) -> None:
    live = _live(svc)
    rec = svc.create_snapshot()
    _change(live)
    before_bytes, before_snaps, before_jobs = live.read_bytes(), svc.list_snapshots(), svc.list_jobs()
    plan = svc.plan_restore(rec.id)
    assert plan.in_place and plan.target_exists and plan.target == f"sqlite://{live}"
    rows = {t.table: (t.rows_before, t.rows_after) for t in plan.tables}
    assert rows["assets"] == (100, 500)
    assert rows["tags"] == (22, 20)
    assert rows["comments"] == (1, None)
    assert rows["asset_tags"] == (None, 500)
    assert plan.tables_added == ["asset_tags"]
    assert plan.tables_removed == ["comments"]
    assert "added table asset_tags" in plan.schema_changes
    assert "removed table comments" in plan.schema_changes
    assert "removed index tags_label" in plan.schema_changes
    assert "added index asset_tags_asset" in plan.schema_changes
    assert plan.size_after == rec.db_size_bytes and plan.size_before == live.stat().st_size
    assert plan.to_json()["snapshot"] == rec.id
    assert live.read_bytes() == before_bytes
    assert svc.list_snapshots() == before_snaps and svc.list_jobs() == before_jobs
    # a changed definition is one line
    conn = sqlite3.connect(live)
    conn.executescript("DROP INDEX tags_label; CREATE TABLE asset_tags (asset_id INTEGER, tag_id INTEGER, weight REAL);")
    conn.close()
    plan = svc.plan_restore(rec.id)
    assert any(line.startswith("changed table asset_tags:") for line in plan.schema_changes)
    # --to: against what is at that path
    out = tmp_path / "copy.db"
    plan_to = svc.plan_restore(rec.id, to=out)
    assert not plan_to.in_place and not plan_to.target_exists and plan_to.size_before is None
    assert {t.table: t.rows_before for t in plan_to.tables}["assets"] is None
    assert not out.exists()
