"""rsync over ssh to the loopback sshd, through the command lines ssh.py builds."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.remote.conftest import need_tool
from tests.remote.helpers import make_tree, ok, run, tree_digest
from tests.remote.servers.sshd import SshServer
from tui_backup.destinations.ssh import RemotePath


def rsync(remote: RemotePath, *args: str) -> list[str]:
    return [need_tool("rsync", "rsync"), "-a", *remote.rsync_args(), *args]


def test_copy_tree_and_back(sshd: SshServer, tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src")
    remote = sshd.remote(tmp_path / "remote dir" / "-copy")
    (tmp_path / "remote dir").mkdir()
    ok(run(rsync(remote, "--", f"{src}/", remote.rsync_arg())))
    assert tree_digest(tmp_path / "remote dir" / "-copy") == tree_digest(src)
    # And back again (the remote side as the source).
    back = tmp_path / "back"
    ok(run(rsync(remote, "--", remote.rsync_arg() + "/", str(back))))
    assert tree_digest(back) == tree_digest(src)


def test_link_dest_makes_hard_links(sshd: SshServer, tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src")
    base = tmp_path / "dest"
    base.mkdir()
    remote = sshd.remote(base)
    ok(run(rsync(remote, "--", f"{src}/", remote.rsync_arg("first"))))
    (src / "a.txt").write_text("changed\n")
    # --link-dest is relative to the destination directory on the receiving side.
    result = ok(
        run(
            rsync(
                remote,
                "-ii",
                "--stats",
                "--link-dest=../first",
                "--",
                f"{src}/",
                remote.rsync_arg("second"),
            )
        )
    )
    first, second = base / "first", base / "second"
    unchanged = second / "sub" / "b.bin"
    assert unchanged.stat().st_ino == (first / "sub" / "b.bin").stat().st_ino
    assert unchanged.stat().st_nlink == 2
    assert (second / "a.txt").stat().st_ino != (first / "a.txt").stat().st_ino
    assert (second / "a.txt").read_text() == "changed\n"
    assert "hf" in result.stdout  # -ii marks hard-linked files
    assert tree_digest(second) == tree_digest(src)


def test_hostile_identity_and_known_hosts_paths(sshd: SshServer, tmp_path: Path) -> None:
    """Spaces, both quotes, '%' tokens and a leading '-' survive rsync's -e and ssh's parsing."""
    odd = tmp_path / "-we ird 'single' \"double\" %h %d %% ;$(touch pwned) dir"
    odd.mkdir()
    key = odd / "id key"
    shutil.copy(sshd.identity_file, key)
    key.chmod(0o600)
    known = odd / "known hosts %u"
    shutil.copy(sshd.known_hosts_file, known)
    target = sshd.target_with(identity_file=key, known_hosts_file=known)
    remote = sshd.remote(tmp_path / "out", target)
    src = make_tree(tmp_path / "src")
    ok(run(rsync(remote, "--", f"{src}/", remote.rsync_arg())))
    assert tree_digest(tmp_path / "out") == tree_digest(src)
    assert not any(p.name == "pwned" for p in tmp_path.rglob("pwned"))
    assert not Path("pwned").exists()


def test_relative_remote_path_starting_with_dash(sshd: SshServer, tmp_path: Path) -> None:
    """`host:-x` is sent as `./-x` (relative to the remote home), never read as an option."""
    home = Path(os.path.expanduser(f"~{sshd.user}"))
    name = f"-tui-backup-test-{os.getpid()}"
    remote = sshd.remote(name)
    assert remote.rsync_arg().endswith(f":./{name}")
    src = make_tree(tmp_path / "src")
    try:
        ok(run(rsync(remote, "--", f"{src}/", remote.rsync_arg())))
        assert tree_digest(home / name) == tree_digest(src)
    finally:
        shutil.rmtree(home / name, ignore_errors=True)
