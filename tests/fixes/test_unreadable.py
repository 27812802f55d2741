"""A source file the tool may not read (permission denied) is skipped with a warning, not a
failed backup: status succeeded-with-warnings, exit 3, the path listed (as restic's exit 3
and rsync's 23).

How it is made real: the tests run as root, and root reads everything through the
CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH capabilities. The backup runs in a child process
started with `setpriv --bounding-set -dac_override,-dac_read_search`: still uid 0 (it owns
and can use its config, catalog and destination, all root's 0600/0700), but the kernel now
applies the ordinary permission bits, so a file with mode 000 really fails to open with
EACCES, exactly as an unreadable file of another user does for a normal user.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixes.helpers import json_events
from tests.helpers import add_destination

NO_READ_ALL = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]


def _as_plain_user(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*NO_READ_ALL, *argv], capture_output=True, text=True, timeout=120, env=os.environ.copy())


@pytest.fixture
def unreadable_config(profile_config: Path, app_dir: Path, tmp_path: Path) -> Path:
    files = app_dir / "files"
    (files / "secret.txt").write_text("not for us\n")
    os.chmod(files / "secret.txt", 0o000)
    (files / "locked").mkdir()
    (files / "locked" / "inside.txt").write_text("hidden\n")
    os.chmod(files / "locked", 0o000)
    (files / "ok").mkdir()
    (files / "ok" / "fine.txt").write_text("fine\n")
    dest = tmp_path / "drive"
    dest.mkdir()
    add_destination(profile_config, "usb", path=dest)
    add_destination(profile_config, "usb-tar", path=dest, archive=True)
    # the premise: without those capabilities, the file and the directory really are unreadable
    assert _as_plain_user("cat", "--", str(files / "secret.txt")).returncode != 0
    assert _as_plain_user("ls", "--", str(files / "locked")).returncode != 0
    return profile_config



@pytest.mark.parametrize("dest", ["usb", "usb-tar"])
def test_unreadable_files_are_skipped_with_a_warning(unreadable_config: Path, app_dir: Path, dest: str) -> None:
    cfg = str(unreadable_config)
    r = _as_plain_user(sys.executable, "-m", "tui_backup", "--config", cfg, "backup", "run", dest, "--json")
    assert r.returncode == 3, r.stderr  # EXIT_WARNINGS
    events = json_events(r.stdout)
    finished = events[-1]
    assert finished["event"] == "finished" and finished["status"] == "succeeded-with-warnings", finished
    secret = str(app_dir / "files" / "secret.txt")
    locked = str(app_dir / "files" / "locked")
    assert sorted(finished["details"]["unreadable"]) == sorted([secret, locked])
    warnings = [e for e in events if e["event"] == "warning"]
    assert warnings and "could not be read and are not in the backup" in warnings[0]["message"]
    assert secret in warnings[0]["message"] and locked in warnings[0]["message"]

    # the backup exists, holds everything else, and records what it lacks
    listed = _as_plain_user(sys.executable, "-m", "tui_backup", "--config", cfg, "backup", "list", dest, "--json")
    assert listed.returncode == 0, listed.stderr
    point = json.loads(listed.stdout)[0]
    where = Path(point["location"])
    if dest == "usb":
        assert (where / "files" / "files" / "a.txt").read_text() == "hello\n"
        assert (where / "files" / "files" / "ok" / "fine.txt").read_text() == "fine\n"
        assert not (where / "files" / "files" / "secret.txt").exists()
        metadata = json.loads((where / "metadata.json").read_text())
        assert {u["path"] for u in metadata["unreadable"]} == {"files/files/secret.txt", "files/files/locked"}
        assert "files/files/secret.txt" not in {a["path"] for a in metadata["artifacts"]}
    # and it checks clean (its manifest matches what was written)
    check = _as_plain_user(sys.executable, "-m", "tui_backup", "--config", cfg, "destination", "check", dest)
    assert check.returncode == 0, check.stderr


def test_file_made_unreadable_after_a_backup_is_not_taken_from_the_hash_cache(
    unreadable_config: Path, app_dir: Path
) -> None:
    # The first backup reads ok/fine.txt (and remembers its digest); then it becomes unreadable:
    # the chmod changes its ctime, so the second backup reads it again, and skips it with a warning.
    cfg = str(unreadable_config)
    fine = app_dir / "files" / "ok" / "fine.txt"
    first = _as_plain_user(sys.executable, "-m", "tui_backup", "--config", cfg, "backup", "run", "usb", "--json")
    assert first.returncode == 3, first.stderr
    assert str(fine) not in json_events(first.stdout)[-1]["details"]["unreadable"]
    os.chmod(fine, 0o000)
    # another destination (the hash cache is the profile's): no clash with the first's name
    second = _as_plain_user(sys.executable, "-m", "tui_backup", "--config", cfg, "backup", "run", "usb-tar", "--json")
    assert second.returncode == 3, second.stderr
    assert str(fine) in json_events(second.stdout)[-1]["details"]["unreadable"]
