"""The restic destination over SFTP (loopback sshd) and S3 (moto): backup, list, fetch."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.remote.servers.s3 import S3Server
from tests.remote.servers.sshd import SshServer
from tests.restic_dest.conftest import (
    Job,
    layout_digest,
    make_content,
    make_dest,
    password_file,
    tree_digest,
)
from tui_backup.destinations.restic import ResticDestination
from tui_backup.jobs.errors import ErrorKind
from tui_backup.jobs.events import FAILED, SUCCEEDED


async def round_trip(dest: ResticDestination, tmp_path: Path, job: Job) -> None:
    content = make_content(tmp_path / "src")
    finished = await job.run(lambda ctx: dest.backup(ctx, content))
    assert finished.status == SUCCEEDED, finished
    points = await dest.list_points(None)
    assert [(p.type, p.foreign) for p in points] == [("full", False)]
    staging = tmp_path / "staging"
    staging.mkdir()
    finished = await job.run(lambda ctx: dest.fetch(ctx, points[0].id, staging), "restore")
    assert finished.status == SUCCEEDED, finished
    assert tree_digest(staging) == layout_digest(content)


def sftp_table(sshd: SshServer, path: Path, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "repository": f"sftp:{sshd.user}@{sshd.host}:{path}",
        "port": sshd.port,
        "identity_file": str(sshd.identity_file),
        "known_hosts_file": str(sshd.known_hosts_file),
        "ssh_options": ["GlobalKnownHostsFile=/dev/null"],
        "password_file": str(password_file(tmp_path)),
        **extra,
    }


@pytest.mark.slow
async def test_sftp_round_trip_with_auto_init(sshd: SshServer, tmp_path: Path, job: Job) -> None:
    dest = make_dest(tmp_path, sftp_table(sshd, tmp_path / "sftp repo", tmp_path, auto_init=True))
    assert dest.volume() is None and "sftp:" in dest.describe()
    await round_trip(dest, tmp_path, job)
    assert (tmp_path / "sftp repo" / "config").is_file()


async def test_sftp_unreachable(sshd: SshServer, tmp_path: Path, job: Job) -> None:
    table = sftp_table(sshd, tmp_path / "r", tmp_path)
    table["port"] = sshd.closed_port()
    dest = make_dest(tmp_path, table)
    finished = await job.run(lambda ctx: dest.check(ctx), "check")
    assert (finished.status, finished.error_kind) == (FAILED, ErrorKind.DESTINATION_UNREACHABLE), finished


@pytest.mark.slow
async def test_s3_round_trip(s3_server: S3Server, tmp_path: Path, job: Job) -> None:
    # the secret key goes in a 0600 env_file, never in the config itself
    env_file = tmp_path / "secrets" / "s3.env"
    env_file.parent.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(env_file, os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"AWS_SECRET_ACCESS_KEY={s3_server.env['AWS_SECRET_ACCESS_KEY']}\n")
    env = {k: v for k, v in s3_server.env.items() if k != "AWS_SECRET_ACCESS_KEY"}
    repo = s3_server.repository(f"dest-{tmp_path.name}")
    dest = make_dest(tmp_path, {"repository": repo, "password_file": str(password_file(tmp_path)),
                                "env": env, "env_file": str(env_file), "auto_init": True})
    assert dest.volume() is None
    await round_trip(dest, tmp_path, job)
