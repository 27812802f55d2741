"""Verifying snapshots: a flipped byte is corrupt (and refused by restore), verify all,
a damaged copy behind a good checksum, a snapshot whose directory is gone."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
import zstandard

from tests.snapshots.conftest import logical_dump, temporaries
from tui_backup.catalog.snapshots import SnapshotRecord
from tui_backup.errors import SnapshotCorruptError
from tui_backup.service import ProfileService


def _flip_byte(path: Path, offset: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    i = len(data) // 2 if offset is None else offset
    data[i] ^= 0x01
    path.write_bytes(bytes(data))


def _artifact(rec: SnapshotRecord) -> Path:
    return Path(rec.path) / rec.artifact


def test_verify_ok(svc: ProfileService) -> None:
    rec = svc.create_snapshot()
    result = svc.verify_snapshot(rec.id)
    assert (result.ok, result.checksum_ok, result.integrity_ok, result.detail) == (True, True, True, "ok")
    after = svc.get_snapshot(rec.id)
    assert after.verify_status == "ok" and after.verified_at is not None and after.verified_at > rec.created_at
    assert svc.list_jobs()[0].kind == "verify"
    assert temporaries(svc.paths.snapshots_dir) == []


def test_flipped_byte_is_corrupt_and_refused_by_restore(svc: ProfileService) -> None:
    live = svc.config.source.database.path
    assert live is not None
    rec = svc.create_snapshot()
    conn = sqlite3.connect(live)
    conn.execute("DELETE FROM assets WHERE id > 10")
    conn.commit()
    conn.close()
    before_dump, before_bytes = logical_dump(live), live.read_bytes()
    _flip_byte(_artifact(rec))

    result = svc.verify_snapshot(rec.id)
    assert not result.ok and not result.checksum_ok and result.integrity_ok is None
    assert "checksum mismatch" in result.detail
    assert svc.get_snapshot(rec.id).verify_status == "corrupt"

    with pytest.raises(SnapshotCorruptError, match="corrupt"):
        svc.restore_snapshot(rec.id)
    assert live.read_bytes() == before_bytes and logical_dump(live) == before_dump
    assert [s.id for s in svc.list_snapshots()] == [rec.id]  # no safety snapshot left behind
    assert svc.list_jobs()[0].kind == "restore" and svc.list_jobs()[0].status == "failed"
    assert temporaries(svc.paths.snapshots_dir) == []


def test_damaged_copy_behind_a_matching_checksum(svc: ProfileService, tmp_path: Path) -> None:
    """The checksum matches (e.g. the copy was damaged before it was stored): the integrity
    check still catches it."""
    rec = svc.create_snapshot()
    raw = tmp_path / "raw.db"
    raw.write_bytes(zstandard.ZstdDecompressor().decompress(_artifact(rec).read_bytes()))
    data = bytearray(raw.read_bytes())
    page = 4096 * 3  # a b-tree page of a table: scribble over its cell pointers
    data[page + 8 : page + 64] = b"\xff" * 56
    raw.write_bytes(bytes(data))
    stored = zstandard.ZstdCompressor().compress(bytes(data))
    _artifact(rec).write_bytes(stored)
    with svc.catalog.transaction() as conn:
        conn.execute("UPDATE snapshots SET sha256 = ? WHERE id = ?", (hashlib.sha256(stored).hexdigest(), rec.id))
    # metadata.json records the same (damaged) copy's checksum as the catalog, as it would have.
    meta_file = Path(rec.path) / "metadata.json"
    meta = json.loads(meta_file.read_text())
    meta["sha256"] = hashlib.sha256(stored).hexdigest()
    meta_file.write_text(json.dumps(meta))

    result = svc.verify_snapshot(rec.id)
    assert result.checksum_ok and result.integrity_ok is False and not result.ok
    with pytest.raises(SnapshotCorruptError, match="integrity check"):
        svc.restore_snapshot(rec.id)


def test_verify_all(svc: ProfileService) -> None:
    a = svc.create_snapshot("a")
    b = svc.create_snapshot("b")
    c = svc.create_snapshot("c")
    _flip_byte(_artifact(b), offset=10)
    results = {r.snapshot_id: r for r in svc.verify_all_snapshots()}
    assert set(results) == {a.id, b.id, c.id}
    assert results[a.id].ok and results[c.id].ok and not results[b.id].ok
    assert svc.status().health == "warn"  # an older snapshot failed verification
    assert [j.kind for j in svc.list_jobs()[:3]] == ["verify"] * 3


def test_a_snapshot_whose_directory_is_gone_is_reported(svc: ProfileService) -> None:
    a = svc.create_snapshot("a")
    b = svc.create_snapshot("b")
    shutil.rmtree(a.path)
    snaps = {s.id: s for s in svc.list_snapshots()}
    assert set(snaps) == {a.id, b.id}
    assert snaps[a.id].verify_status == "missing" and "gone" in (snaps[a.id].verify_detail or "")
    assert snaps[b.id].verify_status == "ok"
    result = svc.verify_snapshot(a.id)
    assert not result.ok and "missing" in result.detail
    with pytest.raises(SnapshotCorruptError, match="missing"):
        svc.restore_snapshot(a.id)
    svc.delete_snapshot(a.id)  # dropping the row of a snapshot that is gone works too
    assert [s.id for s in svc.list_snapshots()] == [b.id]
