"""Error classification on stderr and exit codes recorded from the real restic 0.14 and rsync."""

from __future__ import annotations

import pytest

from tests.jobs.conftest import recorded
from tui_backup.jobs.errors import (
    KINDS,
    Classification,
    ErrorKind,
    JobError,
    classify_restic,
    classify_rsync,
    exit_code_for,
    tool_missing,
)
from tui_backup.jobs.events import FAILED, SUCCEEDED, SUCCEEDED_WITH_WARNINGS

CTX = {"destination": "offsite", "repository": "/srv/repo"}


def restic(name: str) -> Classification:
    rec = recorded(name)
    return classify_restic(rec.exit_code, rec.stderr_lines, CTX)


def rsync(name: str) -> Classification:
    rec = recorded(name)
    return classify_rsync(rec.exit_code, rec.stderr_lines, CTX)


@pytest.mark.parametrize(
    ("name", "status", "kind"),
    [
        ("restic-backup", SUCCEEDED, None),
        ("restic-backup-stdin", SUCCEEDED, None),  # a cache warning on stderr is not a failure
        ("restic-backup-some-missing", SUCCEEDED_WITH_WARNINGS, ErrorKind.SOURCE_MISSING),
        ("restic-backup-all-missing", FAILED, ErrorKind.SOURCE_MISSING),
        ("restic-backup-unreadable", SUCCEEDED_WITH_WARNINGS, ErrorKind.FILES_UNREADABLE),
        ("restic-wrong-password", FAILED, ErrorKind.WRONG_PASSWORD),
        ("restic-no-repo", FAILED, ErrorKind.REPO_NOT_INITIALISED),
        ("restic-no-repo-backup", FAILED, ErrorKind.REPO_NOT_INITIALISED),
        ("restic-locked", FAILED, ErrorKind.REPO_LOCKED),
        ("restic-locked-dead", FAILED, ErrorKind.REPO_LOCKED),
        ("restic-interrupted", FAILED, ErrorKind.INTERRUPTED),
        ("restic-disk-full", FAILED, ErrorKind.DISK_FULL),
        ("restic-sftp-refused", FAILED, ErrorKind.DESTINATION_UNREACHABLE),
    ],
)
def test_restic_recorded(name: str, status: str, kind: ErrorKind | None) -> None:
    c = restic(name)
    assert (c.status, c.kind) == (status, kind)
    if kind is not None:
        assert c.message and c.hint and "\n" not in c.message


def test_restic_exit_codes() -> None:
    assert {recorded(n).exit_code for n in ("restic-wrong-password", "restic-no-repo", "restic-locked")} == {1}
    assert recorded("restic-backup-unreadable").exit_code == 3
    assert recorded("restic-interrupted").exit_code == 130


def test_restic_unreadable_lists_paths() -> None:
    c = restic("restic-backup-unreadable")
    assert len(c.paths) == 2 and any(p.endswith("d1/f0001.bin") for p in c.paths)
    assert "2 file(s) could not be read" in c.message


def test_restic_lock_holder_details() -> None:
    c = restic("restic-locked")
    assert c.lock is not None and c.lock.pid > 1 and c.lock.host and c.lock.user == "root"
    assert c.lock.age.endswith("s") and c.lock.created_at
    assert f"PID {c.lock.pid} on {c.lock.host}" in c.message
    with pytest.raises(JobError) as err:
        c.raise_if_failed()
    assert err.value.kind is ErrorKind.REPO_LOCKED and err.value.lock == c.lock


def test_restic_messages_name_the_context() -> None:
    c = restic("restic-no-repo")
    assert "/srv/repo" in c.message and "tui-backup destination init offsite" in c.hint
    assert "Connection refused" in restic("restic-sftp-refused").message


def test_restic_later_versions_exit_codes_and_unknown_codes() -> None:
    assert classify_restic(10, [], CTX).kind is ErrorKind.REPO_NOT_INITIALISED
    assert classify_restic(11, [], CTX).kind is ErrorKind.REPO_LOCKED
    assert classify_restic(12, [], CTX).kind is ErrorKind.WRONG_PASSWORD
    for code in (2, 42, -9):
        c = classify_restic(code, ["something odd"], CTX)
        assert c.status == FAILED and c.kind is ErrorKind.FAILED


@pytest.mark.parametrize(
    ("name", "status", "kind"),
    [
        ("rsync-progress2", SUCCEEDED, None),
        ("rsync-source-missing", FAILED, ErrorKind.SOURCE_MISSING),
        ("rsync-unreadable", SUCCEEDED_WITH_WARNINGS, ErrorKind.FILES_UNREADABLE),
        ("rsync-vanished", SUCCEEDED_WITH_WARNINGS, ErrorKind.FILES_VANISHED),
        ("rsync-dest-parent-missing", FAILED, ErrorKind.DESTINATION_UNREACHABLE),
        ("rsync-disk-full", FAILED, ErrorKind.DISK_FULL),
        ("rsync-ssh-refused-0", FAILED, ErrorKind.DESTINATION_UNREACHABLE),
        ("rsync-ssh-refused-2", FAILED, ErrorKind.DESTINATION_UNREACHABLE),
        ("rsync-ssh-unresolved", FAILED, ErrorKind.DESTINATION_UNREACHABLE),
        ("rsync-ssh-hostkey", FAILED, ErrorKind.AUTH_FAILED),
        ("rsync-ssh-publickey", FAILED, ErrorKind.AUTH_FAILED),
        ("rsync-ssh-ok", SUCCEEDED, None),
        ("rsync-syntax", FAILED, ErrorKind.FAILED),
    ],
)
def test_rsync_recorded(name: str, status: str, kind: ErrorKind | None) -> None:
    c = rsync(name)
    assert (c.status, c.kind) == (status, kind)


def test_rsync_ssh_failure_exit_code_is_random_but_the_kind_is_not() -> None:
    codes = {recorded(f"rsync-ssh-refused-{i}").exit_code for i in range(3)}
    assert codes <= {12, 255} and codes == {12, 255}, "the recordings hold both codes"
    assert {rsync(f"rsync-ssh-refused-{i}").kind for i in range(3)} == {ErrorKind.DESTINATION_UNREACHABLE}


def test_rsync_paths_listed() -> None:
    c = rsync("rsync-unreadable")
    assert any(p.endswith("/closed") for p in c.paths) and any(p.endswith("d1/f0001.bin") for p in c.paths)
    v = rsync("rsync-vanished")
    assert len(v.paths) == 1 and v.paths[0].endswith("z-small.bin")
    assert rsync("rsync-ssh-hostkey").hint.startswith("the server's host key")
    assert "port" in rsync("rsync-ssh-refused-0").message


def test_rsync_unknown_exit_code_is_a_failure() -> None:
    c = classify_rsync(77, [], CTX)
    assert c.status == FAILED and "unknown exit code 77" in c.message


def test_tool_missing_and_exit_codes() -> None:
    c = tool_missing("restic")
    assert c.kind is ErrorKind.TOOL_MISSING and "apt install restic" in c.hint
    assert exit_code_for(SUCCEEDED, None) == 0
    assert exit_code_for(SUCCEEDED_WITH_WARNINGS, "files-unreadable") == 3
    assert exit_code_for("cancelled", None) == 130
    assert exit_code_for(FAILED, "timed-out") == 124
    assert exit_code_for(FAILED, "nonsense") == 1
    assert all(spec.message and spec.hint for spec in KINDS.values())
    assert set(KINDS) == set(ErrorKind)
