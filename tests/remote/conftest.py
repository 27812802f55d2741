"""Real servers for remote destinations: a loopback sshd and an S3-compatible store.

Both start once per session and stop at its end. Never skipped: a missing binary or package
fails the tests with what to install (CI installs them). All traffic stays on 127.0.0.1.

- `sshd` (function scope, over one session server): an `SshServer` that is running when the
  test starts (a test may `stop()` it; the next test gets it back).
- `s3_server`: an `S3Server` (moto) with a bucket; `.env` + `.repository(path)` for restic.
- `restic_env`: a restic environment with the password in a 0600 `RESTIC_PASSWORD_FILE`
  (`password_file(base)` writes one for a `password_file =` key).
- `restic_template`: a local repository initialised once with the test password; copy it
  (`shutil.copytree`) where a test needs a ready repository without paying for `init`
  (restic's key derivation is calibrated to ~0.5 s per open and ~2 s per init).
- `need_tool(name, package)`: fail (not skip) if an external program is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.remote.servers import ServerFixtureError
from tests.remote.servers.s3 import S3Server, start_s3
from tests.remote.servers.sshd import SshServer, start_sshd

RESTIC_TEST_PASSWORD = "remote-test-pw-5821"


def password_file(base: Path, password: str = RESTIC_TEST_PASSWORD, name: str = "restic.pw") -> Path:
    """`base`/secrets/`name` holding `password`: a 0700 dir, a 0600 file (never argv)."""
    d = base / "secrets"
    d.mkdir(mode=0o700, exist_ok=True)
    pw = d / name
    fd = os.open(pw, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(password + "\n")
    return pw


def need_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: apt-get install {package}", pytrace=False)
    return path


@pytest.fixture(scope="session")
def sshd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    try:
        server = start_sshd(tmp_path_factory.mktemp("sshd"))
    except (ServerFixtureError, subprocess.CalledProcessError, OSError) as exc:
        pytest.fail(f"cannot start the test sshd: {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def sshd(sshd_server: SshServer) -> SshServer:
    """The loopback sshd, running (restarted if an earlier test stopped it)."""
    if not sshd_server.running:
        try:
            sshd_server.start()
        except ServerFixtureError as exc:
            pytest.fail(f"cannot restart the test sshd: {exc}", pytrace=False)
    return sshd_server


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    try:
        server = start_s3(tmp_path_factory.mktemp("s3"))
    except (ServerFixtureError, OSError) as exc:
        pytest.fail(f"cannot start the test S3 server: {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def restic_env(tmp_path: Path) -> dict[str, str]:
    """Environment for restic: password via a 0600 file (never argv), fixed progress rate."""
    need_tool("restic", "restic")
    pw = password_file(tmp_path, name="restic-password")  # apart from a test's own password_file()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RESTIC_", "AWS_"))}
    env.update(RESTIC_PASSWORD_FILE=str(pw), RESTIC_PROGRESS_FPS="10")
    return env


@pytest.fixture(scope="session")
def restic_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need_tool("restic", "restic")
    root = tmp_path_factory.mktemp("restic-template")
    pw = root / "pw"
    pw.write_text(RESTIC_TEST_PASSWORD + "\n")
    pw.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESTIC_")}
    env["RESTIC_PASSWORD_FILE"] = str(pw)
    repo = root / "repo"
    result = subprocess.run(
        ["restic", "-r", str(repo), "--no-cache", "init"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.fail(f"restic init failed: {result.stderr}", pytrace=False)
    return repo
