"""The rsync destination with the real rsync, locally and over the loopback sshd."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from tests.remote.helpers import tree_digest
from tests.remote.servers.sshd import TEST_SSH_OPTIONS, SshServer
from tests.rsync_dest.helpers import make_content, make_source, run_job
from tui_backup.destinations.base import ContentPart, DestinationConfigContext
from tui_backup.destinations.rsync import RsyncDestination, from_config
from tui_backup.errors import ConfigError
from tui_backup.jobs.errors import ErrorKind
from tui_backup.jobs.events import CANCELLED, FAILED, SUCCEEDED, Event, Progress

T1 = "2026-11-21T22:48:00.000000Z"
T2 = "2026-11-21T23:00:00.000000Z"
T3 = "2026-11-21T23:30:00.000000Z"


def cfg(tmp_path: Path) -> DestinationConfigContext:
    return DestinationConfigContext(str(tmp_path / "config.toml"), tmp_path, "destination.off", 7)


def local_dest(tmp_path: Path, path: Path, **keys: object) -> RsyncDestination:
    return from_config("off", {"path": str(path), **keys}, cfg(tmp_path))


def ssh_dest(tmp_path: Path, sshd: SshServer, path: str, **keys: object) -> RsyncDestination:
    table: dict[str, object] = {
        "path": f"{sshd.user}@{sshd.host}:{path}",
        "port": sshd.port,
        "identity_file": str(sshd.identity_file),
        "known_hosts_file": str(sshd.known_hosts_file),
        "ssh_options": list(TEST_SSH_OPTIONS),
        **keys,
    }
    return from_config("off", table, cfg(tmp_path))


def blocks(root: Path, seen: set[tuple[int, int]]) -> int:
    """Bytes of disk used under `root` by inodes not already in `seen` (like `du` over two trees)."""
    total = 0
    for path in root.rglob("*"):
        st = path.lstat()
        if (st.st_dev, st.st_ino) in seen:
            continue
        seen.add((st.st_dev, st.st_ino))
        total += st.st_blocks * 512
    return total


def test_local_twice_hard_links_and_latest(tmp_path: Path) -> None:
    files, config = make_source(tmp_path / "src", big=2_000_000)
    base = tmp_path / "dest dir"
    dest = local_dest(tmp_path, base)
    assert dest.volume() is not None and dest.volume().path == base  # type: ignore[union-attr]

    events: list[Event] = []
    fin1, out1 = run_job(lambda ctx: dest.backup(ctx, make_content(tmp_path / "w", files, config, T1)),
                         events=events)
    assert fin1.status == SUCCEEDED, fin1
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress and progress[-1].fraction is not None and progress[-1].fraction > 0.99, progress[-1:]
    assert progress[-1].bytes_total is not None and progress[-1].bytes_total > 2_300_000
    assert all(a.bytes_done <= b.bytes_done for a, b in zip(progress, progress[1:], strict=False))
    assert out1 is not None and out1.bytes_sent > 2_000_000 and out1.bytes_linked == 0
    fin2, out2 = run_job(lambda ctx: dest.backup(ctx, make_content(tmp_path / "w", files, config, T2)))
    assert fin2.status == SUCCEEDED, fin2
    assert out2 is not None and out2.bytes_linked > 2_000_000
    assert out2.bytes_sent < 10_000  # only metadata.json

    first, second = base / "20261121T224800Z", base / "20261121T230000Z"
    seen: set[tuple[int, int]] = set()
    used1 = blocks(first, seen)
    used2 = blocks(second, seen)
    assert used2 < used1 * 0.01, (used1, used2)
    assert (second / "files/library/big.bin").stat().st_nlink == 2
    assert os.readlink(base / "latest") == "20261121T230000Z"
    # Exact layout, symlinks kept as symlinks, permissions and times kept.
    assert tree_digest(second / "files/library") == tree_digest(files)
    assert (second / "config/app.conf").read_text() == config.read_text()
    assert (second / "files/library/link").is_symlink()
    assert (second / "config/app.conf").stat().st_mtime == config.stat().st_mtime
    for d in (second, second / "files", second / "config"):
        assert d.stat().st_mode & 0o777 == 0o700, d
    assert (second / "files/library").stat().st_mode & 0o777 == files.stat().st_mode & 0o777

    fin, points = run_job(lambda ctx: dest.list_points(ctx))
    assert points is not None and [p.id for p in points] == ["20261121T230000Z", "20261121T224800Z"]
    assert points[0].type == "files" and points[0].host == "testhost" and points[0].complete
    assert points[0].size_bytes == sum(a["size"] for a in make_content(
        tmp_path / "w2", files, config, T3).metadata["artifacts"])

    fin, _ = run_job(lambda ctx: dest.check(ctx))
    assert fin.status == SUCCEEDED, fin
    (second / "config/app.conf").write_text("tampered\n")
    fin, _ = run_job(lambda ctx: dest.check(ctx))
    assert fin.status == FAILED and "config/app.conf" in (fin.error_message or "")


def test_local_fetch_some_paths(tmp_path: Path) -> None:
    files, config = make_source(tmp_path / "src")
    dest = local_dest(tmp_path, tmp_path / "dest")
    fin, _ = run_job(lambda ctx: dest.backup(ctx, make_content(tmp_path / "w", files, config, T1)))
    assert fin.status == SUCCEEDED, fin
    staging = tmp_path / "staging"
    staging.mkdir()
    fin, root = run_job(lambda ctx: dest.fetch(ctx, "latest", staging, ("files/library/sub dir", "config/app.conf")))
    assert fin.status == SUCCEEDED, fin
    assert root == staging
    got = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if not p.is_dir())
    assert got == ["config/app.conf", "files/library/sub dir/b.bin"]
    fin, _ = run_job(lambda ctx: dest.fetch(ctx, "latest", tmp_path / "x", ("../etc/passwd",)))
    assert fin.status == FAILED


@pytest.mark.slow
def test_ssh_backup_fetch_and_hostile_path(sshd: SshServer, tmp_path: Path) -> None:
    files, config = make_source(tmp_path / "src")
    remote_base = tmp_path / "-remote 'dir' $(x)"
    dest = ssh_dest(tmp_path, sshd, str(remote_base))
    assert dest.volume() is None
    fin, _ = run_job(lambda ctx: dest.init(ctx))
    assert fin.status == SUCCEEDED, fin
    assert remote_base.is_dir()
    fin, _ = run_job(lambda ctx: dest.backup(ctx, make_content(tmp_path / "w", files, config, T1)))
    assert fin.status == SUCCEEDED, fin
    fin, out = run_job(lambda ctx: dest.backup(ctx, make_content(tmp_path / "w", files, config, T2)))
    assert fin.status == SUCCEEDED, fin
    assert out is not None and out.bytes_linked >= 300_000
    assert os.readlink(remote_base / "latest") == "20261121T230000Z"
    assert (remote_base / "20261121T230000Z/files/library/sub dir/b.bin").stat().st_nlink == 2
    assert (remote_base / "20261121T230000Z/config").stat().st_mode & 0o777 == 0o700

    fin, points = run_job(lambda ctx: dest.list_points(ctx))
    assert points is not None and [p.id for p in points] == ["20261121T230000Z", "20261121T224800Z"]
    assert points[0].type == "files" and points[0].host == "testhost"

    staging = tmp_path / "staging"
    staging.mkdir()
    fin, _ = run_job(lambda ctx: dest.fetch(ctx, "20261121T224800Z", staging))
    assert fin.status == SUCCEEDED, fin
    assert tree_digest(staging / "files/library") == tree_digest(files)
    assert (staging / "config/app.conf").read_bytes() == config.read_bytes()
    fin, _ = run_job(lambda ctx: dest.check(ctx))
    assert fin.status == SUCCEEDED, fin


@pytest.mark.slow
def test_ssh_relative_base_starting_with_dash(sshd: SshServer, tmp_path: Path) -> None:
    """`host:-name` is relative to the remote home and never read as an option."""
    home = Path(os.path.expanduser(f"~{sshd.user}"))
    name = f"-tui-backup-rsync-test {os.getpid()}"
    files, config = make_source(tmp_path / "src")
    dest = ssh_dest(tmp_path, sshd, name)
    try:
        fin, _ = run_job(lambda ctx: dest.backup(ctx, make_content(tmp_path / "w", files, config, T1)))
        assert fin.status == SUCCEEDED, fin
        assert os.readlink(home / name / "latest") == "20261121T224800Z"
        assert tree_digest(home / name / "20261121T224800Z/files/library") == tree_digest(files)
    finally:
        shutil.rmtree(home / name, ignore_errors=True)


def test_ssh_list_of_missing_base_is_empty(sshd: SshServer, tmp_path: Path) -> None:
    dest = ssh_dest(tmp_path, sshd, str(tmp_path / "nothing here"))
    fin, points = run_job(lambda ctx: dest.list_points(ctx))
    assert fin.status == SUCCEEDED and points == []


@pytest.mark.slow
def test_cancel_leaves_previous_point_and_latest(tmp_path: Path) -> None:
    files, config = make_source(tmp_path / "src")
    base = tmp_path / "dest"
    dest = local_dest(tmp_path, base)
    fin, _ = run_job(lambda ctx: dest.backup(ctx, make_content(tmp_path / "w", files, config, T1)))
    assert fin.status == SUCCEEDED
    (files / "big.bin").write_bytes(os.urandom(8_000_000))
    slow = local_dest(tmp_path, base, bwlimit="1M")  # ~8 s for the big file: cancelled well before

    def moving(ev: object) -> bool:
        return isinstance(ev, Progress) and ev.bytes_done > 500_000

    fin, out = run_job(lambda ctx: slow.backup(ctx, make_content(tmp_path / "w", files, config, T2)),
                       cancel_when=moving)
    assert fin.status == CANCELLED, fin
    assert sorted(p.name for p in base.iterdir()) == ["20261121T224800Z", "latest"]
    assert os.readlink(base / "latest") == "20261121T224800Z"
    fin, points = run_job(lambda ctx: dest.list_points(ctx))
    assert points is not None and [p.id for p in points] == ["20261121T224800Z"]


@pytest.mark.slow
def test_ssh_cancel_removes_the_run(sshd: SshServer, tmp_path: Path) -> None:
    files, config = make_source(tmp_path / "src", big=6_000_000)
    remote_base = tmp_path / "remote"
    dest = ssh_dest(tmp_path, sshd, str(remote_base), bwlimit="1M")

    def moving(ev: object) -> bool:
        return isinstance(ev, Progress) and ev.bytes_done > 300_000

    fin, _ = run_job(lambda ctx: dest.backup(ctx, make_content(tmp_path / "w", files, config, T1)),
                     cancel_when=moving)
    assert fin.status == CANCELLED, fin
    assert list(remote_base.iterdir()) == []
    fin, points = run_job(lambda ctx: dest.list_points(ctx))
    assert points == []


def test_unreachable_port(sshd: SshServer, tmp_path: Path) -> None:
    files, config = make_source(tmp_path / "src")
    dest = ssh_dest(tmp_path, sshd, str(tmp_path / "r"), port=sshd.closed_port())
    fin, _ = run_job(lambda ctx: dest.backup(ctx, make_content(tmp_path / "w", files, config, T1)))
    assert fin.status == FAILED and fin.error_kind == ErrorKind.DESTINATION_UNREACHABLE.value, fin
    assert "Connection refused" in (fin.error_message or "")


def test_unknown_host_key(sshd: SshServer, tmp_path: Path) -> None:
    files, config = make_source(tmp_path / "src")
    empty = sshd.empty_known_hosts(tmp_path)
    dest = ssh_dest(tmp_path, sshd, str(tmp_path / "r"), known_hosts_file=str(empty))
    fin, _ = run_job(lambda ctx: dest.backup(ctx, make_content(tmp_path / "w", files, config, T1)))
    assert fin.status == FAILED and fin.error_kind == ErrorKind.AUTH_FAILED.value, fin
    assert "host key" in (fin.error_message or "") + (fin.hint or "")
    assert not (tmp_path / "r").exists()


def test_config_errors_name_key_and_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        from_config("off", {}, cfg(tmp_path))
    assert "config.toml:7" in e.value.message and "destination.off.path" in e.value.message
    with pytest.raises(ConfigError) as e:
        from_config("off", {"path": "-host:/x"}, cfg(tmp_path))
    assert "destination.off.path" in e.value.message
    with pytest.raises(ConfigError) as e:
        from_config("off", {"path": "h:/x", "port": 0}, cfg(tmp_path))
    assert "destination.off.port" in e.value.message
    with pytest.raises(ConfigError) as e:
        from_config("off", {"path": "/x", "bwlimit": "fast"}, cfg(tmp_path))
    assert "destination.off.bwlimit" in e.value.message
    rel = from_config("off", {"path": "backups"}, cfg(tmp_path))
    assert rel.site.local == tmp_path / "backups"
    assert from_config("off", {"path": "/x", "bwlimit": "500"}, cfg(tmp_path)).bwlimit == "500"
    with pytest.raises(ConfigError) as e:
        from_config("off", {"path": "/x", "bwlimt": "5"}, cfg(tmp_path))
    assert "bwlimt" in e.value.message
    with pytest.raises(ConfigError) as e:
        from_config("off", {"path": "/x", "port": 22}, cfg(tmp_path))
    assert "destination.off.port" in e.value.message


def test_renamed_and_symlinked_parts_keep_the_layout(tmp_path: Path) -> None:
    """Parts whose label differs from the source's name, and sources that are symlinks."""
    files, config = make_source(tmp_path / "src")
    (tmp_path / "links").mkdir()
    dir_link = tmp_path / "links" / "photos"
    dir_link.symlink_to(files)
    conf_link = tmp_path / "links" / "app.conf"
    conf_link.symlink_to(config)
    base = make_content(tmp_path / "w", files, config, T1)
    parts = (
        *base.parts,
        ContentPart("files/library-2", files, True),  # a de-duplicated label
        ContentPart("files/photos", dir_link, True),
        ContentPart("config/app.conf-2", conf_link, False),
    )
    content = replace(base, parts=parts)
    dest = local_dest(tmp_path, tmp_path / "dest")
    fin, _ = run_job(lambda ctx: dest.backup(ctx, content))
    assert fin.status == SUCCEEDED, fin
    point = tmp_path / "dest" / "20261121T224800Z"
    for label in ("library", "library-2", "photos"):
        assert not (point / "files" / label).is_symlink()
        assert tree_digest(point / "files" / label) == tree_digest(files), label
    conf2 = point / "config" / "app.conf-2"
    assert not conf2.is_symlink() and conf2.read_bytes() == config.read_bytes()
    assert sorted(p.name for p in point.iterdir()) == ["config", "files", "metadata.json"]
    # A second run hard-links the renamed parts too.
    fin, out = run_job(lambda ctx: dest.backup(ctx, replace(content, created_at=T2)))
    assert fin.status == SUCCEEDED, fin
    second = tmp_path / "dest" / "20261121T230000Z"
    for rel in ("files/library-2/sub dir/b.bin", "files/photos/sub dir/b.bin", "config/app.conf-2"):
        assert (second / rel).stat().st_ino == (point / rel).stat().st_ino, rel
