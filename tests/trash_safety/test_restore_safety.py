"""What an in-place restore replaced goes from its safety area to the trash once the
restore succeeded (kind "safety", original = the live path); a rollback still uses the
safety area; the snapshot restore's safety copy stays a snapshot."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.backup_restore.conftest import tree_hashes
from tests.cli.helpers import cli
from tui_backup.destinations.local import LocalDestination
from tui_backup.errors import RestoreError
from tui_backup.service import ProfileService
from tui_backup.service.backup_restore import RestoreScope, restore_backup
from tui_backup.service.trash import TrashConflictError


def _change_live(app_dir: Path) -> None:
    files = app_dir / "files"
    (files / "a.txt").write_text("changed since the backup\n")
    (files / "new.txt").write_text("added since the backup\n")
    (app_dir / "app.conf").write_text("key = other\n")
    conn = sqlite3.connect(app_dir / "app.db")
    conn.execute("INSERT INTO tags (label) VALUES ('after-backup')")
    conn.commit()
    conn.close()


def _leftovers(app_dir: Path) -> list[str]:
    return [p.name for p in app_dir.parent.rglob(".tui-backup-safety-*")]


def test_in_place_restore_puts_what_it_replaced_in_the_trash(
    svc: ProfileService, dest: LocalDestination, app_dir: Path, point: str
) -> None:
    _change_live(app_dir)
    changed = tree_hashes(app_dir / "files", app_dir / "app.conf")
    result = restore_backup(svc, dest, point)
    assert (app_dir / "files" / "a.txt").read_text() == "hello\n" and not (
        app_dir / "files" / "new.txt"
    ).exists()
    assert result.safety_areas == [] and _leftovers(app_dir) == []
    job = svc.list_jobs()[0]
    by_original = {i["original"]: i for i in result.safety_items}
    assert set(by_original) == {str(app_dir / "files"), str(app_dir / "app.conf")}
    items = {i.original: i for i in svc.trash_items(kind="safety")}
    assert set(items) == set(by_original)
    conf = items[str(app_dir / "app.conf")]
    assert conf.reason == f"replaced by restore job {job.id}" and conf.job_id == job.id
    assert conf.sha256 is not None and Path(conf.stored).read_text() == "key = other\n"
    assert (
        by_original[conf.original]["restore"] == f"tui-backup trash restore {conf.id} --overwrite"
    )
    # the database's safety copy stays a safety snapshot
    assert any(
        s.id == result.safety_snapshot_id and s.kind == "safety" for s in svc.list_snapshots()
    )
    # the restore's journal entry names the items; each move is journaled too
    (entry,) = svc.journal_list(action="restore")
    assert {i["id"] for i in entry.details["safety_items"]} == {i.id for i in items.values()}
    puts = svc.journal_list(action="trash.put")
    assert {e.details["item"] for e in puts} >= {i.id for i in items.values()}

    # the way back: the item's command swaps the old version in again (the restored one is trashed)
    with pytest.raises(TrashConflictError):
        svc.trash_restore(conf.id)
    svc.trash_restore(items[str(app_dir / "files")].id, overwrite=True)
    svc.trash_restore(conf.id, overwrite=True)
    assert tree_hashes(app_dir / "files", app_dir / "app.conf") == changed
    assert sorted(i.kind for i in svc.trash_items()) == ["overwritten", "overwritten"]


def test_a_failed_restore_rolls_back_from_the_safety_area_and_trashes_nothing(
    svc: ProfileService,
    dest: LocalDestination,
    app_dir: Path,
    point: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _change_live(app_dir)
    before = tree_hashes(app_dir / "files", app_dir / "app.conf")
    monkeypatch.setenv("TUI_BACKUP_FAULT", "backup_restore.verify")
    with pytest.raises(RestoreError, match="rolled back"):
        restore_backup(svc, dest, point)
    assert tree_hashes(app_dir / "files", app_dir / "app.conf") == before
    assert svc.trash_items(kind="safety") == [] and _leftovers(app_dir) == []


def test_one_path_in_place_is_one_item_at_that_path(
    svc: ProfileService, dest: LocalDestination, app_dir: Path, point: str
) -> None:
    _change_live(app_dir)
    result = restore_backup(
        svc, dest, point, scope=RestoreScope(paths=(str(app_dir / "files" / "a.txt"),))
    )
    assert (app_dir / "files" / "a.txt").read_text() == "hello\n"
    assert (app_dir / "files" / "new.txt").is_file()  # outside the chosen path: untouched
    (item,) = svc.trash_items(kind="safety")
    assert (
        item.original == str(app_dir / "files" / "a.txt")
        and result.safety_items[0]["id"] == item.id
    )
    assert Path(item.stored).read_text() == "changed since the backup\n"
    assert _leftovers(app_dir) == []


def test_to_dir_with_force_trashes_what_it_replaces(
    svc: ProfileService, dest: LocalDestination, point: str, tmp_path: Path
) -> None:
    to = tmp_path / "out"
    (to / "config").mkdir(parents=True)
    (to / "config" / "mine.conf").write_text("mine\n")
    (to / "keep.txt").write_text("kept\n")
    result = restore_backup(svc, dest, point, to=to, force=True)
    assert (to / "keep.txt").read_text() == "kept\n" and (to / "config" / "app.conf").is_file()
    (item,) = svc.trash_items(kind="safety")
    assert (
        item.original == str(to / "config")
        and (Path(item.stored) / "mine.conf").read_text() == "mine\n"
    )
    assert result.safety_items[0]["id"] == item.id and result.safety_areas == []
    assert not list(tmp_path.glob(".tui-backup-safety-*"))


def test_cli_restore_names_the_trash_items(
    svc: ProfileService, dest: LocalDestination, app_dir: Path, point: str, profile_config: Path
) -> None:
    _change_live(app_dir)
    c = ["--config", str(profile_config)]
    # the destination is not in the config: add it for the CLI
    with open(profile_config, "a") as f:
        f.write(f'\n[[destination]]\nname = "usb"\ntype = "local"\npath = "{dest.path}"\n')
    r = cli(*c, "backup", "restore", "usb", point, "--yes")
    assert r.exit_code == 0, r.stderr
    items = {i.original: i.id for i in svc.trash_items(kind="safety")}
    conf_id = items[str(app_dir / "app.conf")]
    assert f"is trash item {conf_id}" in " ".join(r.stdout.split())
    assert f"tui-backup trash restore {conf_id} --overwrite" in " ".join(r.stdout.split())


def test_snapshot_restore_keeps_its_safety_snapshot_and_says_so(
    svc: ProfileService, app_dir: Path, tmp_path: Path
) -> None:
    rec = svc.create_snapshot("before")
    result = svc.restore_snapshot(rec.id)
    assert result.safety_snapshot_id and result.trash_items == []
    assert (
        f"safety snapshot {result.safety_snapshot_id}" in result.safety_note
        and "not a trash item" in result.safety_note
    )
    assert svc.trash_items() == []
    (entry,) = svc.journal_list(action="restore")
    assert entry.details["safety_note"] == result.safety_note


def test_snapshot_restore_to_with_force_trashes_the_file_it_replaces(
    svc: ProfileService, profile_config: Path, tmp_path: Path
) -> None:
    rec = svc.create_snapshot("before")
    out = tmp_path / "copy.db"
    out.write_bytes(b"an older copy")
    Path(f"{out}-wal").write_bytes(b"its wal")
    result = svc.restore_snapshot(rec.id, to=out, force=True)
    items = {Path(i.original).name: i for i in svc.trash_items(kind="overwritten")}
    assert set(items) == {"copy.db", "copy.db-wal"} and set(result.trash_items) == {
        i.id for i in items.values()
    }
    assert Path(items["copy.db"].stored).read_bytes() == b"an older copy"
    assert sqlite3.connect(out).execute("SELECT count(*) FROM assets").fetchone()[0] == 500
    r = cli(
        "--config",
        str(profile_config),
        "snapshot",
        "restore",
        rec.id,
        "--to",
        str(out),
        "--force",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    assert len(json.loads(r.stdout)["trash_items"]) == 1  # the copy restored just before
