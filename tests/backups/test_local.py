"""Local destination: backups of every type end to end, archives, listing, cancel, guard."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import zstandard

from tests.backups.conftest import tree_digest
from tui_backup.errors import VolumeError
from tui_backup.jobs.events import Event, Finished, Progress
from tui_backup.service import ProfileService
from tui_backup.service.faults import PAUSE_ENV, RESUME_ENV


def _point_dir(drive: Path, finished: Finished) -> Path:
    return drive / "app" / finished.details["point"]["id"]


def test_full_backup_copies_everything(bsvc: ProfileService, app_dir: Path, drive: Path, tmp_path: Path) -> None:
    events: list[Event] = []
    finished = bsvc.run_backup("usb", "full", events.append)
    assert finished.status == "succeeded", finished
    root = _point_dir(drive, finished)
    assert root.is_dir() and root.name.endswith("-full")
    # the files tree: contents, modes, times and symlinks as in the source
    assert tree_digest(root / "files" / "files") == tree_digest(app_dir / "files")
    assert (root / "files" / "files" / "link-to-c").is_symlink()
    assert (root / "config" / "app.conf").read_text() == "key = value\n"
    md = json.loads((root / "metadata.json").read_text())
    assert md["profile"] == "app" and md["type"] == "full" and md["policy"] == "manual"
    assert md["tool"] == "tui-backup" and md["host"]
    assert md["database"]["tables"] == {"assets": 500, "tags": 20, "asset_tags": 500}
    assert md["sources"]["files/files"] == str(app_dir / "files")
    assert md["sources"]["config/app.conf"] == str(app_dir / "app.conf")
    paths = {a["path"] for a in md["artifacts"]}
    assert {"files/files/a.txt", "files/files/sub/b.bin", "config/app.conf", "database/metadata.json"} <= paths
    # the database part is a snapshot that restores to a sound database
    artifact = root / md["database"]["artifact"]
    raw = zstandard.ZstdDecompressor().stream_reader(artifact.open("rb")).read()
    db = tmp_path / "restored.db"
    db.write_bytes(raw)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("SELECT count(*) FROM assets").fetchone() == (500,)
    conn.close()
    assert any(isinstance(e, Progress) for e in events)
    assert isinstance(events[-1], Finished)
    points = bsvc.list_restore_points("usb")
    assert [p.id for p in points] == [root.name]
    assert points[0].type == "full" and points[0].size_bytes


@pytest.mark.parametrize("kind", ["database", "files", "config"])
def test_each_type_holds_only_its_parts(bsvc: ProfileService, drive: Path, kind: str) -> None:
    finished = bsvc.run_backup("usb", kind)
    assert finished.ok, finished
    root = _point_dir(drive, finished)
    top = {p.name for p in root.iterdir()}
    expected = {"database": {"database"}, "files": {"files"}, "config": {"config"}}[kind] | {"metadata.json"}
    assert top == expected
    md = json.loads((root / "metadata.json").read_text())
    assert md["type"] == kind
    assert (md["database"] is not None) == (kind == "database")


def test_archive_mode_and_check(bsvc: ProfileService, app_dir: Path, drive: Path, tmp_path: Path) -> None:
    finished = bsvc.run_backup("usb-tar", "full")
    assert finished.ok, finished
    archive = _point_dir(drive, finished)
    assert archive.is_file() and archive.name.endswith("-full.tar.zst")
    assert archive.stat().st_mode & 0o777 == 0o600
    points = bsvc.list_restore_points("usb-tar")
    assert points[0].id == archive.name and points[0].type == "full" and points[0].host
    # fetch everything back and compare with the source
    dest = next(d for d in bsvc.destinations() if d.name == "usb-tar")
    from tui_backup.jobs.runner import JobRunner, JobSpec, run_job_sync

    staging = tmp_path / "staging"

    async def body(ctx):  # type: ignore[no-untyped-def]
        await dest.fetch(ctx, archive.name, staging)

    assert run_job_sync(JobRunner(), JobSpec("restore", "usb-tar", body)).ok
    assert tree_digest(staging / "files" / "files") == tree_digest(app_dir / "files")
    assert json.loads((staging / "metadata.json").read_text())["type"] == "full"
    # only one path
    one = tmp_path / "one"

    async def body_one(ctx):  # type: ignore[no-untyped-def]
        await dest.fetch(ctx, archive.name, one, ("files/files/sub/deep/c.txt",))

    assert run_job_sync(JobRunner(), JobSpec("restore", "usb-tar", body_one)).ok
    assert (one / "files/files/sub/deep/c.txt").read_text() == "deep\n"
    assert not (one / "files/files/a.txt").exists()
    assert bsvc.check_destination("usb-tar").ok


def test_check_finds_damage(bsvc: ProfileService, drive: Path) -> None:
    finished = bsvc.run_backup("usb", "files")
    assert bsvc.check_destination("usb").ok
    root = _point_dir(drive, finished)
    (root / "files" / "files" / "a.txt").write_text("tampered\n")
    bad = bsvc.check_destination("usb")
    assert bad.status == "failed" and "damaged" in (bad.error_message or "")


def test_incomplete_is_never_listed(bsvc: ProfileService, drive: Path) -> None:
    (drive / "app").mkdir()
    (drive / "app" / ".incomplete-999999-20260101T000000Z-full").mkdir()
    assert bsvc.list_restore_points("usb") == []


def test_cancel_mid_run_leaves_no_point(
    bsvc: ProfileService, app_dir: Path, drive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal

    big = app_dir / "files" / "big"
    big.mkdir()
    for i in range(40):
        (big / f"f{i}.bin").write_bytes(os.urandom(1_000_000))
    # The copy pauses after its first file (a checkpoint) until the test has pressed Ctrl-C:
    # the interruption lands mid-copy however fast the disk is.
    resume = tmp_path / "resume"
    monkeypatch.setenv(PAUSE_ENV, "local.file_copied")
    monkeypatch.setenv(RESUME_ENV, str(resume))
    root = drive / "app"

    def press_ctrl_c_mid_copy() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            partial = [p for p in root.glob(".incomplete-*") if any(f.is_file() for f in p.rglob("*"))] if root.is_dir() else []
            if partial:
                break
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)  # as a user at the terminal would press it
        time.sleep(0.5)
        resume.touch()

    presser = threading.Thread(target=press_ctrl_c_mid_copy, daemon=True)
    presser.start()
    finished = bsvc.run_backup("usb", "files")
    presser.join(60)
    assert finished.status == "cancelled", finished
    assert [p.name for p in root.iterdir() if not p.name.startswith(".tui-backup-volume")] == []
    assert bsvc.list_restore_points("usb") == []


def test_offline_destination_is_refused(bsvc: ProfileService, drive: Path) -> None:
    assert bsvc.run_backup("usb", "config").ok
    import shutil

    shutil.rmtree(drive)
    drive.mkdir()  # an empty mount point: no marker
    with pytest.raises(VolumeError):
        bsvc.run_backup("usb", "config")
    assert list(drive.iterdir()) == []


def test_missing_source_is_refused_before_anything(bsvc: ProfileService, app_dir: Path, drive: Path) -> None:
    import shutil

    shutil.rmtree(app_dir / "files")
    with pytest.raises(VolumeError):
        bsvc.run_backup("usb", "files")
    assert not (drive / "app").exists()
    assert bsvc.run_backup("usb", "config").ok  # what this type reads is still there
