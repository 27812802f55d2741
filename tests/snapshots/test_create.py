"""Creating snapshots: layout, metadata, a busy writer, rollback-journal mode, timeouts."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import zstandard

from tests.snapshots.conftest import integrity, temporaries, with_settings
from tui_backup.catalog import jobs as job_rows
from tui_backup.errors import CancelledError, SnapshotError, VolumeError
from tui_backup.jobs.events import CancelToken, Progress
from tui_backup.service import ProfileService
from tui_backup.service.snapshots import SNAPSHOT_ID


def _decompress(rec_path: Path, artifact: str, out: Path) -> Path:
    with open(rec_path / artifact, "rb") as f, open(out, "wb") as o:
        zstandard.ZstdDecompressor().copy_stream(f, o)
    return out


def test_create_writes_a_verified_checksummed_snapshot(svc: ProfileService, tmp_path: Path) -> None:
    stages: list[str] = []
    rec = svc.create_snapshot("before upgrade", progress=lambda p: stages.append(p.stage))
    assert SNAPSHOT_ID.match(rec.id)
    directory = Path(rec.path)
    assert directory.parent == svc.paths.snapshots_dir
    assert sorted(os.listdir(directory)) == ["app.db.zst", "metadata.json", "rows.sqlite"]  # + the row index
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((directory / "app.db.zst").stat().st_mode) == 0o600
    # the checksum is of the stored (compressed) file
    import hashlib

    assert hashlib.sha256((directory / rec.artifact).read_bytes()).hexdigest() == rec.sha256
    assert rec.size_bytes == (directory / rec.artifact).stat().st_size
    meta = json.loads((directory / "metadata.json").read_text())
    assert meta["sha256"] == rec.sha256
    assert meta["tables"] == {"asset_tags": 500, "assets": 500, "tags": 20} == rec.tables
    assert meta["note"] == "before upgrade" and meta["kind"] == "manual"
    assert meta["page_size"] == 4096 and meta["page_count"] * 4096 == meta["db_size_bytes"]
    assert meta["engine_version"].startswith("SQLite 3.")
    assert "CREATE TABLE assets" in meta["schema"]["assets"]
    assert {"created_at", "duration_s", "size_bytes", "source"} <= set(meta)
    # the copy decompresses to a sound database
    copy = _decompress(directory, rec.artifact, tmp_path / "copy.db")
    assert integrity(copy) == "ok"
    # checked at creation: counts as verified
    assert rec.verified and rec.verify_status == "ok"
    assert {"copying", "compressing", "done"} <= set(stages)
    # recorded as a job, and listed
    job = svc.list_jobs()[0]
    assert (job.kind, job.status, job.id) == ("snapshot", "succeeded", rec.job_id)
    assert [s.id for s in svc.list_snapshots()] == [rec.id]
    assert svc.get_snapshot("latest").id == rec.id
    assert svc.get_snapshot(rec.id[:10]).id == rec.id
    assert temporaries(svc.paths.snapshots_dir) == []


def test_snapshots_while_another_process_commits_continuously(
    svc: ProfileService, app_db: Path, db_process: Any, tmp_path: Path
) -> None:
    """A real writer process commits every ~3 ms (WAL): every snapshot finishes and is sound,
    and row counts never go backwards."""
    writer = db_process("write", app_db, "0.003")
    records = []
    for i in range(5):
        records.append(svc.create_snapshot(f"busy {i}"))
    done = writer.stop()
    assert done["commits"] > 10
    counts = [r.tables["ledger"] for r in reversed(svc.list_snapshots())]
    assert counts == [r.tables["ledger"] for r in records]
    assert counts == sorted(counts) and counts[-1] > counts[0]
    for r in records:
        copy = _decompress(Path(r.path), r.artifact, tmp_path / f"{r.id}.db")
        assert integrity(copy) == "ok"
        conn = sqlite3.connect(copy)
        (meta_rows,) = conn.execute("SELECT v FROM meta WHERE k = 'rows'").fetchone()
        (ledger_rows,) = conn.execute("SELECT COUNT(*) FROM ledger").fetchone()
        conn.close()
        assert meta_rows == ledger_rows == r.tables["ledger"]  # a consistent moment
    assert integrity(app_db) == "ok"


def test_rollback_journal_mode_is_warned(svc: ProfileService) -> None:
    path = svc.config.source.database.path
    assert path is not None
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    progress: list[Progress] = []
    rec = svc.create_snapshot(progress=progress.append)
    assert len(rec.warnings) == 1 and "rollback-journal mode" in rec.warnings[0]
    assert any(p.stage == "warning" and "rollback-journal" in p.message for p in progress)
    meta = json.loads((Path(rec.path) / "metadata.json").read_text())
    assert meta["warnings"] == list(rec.warnings)
    log = svc.list_jobs()[0].log_path
    assert log is not None and "rollback-journal mode" in Path(log).read_text()
    # a WAL database gets no warning
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    assert svc.create_snapshot().warnings == ()


def test_times_out_when_the_database_stays_locked(svc: ProfileService) -> None:
    """Rollback-journal mode + a process holding an exclusive lock: refused after timeout_seconds."""
    path = svc.config.source.database.path
    assert path is not None
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    holder = subprocess.Popen(
        [
            sys.executable, "-c",
            "import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE'); c.execute('INSERT INTO tags (label) VALUES (\"held\")')\n"
            "print('locked', flush=True); time.sleep(60)\n",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        quick = with_settings(svc, timeout_seconds=1)
        with pytest.raises(SnapshotError, match="timed out"):
            quick.create_snapshot()
        assert quick.list_snapshots() == []
        assert temporaries(svc.paths.snapshots_dir) == []
        assert quick.list_jobs()[0].status == job_rows.FAILED
    finally:
        holder.kill()
        holder.wait()


def test_cancelled_before_the_copy(svc: ProfileService) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        svc.create_snapshot(cancel=token)
    assert svc.list_snapshots() == []
    assert svc.list_jobs()[0].status == job_rows.CANCELLED
    assert temporaries(svc.paths.snapshots_dir) == []


def test_offline_snapshots_volume_is_refused(svc: ProfileService) -> None:
    svc.create_snapshot()
    (svc.paths.snapshots_dir / ".tui-backup-volume").unlink()  # as on an unplugged drive's mount point
    with pytest.raises(VolumeError, match="offline"):
        svc.create_snapshot()
    assert len([d for d in svc.paths.snapshots_dir.iterdir() if not d.name.startswith(".")]) == 1


def test_automatic_prune_after_create(svc: ProfileService) -> None:
    small = with_settings(svc, keep=2)
    ids = [small.create_snapshot(f"n{i}").id for i in range(4)]
    assert [s.id for s in small.list_snapshots()] == ids[:-3:-1]
    assert sorted(d.name for d in svc.paths.snapshots_dir.iterdir() if not d.name.startswith(".")) == sorted(ids[-2:])
    assert any(j.kind == "prune" and j.status == "succeeded" for j in small.list_jobs())
    off = with_settings(svc, keep=1, prune_after_create=False)
    off.create_snapshot()
    assert len(off.list_snapshots()) == 3


def test_full_verification(svc: ProfileService, tmp_path: Path) -> None:
    """verify = "full": integrity_check, and the stored file is decompressed and compared."""
    full = with_settings(svc, verify="full")
    stages: list[Progress] = []
    rec = full.create_snapshot(progress=stages.append)
    assert any(p.stage == "verifying" for p in stages)
    assert json.loads((Path(rec.path) / "metadata.json").read_text())["verify"] == "full"
    assert full.verify_snapshot(rec.id).ok
