"""Fixtures: a real local destination holding a backup of the `svc` profile.

The backup is written by the real `LocalDestination.backup` from a BackupContent built
here the way a backup builds it (the layout of destinations/base.py: a fresh layer-3
snapshot, the files source, the config file, metadata.json with every artifact's size and
SHA-256), so restores are tested against a real destination, not a mock.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tui_backup.catalog import utc_now
from tui_backup.destinations.base import BackupContent, ContentPart
from tui_backup.destinations.local import LocalDestination
from tui_backup.jobs.runner import JobContext, JobRunner, JobSpec, run_job_sync
from tui_backup.service import ProfileService


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def content_of(svc: ProfileService, scratch: Path) -> BackupContent:
    rec = svc.create_snapshot("for a backup")
    snap = Path(rec.path)
    parts: list[ContentPart] = [
        ContentPart(f"database/{rec.artifact}", snap / rec.artifact, False),
        ContentPart("database/metadata.json", snap / "metadata.json", False),
    ]
    sources: dict[str, str] = {}
    for d in svc.config.source.files:
        parts.append(ContentPart(f"files/{d.name}", d, True))
        sources[f"files/{d.name}"] = str(d)
    for c in svc.config.source.config_files:
        parts.append(ContentPart(f"config/{c.name}", c, False))
        sources[f"config/{c.name}"] = str(c)
    artifacts: list[dict[str, Any]] = []
    for part in parts:
        files = [part.source] if not part.is_dir else sorted(p for p in part.source.rglob("*") if p.is_file() and not p.is_symlink())
        for f in files:
            rel = part.path if not part.is_dir else f"{part.path}/{f.relative_to(part.source).as_posix()}"
            artifacts.append({"path": rel, "size": f.stat().st_size, "sha256": _sha(f)})
    created = utc_now()
    metadata = {
        "profile": svc.config.name, "policy": "manual", "type": "full", "created_at": created,
        "host": os.uname().nodename, "artifacts": artifacts, "tables": dict(rec.tables), "sources": sources,
    }  # fmt: skip
    meta_file = scratch / "metadata.json"
    meta_file.write_text(json.dumps(metadata))
    parts.insert(0, ContentPart("metadata.json", meta_file, False))
    return BackupContent(svc.config.name, "manual", "full", created, tuple(parts), metadata)


def run_backup(svc: ProfileService, dest: LocalDestination) -> str:
    scratch = Path(tempfile.mkdtemp())
    content = content_of(svc, scratch)
    ids: list[str] = []

    async def body(ctx: JobContext) -> None:
        outcome = await dest.backup(ctx, content)
        ids.append(outcome.point.id)

    finished = run_job_sync(JobRunner.for_profile(svc), JobSpec("backup", dest.name, body), handle_signals=False)
    assert finished.ok, finished
    return ids[0]


def tree_hashes(*roots: Path) -> dict[str, tuple[str, int, int]]:
    """Every entry under the roots: content hash (or link target / "dir"), mode, mtime."""
    out: dict[str, tuple[str, int, int]] = {}
    for root in roots:
        entries = [root, *sorted(root.rglob("*"))] if root.is_dir() else [root]
        for p in entries:
            st = p.lstat()
            if p.is_symlink():
                what = "link:" + os.readlink(p)
            elif p.is_dir():
                what = "dir"
            else:
                what = _sha(p)
            out[str(p)] = (what, st.st_mode, st.st_mtime_ns if not p.is_dir() else 0)
    return out


def db_dump(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


@pytest.fixture
def dest(tmp_path: Path) -> LocalDestination:
    d = tmp_path / "dest"
    d.mkdir()
    return LocalDestination("usb", d, "app")


@pytest.fixture
def point(svc: ProfileService, dest: LocalDestination) -> str:
    return run_backup(svc, dest)
