"""restic over SFTP (loopback sshd) and against an S3-compatible server (moto), end to end.

The password reaches restic only through RESTIC_PASSWORD_FILE (0600), never argv.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.remote.conftest import RESTIC_TEST_PASSWORD
from tests.remote.helpers import make_tree, ok, run, tree_digest
from tests.remote.servers.s3 import S3Server
from tests.remote.servers.sshd import SshServer


def restic(repo: str, options: list[str], *args: str) -> list[str]:
    return ["restic", "-r", repo, *options, *args]


def roundtrip(
    repo: str, options: list[str], env: Mapping[str, str], tmp_path: Path, check: bool = False
) -> None:
    src = make_tree(tmp_path / "src")
    ok(run(restic(repo, options, "init"), env))
    backup = ok(
        run(
            restic(
                repo,
                options,
                "backup",
                "--json",
                "--host",
                "test-host",
                "--tag",
                "tui-backup",
                "--",
                str(src),
            ),
            env,
        )
    )
    summary = [json.loads(line) for line in backup.stdout.splitlines() if '"summary"' in line]
    assert summary and summary[-1]["files_new"] == 4
    snaps = json.loads(ok(run(restic(repo, options, "snapshots", "--json"), env)).stdout)
    assert [s["hostname"] for s in snaps] == ["test-host"]
    target = tmp_path / "restored"
    ok(run(restic(repo, options, "restore", snaps[0]["id"], "--target", str(target)), env))
    # restic 0.14 restores the snapshot's path below --target.
    assert tree_digest(target / src.relative_to("/")) == tree_digest(src)
    if check:
        assert (
            "no errors were found"
            in ok(run(restic(repo, options, "check", "--read-data"), env)).stdout
        )
    assert RESTIC_TEST_PASSWORD not in " ".join(backup.args)


@pytest.mark.slow
def test_restic_over_sftp(sshd: SshServer, restic_env: dict[str, str], tmp_path: Path) -> None:
    remote = sshd.remote(tmp_path / "sftp repo")
    roundtrip(remote.restic_repository(), remote.restic_options(), restic_env, tmp_path)
    assert (tmp_path / "sftp repo" / "config").is_file()


def test_restic_over_sftp_with_hostile_key_path(
    sshd: SshServer, restic_env: dict[str, str], restic_template: Path, tmp_path: Path
) -> None:
    """Spaces, a single quote, a comma (restic's -o is a CSV list) and '%' in the key's path."""
    odd = tmp_path / "we ird 'single', %h %% dir"
    odd.mkdir()
    key = odd / "id key"
    shutil.copy(sshd.identity_file, key)
    key.chmod(0o600)
    shutil.copytree(restic_template, tmp_path / "repo")
    remote = sshd.remote(tmp_path / "repo", sshd.target_with(identity_file=key))
    result = ok(
        run(
            restic(remote.restic_repository(), remote.restic_options(), "snapshots", "--json"),
            restic_env,
        )
    )
    assert json.loads(result.stdout) == []


@pytest.mark.slow
def test_restic_on_s3(s3_server: S3Server, restic_env: dict[str, str], tmp_path: Path) -> None:
    env = {**restic_env, **s3_server.env}
    repo = s3_server.repository(f"repos/{tmp_path.name}")
    roundtrip(repo, [], env, tmp_path, check=True)
    assert f"repos/{tmp_path.name}/config" in s3_server.list_keys()


def test_s3_bucket_created_by_fixture_is_empty_elsewhere(
    s3_server: S3Server, restic_env: dict[str, str]
) -> None:
    """A path with no repository gives restic's 'not initialised' error against S3 too."""
    env = {**restic_env, **s3_server.env}
    result = run(restic(s3_server.repository("nothing-here"), [], "snapshots"), env)
    assert result.returncode == 1
    assert "Is there a repository at the following location?" in result.stderr
