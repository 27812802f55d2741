"""SSH host keys: an unknown or a changed host key is refused — the backup fails with the
classified kind and a hint to verify and add the key — and nothing accepts the key by itself
(the known_hosts files are left byte for byte as they were, ~/.ssh is never created). The
code never turns checking off: no `StrictHostKeyChecking=no`/`accept-new` anywhere in it, and
a user's `ssh_options` cannot weaken it either.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import tui_backup
from tests.helpers import add_destination, open_service
from tests.reliability.conftest import CaseRecorder
from tests.remote.conftest import password_file, restic_template, sshd, sshd_server  # noqa: F401  (fixtures)
from tests.remote.servers.sshd import TEST_SSH_OPTIONS, SshServer
from tui_backup.destinations.ssh import ssh_settings_from_config
from tui_backup.errors import ConfigError, TuiBackupError
from tui_backup.jobs.errors import ErrorKind
from tui_backup.jobs.events import Finished
from tui_backup.service import ProfileService

AREA = "Secrets and permissions"
BREAKERS: dict[str, Callable[[SshServer, Path], Path]] = {
    "unknown host key": lambda s, d: s.empty_known_hosts(d),
    "changed host key": lambda s, d: s.wrong_known_hosts(d),
}


@pytest.mark.parametrize("case", list(BREAKERS))
def test_rsync_over_ssh_refuses_the_host(
    case: str, profile_config: Path, sshd: SshServer, tmp_path: Path, isolated_home: Path,  # noqa: F811
    cases: CaseRecorder,
) -> None:
    row = cases(AREA, "SSH: unknown or changed host key (rsync over SSH, restic over SFTP)",
                "refused with the host-key error kind and a hint to verify and add the key; no key accepted")
    known_hosts = BREAKERS[case](sshd, tmp_path)
    before = known_hosts.read_bytes()
    base = tmp_path / "remote"
    add_destination(profile_config, "far", "rsync", path=f"{sshd.user}@{sshd.host}:{base}", port=sshd.port,
                    identity_file=sshd.identity_file, known_hosts_file=known_hosts,
                    ssh_options=list(TEST_SSH_OPTIONS))
    with open_service(profile_config) as svc:
        finished = run_refused(svc)
    assert finished.error_kind == ErrorKind.AUTH_FAILED.value, finished
    assert "host key" in (finished.error_message or ""), finished.error_message
    assert "ssh-keyscan" in (finished.hint or "") and "never accepts host keys" in (finished.hint or "")
    assert known_hosts.read_bytes() == before
    assert not (isolated_home / ".ssh").exists()
    assert not base.exists() or not any(base.iterdir())
    row.tried += 1


@pytest.mark.slow
@pytest.mark.parametrize("case", list(BREAKERS))
def test_restic_over_sftp_refuses_the_host(
    case: str, profile_config: Path, sshd: SshServer, tmp_path: Path, isolated_home: Path,  # noqa: F811
    restic_template: Path, cases: CaseRecorder,  # noqa: F811
) -> None:
    row = cases(AREA, "SSH: unknown or changed host key (rsync over SSH, restic over SFTP)",
                "refused with the host-key error kind and a hint to verify and add the key; no key accepted")
    known_hosts = BREAKERS[case](sshd, tmp_path)
    before = known_hosts.read_bytes()
    repo = tmp_path / "repo"
    shutil.copytree(restic_template, repo)
    snapshots_before = sorted(p.name for p in (repo / "snapshots").iterdir())
    add_destination(profile_config, "vault", "restic", repository=f"sftp:{sshd.user}@{sshd.host}:{repo}",
                    port=sshd.port, identity_file=sshd.identity_file, known_hosts_file=known_hosts,
                    ssh_options=list(TEST_SSH_OPTIONS), password_file=password_file(tmp_path))
    with open_service(profile_config) as svc:
        finished = run_refused(svc, "vault")
    # restic 0.14 sometimes drops ssh's own stderr (tests/remote/test_ssh_failures.py): then
    # the kind is the sftp failure; when ssh's words arrived they must be read as a host key.
    text = f"{finished.error_message} {finished.hint}"
    if "host key" in text:
        assert finished.error_kind == ErrorKind.AUTH_FAILED.value and "ssh-keyscan" in (finished.hint or "")
    else:
        assert finished.error_kind is not None and finished.error_kind != ErrorKind.FAILED.value, finished
    assert known_hosts.read_bytes() == before
    assert not (isolated_home / ".ssh").exists()
    assert sorted(p.name for p in (repo / "snapshots").iterdir()) == snapshots_before
    row.tried += 1


def run_refused(svc: ProfileService, dest: str = "far") -> Finished:
    try:
        finished = svc.run_backup(dest, "config")
    except TuiBackupError as exc:  # a refusal before the job starts is fine too, if it says why
        pytest.fail(f"expected a failed job, got {exc!r}")
    assert finished.status == "failed", finished
    return finished


def test_the_tool_never_turns_host_key_checking_off(cases: CaseRecorder) -> None:
    row = cases(AREA, "SSH: the code and user options vs. host key checking",
                "no `StrictHostKeyChecking=no`/`accept-new` in the code; every ssh argv checks; "
                "ssh_options cannot weaken it")
    weakening = re.compile(r"StrictHostKeyChecking\s*[= ]\s*[\"']?(no|off|accept-new)|UserKnownHostsFile\s*=\s*/dev/null",
                           re.I)
    package = Path(tui_backup.__file__).parent
    offenders = []
    for source in package.rglob("*.py"):
        for n, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            if weakening.search(line):
                offenders.append(f"{source.relative_to(package)}:{n}: {line.strip()}")
        row.tried += 1
    assert not offenders, "\n".join(offenders)

    for bad in ("StrictHostKeyChecking=no", "stricthostkeychecking accept-new", "UserKnownHostsFile=/dev/null",
                "BatchMode=no"):
        with pytest.raises(ConfigError) as info:
            ssh_settings_from_config({"ssh_options": [bad]}, file="profile.toml", where="destination.far")
        assert "ssh_options" in str(info.value.key), info.value
        row.tried += 1
