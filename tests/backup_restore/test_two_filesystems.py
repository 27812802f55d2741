"""Files sources on two filesystems (the disk and a tmpfs): every swap stays a rename."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_backup.destinations.local import LocalDestination
from tui_backup.errors import RestoreError
from tui_backup.service import ProfileService
from tui_backup.service.backup_restore import restore_backup
from tui_backup.service.setup import InitRequest, init_profile

from .conftest import db_dump, run_backup, tree_hashes


@pytest.fixture
def shm_dir() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(dir="/dev/shm"))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def two_fs(app_dir: Path, shm_dir: Path) -> Iterator[ProfileService]:
    media = shm_dir / "media"
    (media / "albums").mkdir(parents=True)
    (media / "albums" / "x.jpg").write_bytes(b"jpeg" * 1000)
    assert media.stat().st_dev != app_dir.stat().st_dev
    config = init_profile(
        InitRequest(name="two", database=f"sqlite://{app_dir / 'app.db'}", files=(app_dir / "files", media))
    )
    svc = ProfileService.open(config=config.file)
    yield svc
    # What went to the trash at /dev/shm's root (shared by every test): leave nothing there.
    with contextlib.suppress(Exception):
        svc.trash_purge(all_=True)
    with contextlib.suppress(OSError):
        Path("/dev/shm/.tui-backup-trash").rmdir()
    svc.close()


def _change(app_dir: Path, shm_dir: Path) -> None:
    (app_dir / "files" / "a.txt").write_text("changed\n")
    (shm_dir / "media" / "albums" / "x.jpg").write_bytes(b"png")
    (shm_dir / "media" / "new.jpg").write_bytes(b"new")


def test_restore_across_two_filesystems(
    two_fs: ProfileService, dest: LocalDestination, app_dir: Path, shm_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    point = run_backup(two_fs, dest)
    backed_up = tree_hashes(app_dir / "files", shm_dir / "media")
    _change(app_dir, shm_dir)
    changed, dump = tree_hashes(app_dir / "files", shm_dir / "media"), db_dump(app_dir / "app.db")

    monkeypatch.setenv("TUI_BACKUP_FAULT", "backup_restore.after_swap")
    with pytest.raises(RestoreError, match="rolled back"):
        restore_backup(two_fs, dest, point)
    assert tree_hashes(app_dir / "files", shm_dir / "media") == changed
    assert db_dump(app_dir / "app.db") == dump
    monkeypatch.delenv("TUI_BACKUP_FAULT")

    result = restore_backup(two_fs, dest, point)
    assert tree_hashes(app_dir / "files", shm_dir / "media") == backed_up
    # what it replaced went to the trash, each on its own filesystem (a rename, never a copy)
    assert result.safety_areas == [] and len(result.safety_items) == 2  # one per files source
    media = next(i for i in result.safety_items if i["original"] == str(shm_dir / "media"))
    assert Path(media["stored"]).stat().st_dev == shm_dir.stat().st_dev
    leftovers = [p.name for p in [*app_dir.iterdir(), *shm_dir.iterdir()] if p.name.startswith(".tui-backup-staging")]
    assert leftovers == []
