"""A hand-built BackupContent from a temp tree, and running destination calls as real jobs."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from tui_backup.destinations.base import BackupContent, ContentPart
from tui_backup.jobs.events import Event, Finished
from tui_backup.jobs.runner import JobContext, JobHandle, JobRunner, JobSpec

T = TypeVar("T")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_source(root: Path, big: int = 0) -> tuple[Path, Path]:
    """A files directory (odd names, a symlink, optional big file) and a config file."""
    files = root / "library"
    (files / "sub dir").mkdir(parents=True)
    (files / "a.txt").write_text("alpha\n")
    (files / "-dash name.txt").write_text("dash\n")
    (files / "sub dir" / "b.bin").write_bytes(os.urandom(300_000))
    (files / "link").symlink_to("a.txt")
    if big:
        (files / "big.bin").write_bytes(os.urandom(big))
    config = root / "app.conf"
    config.write_text("[app]\nx = 1\n")
    return files, config


def make_content(
    work: Path, files: Path, config: Path, created_at: str, type_: str = "files"
) -> BackupContent:
    """files/<label>/..., config/<label> and metadata.json listing every artifact's sha256."""
    artifacts: list[dict[str, Any]] = []
    for path in sorted(files.rglob("*")):
        if path.is_file() and not path.is_symlink():
            rel = f"files/{files.name}/{path.relative_to(files)}"
            artifacts.append({"path": rel, "size": path.stat().st_size, "sha256": sha256(path)})
    artifacts.append({"path": f"config/{config.name}", "size": config.stat().st_size, "sha256": sha256(config)})
    metadata = {
        "profile": "demo",
        "policy": "manual",
        "type": type_,
        "created_at": created_at,
        "host": "testhost",
        "tool_version": "test",
        "artifacts": artifacts,
    }
    meta_dir = work / f"meta-{created_at[:19].replace(':', '')}"
    meta_dir.mkdir(parents=True)
    (meta_dir / "metadata.json").write_text(json.dumps(metadata))
    parts = (
        ContentPart("metadata.json", meta_dir / "metadata.json", False),
        ContentPart(f"files/{files.name}", files, True),
        ContentPart(f"config/{config.name}", config, False),
    )
    return BackupContent("demo", "manual", type_, created_at, parts, metadata)  # type: ignore[arg-type]


def run_job(
    body: Callable[[JobContext], Awaitable[T]],
    *,
    cancel_when: Callable[[Event], bool] | None = None,
    events: list[Event] | None = None,
) -> tuple[Finished, T | None]:
    """Run `body` as a real job (no catalog); optionally cancel it when an event matches."""
    result: list[T] = []

    async def job(ctx: JobContext) -> None:
        result.append(await body(ctx))

    async def main() -> Finished:
        runner = JobRunner()
        holder: list[JobHandle] = []

        def on_event(ev: Event) -> None:
            if events is not None:
                events.append(ev)
            if cancel_when is not None and holder and cancel_when(ev):
                holder[0].cancel("test cancel")

        handle = runner.start(JobSpec("backup", "dest", job, grace=(3.0, 2.0)))
        holder.append(handle)
        handle.subscribe(on_event)
        return await handle.wait()

    finished = asyncio.run(main())
    return finished, (result[0] if result else None)
