"""The trash (layer 1): put, restore, conflicts, purge, expiry, the size cap, reconcile."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tui_backup import clock
from tui_backup.catalog import trash as rows
from tui_backup.errors import NotFoundError, UsageError
from tui_backup.service import ProfileService, trash
from tui_backup.service.trash import TRASH_DIR_NAME, TrashConflictError

T0 = clock.parse_time("2026-03-01T12:00:00Z")


def _mode(p: Path) -> int:
    return stat.S_IMODE(os.lstat(p).st_mode)


def _with_trash(svc: ProfileService, **keys: int) -> ProfileService:
    svc.config = dataclasses.replace(
        svc.config, trash=dataclasses.replace(svc.config.trash, **keys)
    )
    return svc


@pytest.fixture
def work(tmp_path: Path) -> Path:
    d = tmp_path / "work"
    d.mkdir()
    return d


def test_put_moves_a_file_and_keeps_its_permissions(svc: ProfileService, work: Path) -> None:
    f = work / "notes.txt"
    f.write_text("precious\n")
    f.chmod(0o644)
    item = svc.trash_put(f, reason="tidy up")
    assert not f.exists()
    stored = Path(item.stored)
    assert stored.read_text() == "precious\n" and _mode(stored) == 0o644  # the item's own mode
    assert (
        stored.parent.parent == svc.paths.state_dir / TRASH_DIR_NAME
    )  # same filesystem as the state dir
    assert (
        _mode(stored.parent) == 0o700 and _mode(stored.parent.parent) == 0o700
    )  # what the tool made
    assert item.state == "trashed" and item.kind == "user" and item.original == str(f)
    assert item.sha256 == hashlib.sha256(b"precious\n").hexdigest() and item.size_bytes == 9
    assert item.details == {}
    assert clock.from_catalog(item.expires_at) - clock.from_catalog(item.deleted_at) == timedelta(
        days=30
    )
    assert [i.id for i in svc.trash_items()] == [item.id]
    assert svc.trash_item(item.id[:-2]).id == item.id  # a unique prefix


def test_put_a_directory_with_a_symlink(svc: ProfileService, work: Path) -> None:
    d = work / "album"
    (d / "sub").mkdir(parents=True)
    (d / "a.jpg").write_bytes(b"x" * 1000)
    (d / "sub" / "b.jpg").write_bytes(b"y" * 24)
    (d / "link").symlink_to("/etc/passwd")
    d.chmod(0o755)
    item = svc.trash_put(d, kind="user", reason="")
    stored = Path(item.stored)
    assert not d.exists() and (stored / "sub" / "b.jpg").read_bytes() == b"y" * 24
    assert (stored / "link").is_symlink() and _mode(stored) == 0o755
    assert item.sha256 is None and item.size_bytes == 1024 + len("/etc/passwd")


def test_restore_and_its_conflicts(svc: ProfileService, work: Path) -> None:
    f = work / "report.txt"
    f.write_text("v1")
    first = svc.trash_put(f)
    f.write_text("v2")  # a new file at the same place
    with pytest.raises(TrashConflictError, match="already exists"):
        svc.trash_restore(first.id)
    assert f.read_text() == "v2" and svc.trash_item(first.id).state == "trashed"
    done = svc.trash_restore(first.id, overwrite=True)
    assert (
        f.read_text() == "v1" and done.state == "restored" and done.details["restored_to"] == str(f)
    )
    assert not Path(first.stored).parent.exists()  # the item's trash dir is gone
    (replaced,) = svc.trash_items()  # what the overwrite replaced went to the trash itself
    assert replaced.kind == "overwritten" and Path(replaced.stored).read_text() == "v2"
    assert first.id in replaced.reason
    with pytest.raises(UsageError, match="restored, not in the trash"):
        svc.trash_restore(first.id)
    other = work / "elsewhere"
    other.mkdir()
    svc.trash_restore(replaced.id, to=other)  # an existing directory: restored inside it
    assert (other / "report.txt").read_text() == "v2" and svc.trash_items() == []


def test_restore_missing_parent_and_another_filesystem(svc: ProfileService, work: Path) -> None:
    f = work / "deep" / "x.bin"
    f.parent.mkdir()
    f.write_bytes(b"data")
    item = svc.trash_put(f)
    shutil.rmtree(work / "deep")
    svc.trash_restore(item.id)
    assert f.read_bytes() == b"data"  # the missing parent was made again
    item = svc.trash_put(f)
    shm = Path("/dev/shm") / f"tui-backup-test-{os.getpid()}"
    try:
        done = svc.trash_restore(item.id, to=shm)  # EXDEV: copied, then removed from the trash
        assert shm.read_bytes() == b"data" and done.state == "restored"
        assert not Path(item.stored).exists()
    finally:
        shm.unlink(missing_ok=True)


def test_put_on_another_volume_uses_its_top_directory(svc: ProfileService) -> None:
    base = Path("/dev/shm") / f"tui-backup-vol-{os.getpid()}"
    top_trash = Path("/dev/shm") / TRASH_DIR_NAME
    existed = top_trash.exists()
    (base / "x").mkdir(parents=True)
    (base / "x" / "f").write_text("hi")
    try:
        item = svc.trash_put(base / "x" / "f")
        assert Path(item.stored).parent.parent == top_trash  # /dev/shm is the tmpfs's top
        svc.trash_restore(item.id)
        assert (base / "x" / "f").read_text() == "hi"
    finally:
        shutil.rmtree(base)
        if not existed:
            shutil.rmtree(top_trash, ignore_errors=True)


def test_put_refuses_what_it_must_not_move(svc: ProfileService, work: Path) -> None:
    with pytest.raises(NotFoundError):
        svc.trash_put(work / "nope")
    with pytest.raises(UsageError, match="own state"):
        svc.trash_put(svc.paths.state_dir)
    with pytest.raises(UsageError, match="own state"):
        svc.trash_put(svc.paths.catalog)
    f = work / "f"
    f.write_text("x")
    item = svc.trash_put(f)
    with pytest.raises(UsageError, match="already in the trash"):
        svc.trash_put(item.stored)
    with pytest.raises(UsageError):
        svc.trash_put("/")


def test_put_text_is_private_and_restored_with_to(svc: ProfileService, work: Path) -> None:
    item = trash.put_text(
        svc,
        "[[policy]]\nname = 'x'\n",
        kind="note",  # (a "policy" item goes back into the config: tests/trash_safety)
        original="app.toml#x",
        reason="removed",
        name="x.toml",
    )
    stored = Path(item.stored)
    assert _mode(stored) == 0o600 and stored.name == "x.toml" and item.details == {"text": True}
    with pytest.raises(UsageError, match="no file to go back to"):
        svc.trash_restore(item.id)
    svc.trash_restore(item.id, to=work / "back.toml")
    assert (work / "back.toml").read_text() == "[[policy]]\nname = 'x'\n"


def test_purge_ids_all_and_the_arguments(svc: ProfileService, work: Path) -> None:
    items = []
    for n in range(3):
        (work / f"f{n}").write_text(str(n))
        items.append(svc.trash_put(work / f"f{n}"))
    with pytest.raises(UsageError):
        svc.trash_purge()
    with pytest.raises(UsageError):
        svc.trash_purge([items[0].id], all_=True)
    (gone,) = svc.trash_purge([items[0].id])
    assert gone.state == "purged" and not Path(items[0].stored).parent.exists()
    with pytest.raises(UsageError, match="purged"):
        svc.trash_purge([items[0].id])
    assert {i.id for i in svc.trash_purge(all_=True)} == {items[1].id, items[2].id}
    assert svc.trash_items() == []
    assert [
        p.name for p in (svc.paths.state_dir / TRASH_DIR_NAME).iterdir()
    ] == []  # no temporaries left


def test_expiry_with_an_injected_clock(svc: ProfileService, work: Path) -> None:
    _with_trash(svc, retention_days=30)
    (work / "old").write_text("o")
    (work / "new").write_text("n")
    with clock.pinned(T0):
        old = svc.trash_put(work / "old")
    with clock.pinned(T0 + timedelta(days=10)):
        new = svc.trash_put(work / "new")
    with clock.pinned(T0 + timedelta(days=29)):
        assert trash.purge_expired(svc) == []
    with clock.pinned(T0 + timedelta(days=30, seconds=1)):
        assert [i.id for i in trash.purge_expired(svc, dry_run=True)] == [old.id]
        assert Path(old.stored).exists()  # dry run: nothing removed
        assert [i.id for i in svc.trash_purge(expired=True)] == [old.id]
        assert not Path(old.stored).exists() and [i.id for i in svc.trash_items()] == [new.id]
    with clock.pinned(T0 + timedelta(days=41)):
        assert [i.id for i in trash.purge_expired(svc)] == [new.id]


def _put_sized(
    svc: ProfileService, work: Path, name: str, size: int, at_day: float
) -> rows.TrashItem:
    (work / name).write_bytes(b"z" * size)
    with clock.pinned(T0 + timedelta(days=at_day)):
        return svc.trash_put(work / name)


def test_size_cap_purges_the_oldest_first_never_the_young(svc: ProfileService, work: Path) -> None:
    _with_trash(svc, retention_days=30, max_size_mb=1, min_days=2)
    kb = 1024
    a = _put_sized(svc, work, "a", 400 * kb, 0)
    b = _put_sized(svc, work, "b", 400 * kb, 1)
    c = _put_sized(svc, work, "c", 400 * kb, 2)
    d = _put_sized(svc, work, "d", 400 * kb, 3)
    with clock.pinned(T0 + timedelta(days=3.5)):  # 1600 KiB > 1 MiB: a and b (old enough) go
        assert [i.id for i in trash.purge_expired(svc)] == [a.id, b.id]
        assert {i.id for i in svc.trash_items()} == {c.id, d.id}
    _with_trash(svc, max_size_mb=1, min_days=10)
    e = _put_sized(svc, work, "e", 900 * kb, 3.6)
    with clock.pinned(T0 + timedelta(days=4)):  # over the cap, but every item is too young
        assert trash.purge_expired(svc) == []
        assert {i.id for i in svc.trash_items()} == {c.id, d.id, e.id}
    _with_trash(svc, max_size_mb=0, min_days=0)
    with clock.pinned(T0 + timedelta(days=4)):  # no cap
        assert trash.purge_expired(svc) == []


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _stuck(
    svc: ProfileService, src: Path, *, moved: bool, direction: str = "put"
) -> rows.TrashItem:
    """A row left "moving" by a process that died before (moved=False) or after the rename."""
    trash_dir = svc.paths.state_dir / TRASH_DIR_NAME
    stored = trash_dir / trash.new_item_id() / src.name
    item = rows.TrashItem(
        id=stored.parent.name, kind="user", original=str(src), stored=str(stored), size_bytes=1, sha256=None,
        deleted_at=clock.to_catalog(clock.now()), expires_at=clock.to_catalog(clock.now() + timedelta(days=30)),
        reason="", job_id=None, state="moving",
        details={"pid": _dead_pid(), "direction": direction, "restore_to": str(src)},
    )  # fmt: skip
    rows.add_item(svc.catalog, item)
    stored.parent.mkdir(parents=True)
    if moved:
        os.rename(src, stored)
    return item


def test_reconcile_settles_what_a_dead_process_left(svc: ProfileService, work: Path) -> None:
    for n in "abcd":
        (work / n).write_text(n)
    before = _stuck(svc, work / "a", moved=False)
    after = _stuck(svc, work / "b", moved=True)
    restore_before = _stuck(svc, work / "c", moved=True, direction="restore")
    restore_after = _stuck(svc, work / "d", moved=False, direction="restore")
    live = trash.put(svc, work / "d", kind="user", reason="")  # d is now in the trash...
    os.rename(live.stored, work / "d")  # ...and vanished from it behind our back: back in place
    listed = {i.id for i in svc.trash_items()}  # listing reconciles first
    assert listed == {after.id, restore_before.id}
    with pytest.raises(NotFoundError):
        svc.trash_item(before.id)  # never moved: the row is forgotten, the file is in place
    assert (work / "a").read_text() == "a" and not Path(before.stored).parent.exists()
    assert svc.trash_item(restore_after.id).state == "restored"
    assert svc.trash_item(live.id).state == "purged"  # listed but missing: never
    assert svc.trash_item(after.id).details == {}
    assert rows.items_in_state(svc.catalog, "moving") == []
