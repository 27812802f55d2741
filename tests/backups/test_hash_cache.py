"""The source-digest cache: reused only for an identical stat, never for a changed file."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from tui_backup.destinations.base import METADATA_NAME
from tui_backup.service import ProfileService, hash_cache
from tui_backup.service.backups import run_backup
from tui_backup.service.hash_cache import CACHE_NAME, HashCache


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_cache_reuses_only_an_identical_stat(tmp_path: Path) -> None:
    f = tmp_path / "a.bin"
    f.write_bytes(b"one")
    st = os.stat(f)
    cache = HashCache(tmp_path / CACHE_NAME)
    cache.put(f, st, _sha(f), time.time_ns() + 10**10)  # hashed "long after" the last write
    cache.save()
    assert (tmp_path / CACHE_NAME).stat().st_mode & 0o777 == 0o600
    again = HashCache(tmp_path / CACHE_NAME)
    assert again.get(f, os.stat(f)) == _sha(f)
    f.write_bytes(b"two")  # same size: only mtime/ctime tell
    assert HashCache(tmp_path / CACHE_NAME).get(f, os.stat(f)) is None


def test_racy_file_is_not_remembered(tmp_path: Path) -> None:
    f = tmp_path / "a.bin"
    f.write_bytes(b"fresh")
    cache = HashCache(tmp_path / CACHE_NAME)
    cache.put(f, os.stat(f), _sha(f), time.time_ns())  # written just now: could change unseen
    cache.save()
    assert HashCache(tmp_path / CACHE_NAME).get(f, os.stat(f)) is None


def test_corrupt_cache_means_hashing_everything(tmp_path: Path) -> None:
    (tmp_path / CACHE_NAME).write_text("{not json")
    f = tmp_path / "a.bin"
    f.write_bytes(b"x")
    assert HashCache(tmp_path / CACHE_NAME).get(f, os.stat(f)) is None


def test_backups_list_current_digests_with_the_cache(
    bsvc: ProfileService, app_dir: Path, drive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hash_cache, "RACY_S", -3600.0)  # remember even files written this second
    files = app_dir / "files"
    assert run_backup(bsvc, "usb", "files").status == "succeeded"
    cache = json.loads((bsvc.paths.state_dir / CACHE_NAME).read_text())["files"]
    assert str(files / "a.txt") in cache
    (files / "a.txt").write_text("changed after the first backup\n")
    time.sleep(1.1)  # a new restore point name
    assert run_backup(bsvc, "usb", "files").status == "succeeded"
    points = sorted(p for p in drive.rglob(METADATA_NAME) if p.parent.parent.name != "database")
    meta = json.loads(points[-1].read_text())
    digests = {a["path"]: a["sha256"] for a in meta["artifacts"]}
    assert digests["files/files/a.txt"] == _sha(files / "a.txt")
    assert digests["files/files/sub/b.bin"] == _sha(files / "sub" / "b.bin")
