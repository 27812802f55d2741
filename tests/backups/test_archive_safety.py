"""Fetching from an archive refuses members that would land outside the staging directory."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
import zstandard

from tui_backup.destinations.local import LocalDestination
from tui_backup.jobs.runner import JobContext, JobRunner, JobSpec, run_job_sync


def _archive(path: Path, member: tarfile.TarInfo, data: bytes = b"") -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        md = json.dumps({"type": "full", "artifacts": []}).encode()
        info = tarfile.TarInfo("metadata.json")
        info.size = len(md)
        tar.addfile(info, io.BytesIO(md))
        member.size = len(data) if member.isfile() else 0
        tar.addfile(member, io.BytesIO(data) if member.isfile() else None)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(zstandard.ZstdCompressor().compress(buf.getvalue()))


def _link(name: str, target: str) -> tarfile.TarInfo:
    m = tarfile.TarInfo(name)
    m.type = tarfile.SYMTYPE
    m.linkname = target
    return m


@pytest.mark.parametrize(
    "member",
    [
        tarfile.TarInfo("../evil"),
        tarfile.TarInfo("/etc/evil"),
        tarfile.TarInfo("files/x/../../../evil"),
        _link("files/x/link", "/etc/passwd"),
        _link("files/x/link", "../../../outside"),
    ],
)
def test_unsafe_members_are_refused(tmp_path: Path, member: tarfile.TarInfo) -> None:
    dest = LocalDestination("usb", tmp_path / "drive", "app", archive=True)
    _archive(dest.root / "20260101T000000Z-full.tar.zst", member, b"boom")
    assert [p.id for p in dest._list()] == ["20260101T000000Z-full.tar.zst"]
    staging = tmp_path / "staging"

    async def body(ctx: JobContext) -> None:
        await dest.fetch(ctx, "latest", staging)

    finished = run_job_sync(JobRunner(), JobSpec("restore", "usb", body))
    assert finished.status == "failed" and "refusing to extract" in (finished.error_message or "")
    assert not (tmp_path / "evil").exists() and not (tmp_path / "outside").exists()
    assert not (staging / "files").exists()


def test_a_listed_outward_link_is_kept_but_never_written_through(tmp_path: Path) -> None:
    """The user's own link to outside (listed in metadata.json) comes back as a link; a member
    that would be written through it is refused, and nothing lands outside."""
    outside = tmp_path / "outside"
    outside.mkdir()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        md = json.dumps({"type": "full", "artifacts": [],
                         "links": [{"path": "files/x/out", "target": str(outside)}]}).encode()
        info = tarfile.TarInfo("metadata.json")
        info.size = len(md)
        tar.addfile(info, io.BytesIO(md))
        tar.addfile(_link("files/x/out", str(outside)))
        evil = tarfile.TarInfo("files/x/out/evil")
        evil.size = 4
        tar.addfile(evil, io.BytesIO(b"boom"))
    dest = LocalDestination("usb", tmp_path / "drive", "app", archive=True)
    (dest.root).mkdir(parents=True)
    (dest.root / "20260101T000000Z-full.tar.zst").write_bytes(zstandard.ZstdCompressor().compress(buf.getvalue()))
    staging = tmp_path / "staging"

    async def body(ctx: JobContext) -> None:
        await dest.fetch(ctx, "latest", staging)

    finished = run_job_sync(JobRunner(), JobSpec("restore", "usb", body))
    assert finished.status == "failed" and "refusing to extract" in (finished.error_message or "")
    assert list(outside.iterdir()) == []
    assert (staging / "files" / "x" / "out").is_symlink()
