"""`stats` on an rsync destination over ssh (a real loopback sshd): GNU du on the far side."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import add_destination
from tests.remote.conftest import sshd, sshd_server  # noqa: F401  (fixtures)
from tests.remote.servers.sshd import SshServer
from tui_backup.service import ProfileService
from tui_backup.service.stats import profile_stats

from .test_stats import backup_twice


@pytest.mark.slow
def test_remote_rsync_sizes_through_du(profile_config: Path, app_dir: Path, sshd: SshServer,  # noqa: F811
                                       tmp_path: Path) -> None:
    (app_dir / "files" / "big.bin").write_bytes(os.urandom(200_000))
    base = tmp_path / "remote-base"
    add_destination(profile_config, "far", "rsync", path=f"{sshd.user}@{sshd.host}:{base}", port=sshd.port,
                    identity_file=sshd.identity_file, known_hosts_file=sshd.known_hosts_file)
    svc = ProfileService.open(config=profile_config)
    backup_twice(svc, "far")
    far = profile_stats(svc).destinations[0]
    assert far.error is None and far.point_count == 2, far
    files_size = sum(p.stat().st_size for p in (app_dir / "files").rglob("*") if p.is_file() and not p.is_symlink())
    assert far.saved_bytes == files_size, far
    assert far.method.startswith("du over ssh") and far.notes == []
    sshd.stop()
    down = profile_stats(svc).destinations[0]
    assert down.error is not None and "cannot list" in down.error  # reported, not raised
    svc.close()
