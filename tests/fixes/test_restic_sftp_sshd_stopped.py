"""sshd stopped in the middle of a restic SFTP backup (the host goes away mid-transfer, as
tests/remote/test_ssh_failures.py does for rsync): the job fails as "destination
unreachable", the lock restic could not remove does not block the next run once the host is
back, and `restic check` passes after it."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.fixes.helpers import CLI, json_events, run_cli
from tests.helpers import add_destination
from tests.remote.conftest import password_file, sshd, sshd_server  # noqa: F401  (fixtures)
from tests.remote.servers.sshd import SshServer
from tui_backup.jobs.errors import ErrorKind, exit_code_for


def _packs(repo: Path) -> list[Path]:
    data = repo / "data"
    return [p for p in data.rglob("*") if p.is_file()] if data.is_dir() else []


@pytest.mark.slow
def test_sshd_stopped_mid_restic_sftp_backup(
    profile_config: Path, app_dir: Path, sshd: SshServer, tmp_path: Path  # noqa: F811
) -> None:
    for i in range(3):  # incompressible and big enough that the upload takes a while
        (app_dir / "files" / f"blob-{i}.bin").write_bytes(os.urandom(32 * 1024 * 1024))
    repo = tmp_path / "repo"
    add_destination(profile_config, "vault", "restic", repository=f"sftp:{sshd.user}@{sshd.host}:{repo}",
                    port=sshd.port, identity_file=sshd.identity_file, known_hosts_file=sshd.known_hosts_file,
                    ssh_options=["GlobalKnownHostsFile=/dev/null"], password_file=password_file(tmp_path))
    assert run_cli(profile_config, "destination", "init", "vault", timeout=300).returncode == 0

    proc = subprocess.Popen([*CLI, "--config", str(profile_config), "backup", "run", "vault", "--type", "files",
                             "--json"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 60
        while not _packs(repo) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proc.poll() is None, "the backup finished before the host could go away"
        assert _packs(repo), "no data reached the repository"
        sshd.stop()  # listener and every session: the host is gone mid-transfer
        out, err = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    finished = json_events(out)[-1]
    assert finished["event"] == "finished" and finished["status"] == "failed", (finished, err)
    assert finished["error_kind"] == ErrorKind.DESTINATION_UNREACHABLE.value, (finished, err, out[-3000:])
    assert proc.returncode == exit_code_for("failed", ErrorKind.DESTINATION_UNREACHABLE), err
    assert list((repo / "locks").iterdir()), "restic could not remove its lock: the next run must cope"

    sshd.start()  # the host is back: the next run is not blocked by the dead run's lock
    again = run_cli(profile_config, "backup", "run", "vault", "--type", "files", "--json", timeout=300)
    assert again.returncode == 0, (again.stdout[-2000:], again.stderr)
    listed = run_cli(profile_config, "backup", "list", "vault", "--json", timeout=300)
    assert [p["type"] for p in json.loads(listed.stdout)] == ["files"]  # only the complete one
    check = run_cli(profile_config, "destination", "check", "vault", timeout=300)
    assert check.returncode == 0, (check.stdout[-2000:], check.stderr)
    assert list((repo / "locks").iterdir()) == []


def test_classify_connection_lost_mid_run() -> None:
    """restic 0.14's stderr when sshd went away mid-backup (recorded from the test above); ssh's
    own line is sometimes lost (restic copies it in a goroutine racing its exit)."""
    from tui_backup.jobs.errors import classify_restic

    lines = [
        "subprocess ssh: Connection to 127.0.0.1 closed by remote host.",
        "Save(<data/bacfaec728>) returned error, retrying after 552.330144ms: Write: connection lost",
        "error while unlocking: ssh command exited: exit status 255"
        "Fatal: unable to save snapshot: ssh command exited: exit status 255",
        "error in cleanup handler: ssh command exited: exit status 255",
    ]
    for stderr in (lines, lines[1:]):
        c = classify_restic(1, stderr, {"destination": "vault"})
        assert c.kind is ErrorKind.DESTINATION_UNREACHABLE, c
        assert c.message.startswith("destination vault is unreachable: "), c.message
