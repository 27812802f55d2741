"""Fixtures for the restic destination: the real servers of tests/remote, a content builder."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.remote.conftest import (  # noqa: F401  (fixtures re-exported for these tests)
    RESTIC_TEST_PASSWORD,
    password_file,
    restic_env,
    restic_template,
    s3_server,
    sshd,
    sshd_server,
)
from tests.remote.helpers import tree_digest
from tui_backup.destinations.base import BackupContent, ContentPart, DestinationConfigContext
from tui_backup.destinations.restic import ResticDestination, from_config
from tui_backup.jobs.events import Event, Finished
from tui_backup.jobs.runner import JobContext, JobRunner, JobSpec

CREATED_AT = "2026-11-21T22:48:00.000000Z"


def config_ctx(base: Path, profile: str = "demo") -> DestinationConfigContext:
    return DestinationConfigContext(file=str(base / "tui-backup.toml"), base=base, where="destination[1]", line=7,
                                    profile=profile)


def make_dest(base: Path, table: Mapping[str, Any], name: str = "vault", profile: str = "demo") -> ResticDestination:
    return from_config(name, {"name": name, "type": "restic", **table}, config_ctx(base, profile))


def make_content(root: Path, big: int = 200_000) -> BackupContent:
    """A hand-made BackupContent: parts at scattered absolute paths, as the real one has."""
    snaps = root / "state" / "snapshots"
    snaps.mkdir(parents=True)
    (snaps / "app.db.zst").write_bytes(os.urandom(50_000))
    (snaps / "snapshot.json").write_text('{"tables": {"t": 3}}\n')
    lib = root / "live" / "library"
    (lib / "sub").mkdir(parents=True)
    (lib / "a.txt").write_text("alpha\n")
    (lib / "st*r [1].txt").write_text("glob chars\n")
    (lib / "sub" / "b.bin").write_bytes(os.urandom(big))
    (lib / "link").symlink_to("a.txt")
    conf = root / "etc" / "app.toml"
    conf.parent.mkdir()
    conf.write_text("[app]\nx = 1\n")
    meta_dir = root / "tmp-meta"
    meta_dir.mkdir(mode=0o700)
    metadata = {"profile": "demo", "type": "full", "artifacts": []}
    (meta_dir / "metadata.json").write_text(json.dumps(metadata))
    parts = (
        ContentPart("metadata.json", meta_dir / "metadata.json", False),
        ContentPart("database/app.db.zst", snaps / "app.db.zst", False),
        ContentPart("database/metadata.json", snaps / "snapshot.json", False),
        ContentPart("files/library", lib, True),
        ContentPart("config/app.toml", conf, False),
    )
    return BackupContent("demo", "manual", "full", CREATED_AT, parts, metadata)


def layout_digest(content: BackupContent) -> dict[str, str]:
    """What a fetch must reproduce: layout path → sha256 (or link target)."""
    out: dict[str, str] = {}
    for part in content.parts:
        if part.is_dir:
            for rel, h in tree_digest(part.source).items():
                out[f"{part.path}/{rel}"] = h
        else:
            out[part.path] = hashlib.sha256(part.source.read_bytes()).hexdigest()
    return out


class Job:
    """One job run through the real runner; keeps its events and the body's result."""

    def __init__(self, logs: Path) -> None:
        self.runner = JobRunner(logs_dir=logs)
        self.events: list[Event] = []
        self.result: Any = None

    async def run(self, body: Any, kind: str = "backup") -> Finished:
        async def wrapped(ctx: JobContext) -> None:
            self.result = await body(ctx)

        return await self.runner.run(JobSpec(kind, "vault", wrapped), [self.events.append])


@pytest.fixture
def job(tmp_path: Path) -> Job:
    return Job(tmp_path / "logs")


def restic_cli(repo: str, env: Mapping[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["restic", "-r", repo, *args], env=dict(env), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)
