"""`[snapshots] row_changes = "auto" | "on" | "off"`: when the row index is built, the one
journal entry a snapshot without it gets, comparing across such snapshots, and backups
carrying the row index their metadata.json names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.db_changes.conftest import sql
from tests.helpers import add_destination, open_service
from tests.snapshots.conftest import with_settings
from tui_backup.service import ProfileService, row_index
from tui_backup.service.row_index import ROW_CHANGES_HINT, ROW_INDEX_NAME, file_sha256, skip_reason


def live_db(svc: ProfileService) -> Path:
    path = svc.config.source.database.path
    assert path is not None
    return path


def db_entries(svc: ProfileService) -> list[Any]:
    return [e for e in reversed(svc.journal_list(limit=1000)) if e.action in ("db.changed", "db.schema")]


def meta(rec: Any) -> dict[str, Any]:
    return dict(json.loads((Path(rec.path) / "metadata.json").read_text()))


def test_the_rule() -> None:
    limit = row_index.AUTO_MAX_BYTES
    assert limit == 256 * 1024 * 1024
    assert skip_reason("auto", limit) is None and skip_reason("on", 10 * limit) is None
    assert skip_reason("auto", 1_288_490_189) == (
        'database copy is 1.2 GB, over the 256 MB limit of row_changes = "auto"'
    )
    assert skip_reason("off", 1) == 'row_changes = "off"'


def test_default_is_auto(svc: ProfileService) -> None:
    assert svc.config.snapshots.row_changes == "auto"


def test_off_builds_no_index_and_says_so_once(svc: ProfileService) -> None:
    off = with_settings(svc, row_changes="off")
    first = off.create_snapshot("one")
    assert not (Path(first.path) / ROW_INDEX_NAME).exists()
    assert "row_index" not in meta(first)
    assert meta(first)["row_changes"] == {"computed": False, "reason": 'row_changes = "off"'}
    off.create_snapshot("two")
    entries = db_entries(svc)
    assert [(e.action, e.target) for e in entries] == [("db.changed", "database")] * 2  # one per snapshot
    assert entries[0].details == {
        "snapshot": first.id, "computed": False, "reason": 'row_changes = "off"', "hint": ROW_CHANGES_HINT,
    }  # fmt: skip


def test_auto_over_the_limit_then_on_compares_across(svc: ProfileService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(row_index, "AUTO_MAX_BYTES", 1024)  # the tiny test database is "big"
    on = with_settings(svc, row_changes="on")
    base = on.create_snapshot("indexed")
    sql(live_db(svc), "DELETE FROM tags WHERE id = 1;")
    skipped = svc.create_snapshot("auto: over the limit")
    assert not (Path(skipped.path) / ROW_INDEX_NAME).exists()
    [entry] = db_entries(svc)
    assert entry.target == "database" and entry.details["computed"] is False
    assert entry.details["reason"].startswith("database copy is ") and entry.details["reason"].endswith(
        'over the 1 KB limit of row_changes = "auto"'
    )
    assert entry.details["hint"] == ROW_CHANGES_HINT
    sql(live_db(svc), "UPDATE tags SET label = 'x' WHERE id = 2;")
    last = on.create_snapshot("indexed again")
    changed = [e for e in db_entries(svc) if e.details.get("snapshot") == last.id]
    assert [(e.target, e.details["deleted"], e.details["updated"]) for e in changed] == [("tags", 1, 1)]
    assert changed[0].details["previous_snapshot"] == base.id
    assert changed[0].details["snapshots_between"] == 1
    assert svc.journal_verify().ok


def test_auto_at_the_limit_builds_it(svc: ProfileService, monkeypatch: pytest.MonkeyPatch) -> None:
    first = svc.create_snapshot("one")  # measures the copy's size
    monkeypatch.setattr(row_index, "AUTO_MAX_BYTES", first.db_size_bytes)  # "at most": included
    sql(live_db(svc), "UPDATE tags SET label = 'y' WHERE id = 3;")
    second = svc.create_snapshot("two")
    assert (Path(second.path) / ROW_INDEX_NAME).is_file() and "row_changes" not in meta(second)
    [entry] = db_entries(svc)
    assert (entry.target, entry.details["updated"], entry.details["previous_snapshot"]) == ("tags", 1, first.id)
    assert "snapshots_between" not in entry.details  # adjacent snapshots


def test_a_database_backup_carries_the_row_index(profile_config: Path, drive: Path, tmp_path: Path) -> None:
    add_destination(profile_config, "usb", path=drive)
    with open_service(profile_config) as svc:
        finished = svc.run_backup("usb", "database")
        assert finished.status == "succeeded", finished
        root = drive / "app" / finished.details["point"]["id"]
        artifacts = {a["path"]: a for a in json.loads((root / "metadata.json").read_text())["artifacts"]}
        snap_meta = json.loads((root / "database" / "metadata.json").read_text())
        stored = root / "database" / ROW_INDEX_NAME
        assert snap_meta["row_index"]["sha256"] == artifacts[f"database/{ROW_INDEX_NAME}"]["sha256"] == file_sha256(stored)
        # restoring the point checks every file it holds against its metadata.json
        result = svc.restore_backup("usb", "latest", to=tmp_path / "out")
        assert (tmp_path / "out" / "database" / ROW_INDEX_NAME).is_file(), result
