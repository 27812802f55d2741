"""ssh failures produced for real, recognised by their stderr (rsync's exit code is 12 or 255
at random for the same ssh failure, so the text is what tells them apart).

With TUI_BACKUP_RECORD=1 each case's exit code and stderr are saved to tests/remote/recorded/
for the error classifier's tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.remote.helpers import make_tree, ok, record, run
from tests.remote.servers.sshd import SshServer
from tui_backup.destinations.ssh import SshTarget

# case → (how to break the target, text that must be in stderr)
CASES: dict[str, tuple[Callable[[SshServer, Path], SshTarget], str]] = {
    "connection_refused": (lambda s, d: s.target_with(port=s.closed_port()), "Connection refused"),
    "unknown_host_key": (
        lambda s, d: s.target_with(known_hosts_file=s.empty_known_hosts(d)),
        "Host key verification failed",
    ),
    "changed_host_key": (
        lambda s, d: s.target_with(known_hosts_file=s.wrong_known_hosts(d)),
        "Host key verification failed",
    ),
    "auth_failed": (
        lambda s, d: s.target_with(identity_file=s.stranger_key(d)),
        "Permission denied (publickey",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_rsync_failure(case: str, sshd: SshServer, tmp_path: Path) -> None:
    breaker, expected = CASES[case]
    remote = sshd.remote(tmp_path / "dest", breaker(sshd, tmp_path))
    src = make_tree(tmp_path / "src")
    result = run(["rsync", "-a", *remote.rsync_args(), "--", f"{src}/", remote.rsync_arg()])
    record(f"rsync_{case}", "rsync", result)
    assert result.returncode in (12, 255), result.stderr
    assert expected in result.stderr
    assert not (tmp_path / "dest").exists()


@pytest.mark.parametrize("case", list(CASES))
def test_restic_sftp_failure(
    case: str, sshd: SshServer, restic_env: dict[str, str], restic_template: Path, tmp_path: Path
) -> None:
    breaker, expected = CASES[case]
    shutil.copytree(restic_template, tmp_path / "repo")
    remote = sshd.remote(tmp_path / "repo", breaker(sshd, tmp_path))
    argv = ["restic", "-r", remote.restic_repository(), *remote.restic_options(), "snapshots"]
    # restic 0.14 copies ssh's stderr (prefixed "subprocess ssh: ") in a goroutine that races
    # with its own exit, so ssh's text is sometimes lost or cut short (often for the long
    # changed-host-key banner: only its first "@@@…" line arrives). Retry for a run where the
    # whole text arrived; when it did, it names the cause.
    for _attempt in range(8):
        result = run(argv, restic_env)
        assert result.returncode == 1
        assert "unable to start the sftp session" in result.stderr
        if expected in result.stderr:
            break
    record(f"restic_sftp_{case}", "restic", result)
    if expected not in result.stderr:
        assert case == "changed_host_key", result.stderr


def test_changed_host_key_says_so(sshd: SshServer, tmp_path: Path) -> None:
    target = sshd.target_with(known_hosts_file=sshd.wrong_known_hosts(tmp_path))
    result = sshd.ssh("true", target=target)
    assert result.returncode == 255
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in result.stderr


def test_sshd_stop_and_start(sshd: SshServer, tmp_path: Path) -> None:
    """The fixture can take the server away (refused) and bring it back on the same port."""
    sshd.stop()
    assert not sshd.running
    down = sshd.ssh("true")
    assert down.returncode == 255 and "Connection refused" in down.stderr
    sshd.start()
    ok(sshd.ssh("true"))


def test_rsync_when_sshd_dies_mid_transfer(sshd: SshServer, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "big.bin").write_bytes(os.urandom(4_000_000))
    remote = sshd.remote(tmp_path / "dest")
    argv = [
        "rsync",
        "-a",
        "--bwlimit=2000",
        *remote.rsync_args(),
        "--",
        f"{src}/",
        remote.rsync_arg(),
    ]
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 10
        # Wait until data is flowing: rsync's temp file appears on the receiving side.
        while time.monotonic() < deadline and not any((tmp_path / "dest").glob(".big.bin.*")):
            time.sleep(0.02)
        sshd.stop()  # listener and every session: the host is gone
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    result = subprocess.CompletedProcess(argv, proc.returncode, out, err)
    record("rsync_sshd_died_mid_transfer", "rsync", result)
    assert result.returncode != 0
    assert not (tmp_path / "dest" / "big.bin").exists()
    assert "connection unexpectedly closed" in err or "Broken pipe" in err, err
