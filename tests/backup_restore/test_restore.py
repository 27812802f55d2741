"""Restoring from a real local destination: --to, in place, rollback, dry run, --path, tampering."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tui_backup.destinations.local import LocalDestination
from tui_backup.errors import RestoreError, SnapshotCorruptError, UsageError
from tui_backup.service import ProfileService
from tui_backup.service.backup_restore import (
    BackupRestorePlan,
    RestoreScope,
    plan_backup_restore,
    restore_backup,
)

from .conftest import db_dump, tree_hashes


def _change_live(app_dir: Path) -> None:
    """After the backup: a file changed, one added, one deleted, a directory added, rows added."""
    files = app_dir / "files"
    (files / "a.txt").write_text("changed since the backup\n")
    (files / "new.txt").write_text("added since the backup\n")
    (files / "sub").mkdir()
    (files / "sub" / "deep.bin").write_bytes(b"\0" * 100)
    (app_dir / "app.conf").write_text("key = other\n")
    conn = sqlite3.connect(app_dir / "app.db")
    conn.execute("INSERT INTO tags (label) VALUES ('after-backup')")
    conn.execute("DELETE FROM asset_tags WHERE asset_id < 10")
    conn.commit()
    conn.close()


@pytest.fixture
def backed_up(svc: ProfileService, app_dir: Path, point: str) -> dict[str, object]:
    """The live state at backup time (tree hashes and db dump), before it changes."""
    state = {"tree": tree_hashes(app_dir / "files", app_dir / "app.conf"), "db": db_dump(app_dir / "app.db")}
    (app_dir / "files" / "keep.txt").write_text("unchanged\n")  # after the backup: deleted on restore
    return state


def test_to_empty_dir_holds_the_checked_layout(svc: ProfileService, dest: LocalDestination, point: str, tmp_path: Path) -> None:
    to = tmp_path / "out"
    result = restore_backup(svc, dest, "latest", to=to)
    assert result.point == point and not result.in_place and result.database_restored
    assert (to / "files" / "files" / "a.txt").read_text() == "hello\n"
    assert (to / "config" / "app.conf").read_text() == "key = value\n"
    meta = json.loads((to / "metadata.json").read_text())
    assert meta["type"] == "full"
    dbs = list((to / "database").glob("*.db"))
    assert len(dbs) == 1  # the decompressed, checked database
    assert sqlite3.connect(dbs[0]).execute("SELECT count(*) FROM assets").fetchone()[0] == 500
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tui-backup-")]  # no staging left
    # an empty existing dir is fine too
    empty = tmp_path / "empty"
    empty.mkdir()
    restore_backup(svc, dest, point[:10], to=empty, scope=RestoreScope(files=True))
    assert (empty / "files" / "files" / "a.txt").is_file() and not (empty / "database").exists()


def test_to_non_empty_dir_is_refused_without_force(svc: ProfileService, dest: LocalDestination, point: str, tmp_path: Path) -> None:
    to = tmp_path / "busy"
    to.mkdir()
    (to / "mine.txt").write_text("mine\n")
    with pytest.raises(UsageError, match="not empty"):
        restore_backup(svc, dest, point, to=to)
    assert sorted(p.name for p in to.iterdir()) == ["mine.txt"]
    result = restore_backup(svc, dest, point, to=to, force=True)
    assert (to / "mine.txt").read_text() == "mine\n" and (to / "metadata.json").is_file()
    assert result.files_restored > 0


def test_in_place_full_restore_equals_the_backup(
    svc: ProfileService, dest: LocalDestination, app_dir: Path, backed_up: dict[str, object]
) -> None:
    before_tree, before_db = backed_up["tree"], backed_up["db"]
    _change_live(app_dir)
    assert tree_hashes(app_dir / "files", app_dir / "app.conf") != before_tree
    result = restore_backup(svc, dest)
    assert result.in_place and result.database_restored and result.safety_snapshot_id
    assert tree_hashes(app_dir / "files", app_dir / "app.conf") == before_tree
    assert db_dump(app_dir / "app.db") == before_db
    # the replaced live files were moved aside, not deleted: to the trash once it succeeded
    assert result.safety_areas == [] and result.safety_items
    stored = {i["original"]: Path(i["stored"]) for i in result.safety_items}
    assert (stored[str(app_dir / "files")] / "new.txt").is_file()
    assert any(s.id == result.safety_snapshot_id and s.kind == "safety" for s in svc.list_snapshots())


@pytest.mark.parametrize("fault", ["backup_restore.files_swapped", "backup_restore.after_swap", "backup_restore.verify"])
def test_failure_after_the_swap_began_rolls_back_exactly(
    svc: ProfileService, dest: LocalDestination, app_dir: Path, point: str, fault: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _change_live(app_dir)
    tree = tree_hashes(app_dir / "files", app_dir / "app.conf")
    dump = db_dump(app_dir / "app.db")
    monkeypatch.setenv("TUI_BACKUP_FAULT", fault)
    with pytest.raises(RestoreError, match="rolled back") as info:
        restore_backup(svc, dest, point)
    assert info.value.rolled_back
    assert tree_hashes(app_dir / "files", app_dir / "app.conf") == tree
    assert db_dump(app_dir / "app.db") == dump
    assert not [p for p in app_dir.iterdir() if p.name.startswith(".tui-backup-")]


def test_dry_run_lists_changes_and_changes_nothing(
    svc: ProfileService, dest: LocalDestination, app_dir: Path, backed_up: dict[str, object]
) -> None:
    _change_live(app_dir)
    tree = tree_hashes(app_dir / "files", app_dir / "app.conf")
    dump = db_dump(app_dir / "app.db")
    plan = plan_backup_restore(svc, dest, "latest")
    assert isinstance(plan, BackupRestorePlan) and plan.in_place
    assert plan.added == []  # every file of the backup is still there
    assert sorted(plan.overwritten) == ["config/app.conf", "files/files/a.txt"]
    assert sorted(plan.deleted) == ["files/files/keep.txt", "files/files/new.txt", "files/files/sub/deep.bin"]
    tables = {t.table: (t.rows_before, t.rows_after) for t in plan.tables}
    assert tables["tags"] == (21, 20) and tables["asset_tags"] == (491, 500) and tables["assets"] == (500, 500)
    assert tree_hashes(app_dir / "files", app_dir / "app.conf") == tree
    assert db_dump(app_dir / "app.db") == dump
    assert not [p for p in app_dir.iterdir() if p.name.startswith(".tui-backup-")]
    (app_dir / "files" / "a.txt").unlink()
    assert plan_backup_restore(svc, dest, scope=RestoreScope(files=True)).added == ["files/files/a.txt"]


def test_single_path_restores_only_that_file(
    svc: ProfileService, dest: LocalDestination, app_dir: Path, point: str
) -> None:
    _change_live(app_dir)
    dump = db_dump(app_dir / "app.db")
    result = restore_backup(svc, dest, point, scope=RestoreScope(paths=("files/files/a.txt",)))
    assert result.files_restored == 1 and not result.database_restored
    assert (app_dir / "files" / "a.txt").read_text() == "hello\n"
    assert (app_dir / "files" / "new.txt").is_file()  # untouched
    assert (app_dir / "app.conf").read_text() == "key = other\n"
    assert db_dump(app_dir / "app.db") == dump
    # an absolute original path maps through the sources map
    (app_dir / "app.conf").unlink()
    restore_backup(svc, dest, point, scope=RestoreScope(paths=(str(app_dir / "app.conf"),)))
    assert (app_dir / "app.conf").read_text() == "key = value\n"


def test_tampered_artifact_is_refused_before_anything_changes(
    svc: ProfileService, dest: LocalDestination, app_dir: Path, point: str
) -> None:
    _change_live(app_dir)
    tree = tree_hashes(app_dir / "files", app_dir / "app.conf")
    dump = db_dump(app_dir / "app.db")
    snapshots = len(svc.list_snapshots())
    stored = dest.root / point / "files" / "files" / "a.txt"
    stored.write_text("HELLO\n")  # same size, other bytes
    with pytest.raises(SnapshotCorruptError, match="files/files/a.txt"):
        restore_backup(svc, dest, point)
    assert tree_hashes(app_dir / "files", app_dir / "app.conf") == tree
    assert db_dump(app_dir / "app.db") == dump
    assert len(svc.list_snapshots()) == snapshots  # not even a safety snapshot
    assert not [p for p in app_dir.iterdir() if p.name.startswith(".tui-backup-")]
    # a file metadata.json does not list is refused too
    stored.write_text("hello\n")
    (dest.root / point / "files" / "files" / "intruder.sh").write_text("#!/bin/sh\n")
    with pytest.raises(SnapshotCorruptError, match="does not list"):
        restore_backup(svc, dest, point)


def test_database_only_leaves_files_alone(svc: ProfileService, dest: LocalDestination, app_dir: Path, backed_up: dict[str, object]) -> None:
    _change_live(app_dir)
    tree = tree_hashes(app_dir / "files", app_dir / "app.conf")
    result = restore_backup(svc, dest, scope=RestoreScope(database=True))
    assert result.database_restored and result.files_restored == 0 and result.safety_areas == []
    assert db_dump(app_dir / "app.db") == backed_up["db"]
    assert tree_hashes(app_dir / "files", app_dir / "app.conf") == tree


def test_failed_rollback_says_where_everything_is(
    svc: ProfileService, dest: LocalDestination, app_dir: Path, point: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _change_live(app_dir)
    monkeypatch.setenv("TUI_BACKUP_FAULT", "backup_restore.verify,backup_restore.rollback")
    with pytest.raises(RestoreError, match="rolling back failed too") as info:
        restore_backup(svc, dest, point)
    assert not info.value.rolled_back
    assert ".tui-backup-safety-" in info.value.hint and "safety snapshot" in info.value.hint


def test_tampered_database_artifact_is_refused(svc: ProfileService, dest: LocalDestination, app_dir: Path, point: str) -> None:
    dump = db_dump(app_dir / "app.db")
    stored = next((dest.root / point / "database").glob("*.db.zst"))
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stored.write_bytes(bytes(data))
    with pytest.raises(SnapshotCorruptError, match="corrupt"):
        restore_backup(svc, dest, point, scope=RestoreScope(database=True))
    with pytest.raises(SnapshotCorruptError, match="corrupt"):
        restore_backup(svc, dest, point, to=app_dir.parent / "elsewhere")
    assert db_dump(app_dir / "app.db") == dump and not (app_dir.parent / "elsewhere").exists()
