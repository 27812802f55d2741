"""`file_history` / `bring_back` with real local and rsync destinations, the real trash and
the real change journal (snapshots and backups scan the files)."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.helpers import add_destination, append_toml, open_service
from tui_backup import clock
from tui_backup.errors import UsageError
from tui_backup.service import ProfileService
from tui_backup.service.history import (
    FIRST_SCAN,
    LIVE,
    RESTORE_POINT,
    TRASH,
    TRASH_ONLY,
    FileHistory,
    HistoryConflictError,
    NotInSourcesError,
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def hsvc(profile_config: Path, tmp_path: Path) -> Iterator[ProfileService]:
    add_destination(profile_config, "usb", path=tmp_path / "usb")
    add_destination(profile_config, "mirror", "rsync", path=f"{tmp_path}/mirror")
    (tmp_path / "usb").mkdir()
    (tmp_path / "mirror").mkdir()
    with open_service(profile_config) as service:
        yield service


@pytest.fixture(autouse=True)
def ticking_clock() -> None:
    """Pinned, and moved on a minute by each `tick`: restore points named by the second never collide."""
    clock.set_now(clock.now())


def tick() -> None:
    clock.set_now(clock.now() + timedelta(minutes=1))


def backup(svc: ProfileService, dest: str, type_: str = "files") -> str:
    tick()
    finished = svc.run_backup(dest, type_, wait=True)
    assert finished.ok, finished
    return str(finished.details["point"]["id"])


def holders(h: FileHistory, kind: str) -> list[tuple[int, str]]:
    """(version index, holder label) of every holder of this kind."""
    return [(i, x.label) for i, v in enumerate(h.versions) for x in v.holders if x.kind == kind]


def test_versions_and_holders(hsvc: ProfileService, app_dir: Path, tmp_path: Path) -> None:
    f = app_dir / "files" / "a.txt"
    p1 = backup(hsvc, "usb")  # first scan: a.txt is "present at the first scan"
    f.write_text("two\n")
    p2 = backup(hsvc, "mirror")
    f.write_text("three!\n")
    hsvc.create_snapshot("scan")  # a snapshot scans too (no restore point)
    h = hsvc.file_history(f)
    assert [v.action for v in h.versions] == [FIRST_SCAN, "file.modified", "file.modified"]
    assert [v.sha256 for v in h.versions] == [sha(b"hello\n"), sha(b"two\n"), sha(b"three!\n")]
    assert [v.size for v in h.versions] == [6, 4, 7]
    v1, v2, v3 = h.versions
    assert [(x.kind, x.point_id) for x in v1.holders] == [(RESTORE_POINT, p1)]
    assert [(x.kind, x.point_id) for x in v2.holders] == [(RESTORE_POINT, p2)]
    assert [x.kind for x in v3.holders] == [LIVE] and v3.current
    assert v1.holders[0].command == f"tui-backup backup restore usb {p1} --path files/files/a.txt --to DIR"
    assert v1.holders[0].confirmed is None

    checked = hsvc.file_history(f, check=True)
    assert [[(x.kind, x.confirmed) for x in v.holders] for v in checked.versions] == [
        [(RESTORE_POINT, True)], [(RESTORE_POINT, True)], [(LIVE, True)]
    ]

    # bring back v1 into a directory, then v2 in place (the live one goes to the trash)
    out = tmp_path / "out"
    out.mkdir()
    got = hsvc.bring_back_version(f, v1.holders[0], to=out)
    assert got == out / "a.txt" and got.read_text() == "hello\n"
    assert sorted(os.listdir(out)) == ["a.txt"]  # no staging left behind
    with pytest.raises(HistoryConflictError):
        hsvc.bring_back_version(f, v2.holders[0])
    assert hsvc.bring_back_version(f, v2.holders[0], overwrite=True) == f
    assert f.read_text() == "two\n"
    replaced = [i for i in hsvc.trash_items() if i.kind == "overwritten"]
    assert [i.sha256 for i in replaced] == [sha(b"three!\n")]
    assert sorted(os.listdir(f.parent)) == ["a.txt"]

    # the replaced version is now held by the trash
    hsvc.create_snapshot("scan")
    h = hsvc.file_history(f)
    assert h.versions[2].sha256 == sha(b"three!\n")
    trash_holders = [x for x in h.versions[2].holders if x.kind == TRASH]
    assert [x.trash_id for x in trash_holders] == [replaced[0].id]
    assert trash_holders[0].command == f"tui-backup trash restore {replaced[0].id} --to DIR"
    assert hsvc.bring_back_version(f, trash_holders[0], overwrite=True) == f
    assert f.read_text() == "three!\n"


def test_deleted_renamed_and_trashed_directory(hsvc: ProfileService, app_dir: Path, tmp_path: Path) -> None:
    files = app_dir / "files"
    (files / "docs").mkdir()
    (files / "docs" / "b.txt").write_text("bee\n")
    hsvc.create_snapshot("first scan")
    (files / "docs" / "b.txt").write_text("bee 2\n")
    p1 = backup(hsvc, "usb")
    os.rename(files / "docs" / "b.txt", files / "docs" / "c.txt")
    p2 = backup(hsvc, "usb")
    h = hsvc.file_history(files / "docs" / "c.txt")
    assert [(v.action, Path(v.path).name) for v in h.versions] == [
        (FIRST_SCAN, "b.txt"), ("file.modified", "b.txt"), ("file.renamed", "c.txt")
    ]
    assert [x.point_id for x in h.versions[1].holders] == [p1]
    assert h.versions[1].holders[0].layout_path == "files/files/docs/b.txt"
    assert [x.kind for x in h.versions[2].holders] == [LIVE, RESTORE_POINT]
    assert h.versions[2].holders[1].point_id == p2

    # the old name's history ends with the rename
    old = hsvc.file_history(files / "docs" / "b.txt")
    assert [v.action for v in old.versions][-1] == "file.renamed"

    # the whole directory goes to the trash: the file's version is held inside it
    item = hsvc.trash_put(files / "docs")
    backup(hsvc, "usb")
    h = hsvc.file_history(files / "docs" / "c.txt")
    assert h.versions[-1].deleted and not h.versions[-1].holders
    held = [x for x in h.versions[2].holders if x.kind == TRASH]
    assert [(x.trash_id, x.inner_path) for x in held] == [(item.id, "c.txt")]
    assert held[0].command == f"tui-backup trash restore {item.id} --to DIR"
    got = hsvc.bring_back_version(files / "docs" / "c.txt", held[0])
    assert got.read_text() == "bee 2\n"
    assert hsvc.trash_item(item.id).state == "trashed"  # copied out: the directory stays in the trash


def test_pruned_point_is_not_a_holder(hsvc: ProfileService, app_dir: Path, tmp_path: Path) -> None:
    f = app_dir / "files" / "a.txt"
    p1 = backup(hsvc, "usb")
    f.write_text("two\n")
    p2 = backup(hsvc, "usb")
    assert [len(v.holders) for v in hsvc.file_history(f).versions] == [1, 2]
    shutil.rmtree(next((tmp_path / "usb").rglob(f"{p1}*")))  # gone from the destination
    h = hsvc.file_history(f)
    assert holders(h, RESTORE_POINT) == [(1, f"restore point {p2} at usb (files)")]
    assert h.versions[0].holders == ()


def test_database_backups_hold_no_files(hsvc: ProfileService, app_dir: Path) -> None:
    backup(hsvc, "usb", "database")
    h = hsvc.file_history(app_dir / "files" / "a.txt")
    assert [v.action for v in h.versions] == [FIRST_SCAN]
    assert [x.kind for x in h.versions[0].holders] == [LIVE]


def test_not_a_protected_file(hsvc: ProfileService, tmp_path: Path) -> None:
    with pytest.raises(NotInSourcesError) as err:
        hsvc.file_history(tmp_path / "elsewhere.txt")
    assert isinstance(err.value, UsageError) and err.value.hint


def test_never_scanned(hsvc: ProfileService, app_dir: Path) -> None:
    h = hsvc.file_history(app_dir / "files" / "a.txt")
    assert h.versions == () and h.warnings


def test_changed_then_trashed_before_a_scan(hsvc: ProfileService, app_dir: Path, tmp_path: Path) -> None:
    f = app_dir / "files" / "a.txt"
    backup(hsvc, "usb")
    f.write_text("never scanned\n")
    item = hsvc.trash_put(f)
    h = hsvc.file_history(f)
    assert [v.action for v in h.versions] == [FIRST_SCAN, TRASH_ONLY]
    assert h.versions[1].sha256 == sha(b"never scanned\n") and h.versions[1].size == 14
    assert [x.trash_id for x in h.versions[1].holders] == [item.id]
    assert h.versions[1].holders[0].command == f"tui-backup trash restore {item.id}"
    # a file trashed before any scan at all still shows what the trash holds
    g = app_dir / "files" / "new.txt"
    g.write_text("new\n")
    item2 = hsvc.trash_put(g)
    h = hsvc.file_history(g)
    assert [(v.action, [x.trash_id for x in v.holders]) for v in h.versions] == [(TRASH_ONLY, [item2.id])]
    assert hsvc.bring_back_version(g, h.versions[0].holders[0]) == g and g.read_text() == "new\n"


def test_live_holder_and_config_file(hsvc: ProfileService, app_dir: Path, tmp_path: Path) -> None:
    conf = app_dir / "app.conf"
    backup(hsvc, "usb", "config")
    conf.write_text("key = other\n")
    p2 = backup(hsvc, "usb", "full")
    h = hsvc.file_history(conf)
    assert [v.action for v in h.versions] == [FIRST_SCAN, "file.modified"]
    assert [x.layout_path for x in h.versions[0].holders] == ["config/app.conf"]
    live, point = h.versions[1].holders
    assert (live.kind, point.point_id) == (LIVE, p2)
    out = tmp_path / "out"
    out.mkdir()
    (out / "app.conf").write_text("taken")
    with pytest.raises(HistoryConflictError):
        hsvc.bring_back_version(conf, live, to=out)
    assert hsvc.bring_back_version(conf, live, to=out, overwrite=True).read_text() == "key = other\n"
    assert hsvc.bring_back_version(conf, live) == conf  # in place: it is already there
    assert hsvc.bring_back_version(conf, h.versions[0].holders[0], overwrite=True) == conf
    assert conf.read_text() == "key = value\n"
    entries = hsvc.journal_list(action="restore", limit=5)
    assert entries[0].target == str(conf) and entries[0].details["source"] == "history"


def test_point_in_the_trash(profile_config: Path, app_dir: Path, tmp_path: Path) -> None:
    """A restore point retention moved to the destination's trash still holds its version:
    listed with its trash item, and brought back through it."""
    (tmp_path / "usb").mkdir()
    add_destination(profile_config, "usb", path=tmp_path / "usb")
    append_toml(profile_config, '[[policy]]\nname = "keep1"\ndestination = "usb"\ninclude = "files"\n'
                                'timezone = "UTC"\n\n[policy.retention]\nkeep_last = 1\n')  # fmt: skip
    f = app_dir / "files" / "a.txt"
    with open_service(profile_config) as svc:
        tick()
        assert svc.run_backup("usb", "files", policy="keep1").ok
        f.write_text("two\n")
        tick()
        assert svc.run_backup("usb", "files", policy="keep1").ok
        plan = svc.prune_policy("keep1")
        assert plan.finished is not None and plan.finished.ok and len(plan.removed) == 1
        h = svc.file_history(f)
        (held,) = h.versions[0].holders
        assert (held.kind, held.point_id, held.destination) == (TRASH, plan.removed[0], "usb")
        assert held.trash_id in plan.trash_items and "in the trash" in held.label
        assert held.command.startswith(f"tui-backup trash restore {held.trash_id} && tui-backup backup restore usb ")
        out = tmp_path / "out"
        out.mkdir()
        assert svc.bring_back_version(f, held, to=out).read_text() == "hello\n"
        assert svc.trash_item(held.trash_id).state == "restored"
        again = svc.file_history(f, check=True)
        assert [(x.kind, x.confirmed) for x in again.versions[0].holders] == [(RESTORE_POINT, True)]


def test_unreachable_destination(hsvc: ProfileService, app_dir: Path, tmp_path: Path) -> None:
    f = app_dir / "files" / "a.txt"
    p1 = backup(hsvc, "usb")
    os.rename(tmp_path / "usb", tmp_path / "usb-unplugged")
    h = hsvc.file_history(f)
    assert [x.point_id for x in h.versions[0].holders if x.kind == RESTORE_POINT] == [p1]  # shown, unchecked
    assert any("could not list the restore points at usb" in w for w in h.warnings)
