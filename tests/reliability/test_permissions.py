"""Permissions: every file and directory the tool creates is private (no group/other bits:
0600/0700, or stricter — restic makes its pack files read-only, 0400), and a config file other
users can read draws a warning when it holds a password or token.

The operations run under umask 000, so anything that relies on the umask instead of setting
its own mode shows up. Excluded from the walk: the user's own files — copies of the protected
files inside a restore point's (or a restored copy's) `files/` and `config/` trees, and the
files the user moved into the trash keep the modes they had; what the tool creates around
them (the point, those containers, the trash item's directory) is still checked. Also
excluded: restic's own cache (~/.cache/restic, encrypted blobs, restic's default place).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import add_destination, append_toml, open_service
from tests.reliability.conftest import CaseRecorder
from tests.remote.conftest import password_file, restic_template  # noqa: F401  (fixture)
from tui_backup.config import ConfigDocument

AREA = "Secrets and permissions"


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def walk(root: Path, below: tuple[Path, ...], whole: tuple[Path, ...]) -> Iterator[Path]:
    """`root` and everything below it, except what is under a path in `below` (that path
    itself is kept) and the paths in `whole` (left out altogether)."""
    yield root
    if root.is_symlink() or not root.is_dir():
        return
    for dirpath, dirs, names in os.walk(root):
        here = Path(dirpath)
        for name in [*dirs, *names]:
            if here / name not in whole:
                yield here / name
        dirs[:] = [d for d in dirs if here / d not in below and here / d not in whole]


def user_subtrees(root: Path) -> tuple[Path, ...]:
    """In a destination or a restored copy: the `files/` and `config/` trees of each point
    (copies of the user's files, which keep their modes; the containers themselves are checked)."""
    return tuple(p for name in ("files", "config") for p in root.rglob(name) if p.is_dir())


@pytest.mark.slow
def test_every_file_the_tool_creates_is_private(
    profile_config: Path, app_dir: Path, tmp_path: Path, isolated_home: Path, restic_template: Path,  # noqa: F811
    open_umask: None, cases: CaseRecorder,
) -> None:
    row = cases(AREA, "modes of every file and directory the tool creates (umask 000)",
                "files 0600 (or stricter), directories 0700: state, config, cache, snapshots, destinations, "
                "trash, exports, restores --to")
    drive, archive, mirror = tmp_path / "drive", tmp_path / "archive", tmp_path / "mirror"
    for d in (drive, archive, mirror):
        d.mkdir(mode=0o700)
    add_destination(profile_config, "usb", "local", path=drive)
    add_destination(profile_config, "tarball", "local", path=archive, archive=True)
    add_destination(profile_config, "rs", "rsync", path=mirror)
    shutil.copytree(restic_template, tmp_path / "repo")
    pw = password_file(tmp_path)
    add_destination(profile_config, "vault", "restic", repository=tmp_path / "repo", password_file=pw)
    append_toml(profile_config, '[[policy]]\nname = "nightly"\ndestination = "usb"\nfrequency = "daily"\n')
    victim = app_dir / "files" / "old.txt"
    victim.write_text("old\n")
    exports, copies = tmp_path / "exports", tmp_path / "copies"
    copies.mkdir(mode=0o700)
    with open_service(profile_config) as svc:
        snap = svc.create_snapshot("perm")
        svc.verify_snapshot(snap.id)
        for dest in ("usb", "tarball", "rs", "vault"):
            assert svc.run_backup(dest).status.startswith("succeeded"), dest
        svc.run_policy("nightly")
        svc.drill_policy("nightly")
        svc.trash_put(victim, reason="perm test")
        svc.export_data("csv", out=exports)
        svc.journal_export("json", tmp_path / "journal.json")
        svc.restore_snapshot(snap.id, to=copies / "app-copy.db")
        svc.restore_backup("tarball", to=copies / "from-archive")
        svc.add_policy({"name": "weekly", "destination": "rs", "frequency": "weekly"})
        svc.set_config_value("trash.retention_days", 20)
        svc.restore_snapshot(snap.id)  # in place: a safety snapshot, the trash
        state_dir = svc.paths.state_dir
    assert stat.S_IMODE(profile_config.stat().st_mode) == 0o600

    roots = [isolated_home / ".config", isolated_home / ".local", isolated_home / ".cache",
             drive, archive, mirror, tmp_path / "repo", exports, tmp_path / "journal.json", copies]
    assert state_dir.is_dir()
    skip = tuple(p for r in (drive, archive, mirror, copies / "from-archive") for p in user_subtrees(r))
    trash = state_dir / ".tui-backup-trash"
    assert trash.is_dir()
    moved = tuple(trash.glob("*/*"))  # the user's own files, moved into the trash as they were
    assert moved
    bad: list[str] = []
    for root in roots:
        if not root.exists():
            continue
        for p in walk(root, skip, moved):
            if p in (isolated_home / ".config", isolated_home / ".local", isolated_home / ".cache"):
                continue  # XDG base dirs: the user's, made by the test's home
            if (isolated_home / ".cache" / "restic") in (p, *p.parents):
                continue  # restic's own cache (its default place, encrypted blobs): restic's modes
            st = p.lstat()
            if stat.S_ISLNK(st.st_mode):
                continue
            row.tried += 1
            if stat.S_IMODE(st.st_mode) & 0o077:
                bad.append(f"{stat.S_IMODE(st.st_mode):04o} {p}")
    assert not bad, "readable by others:\n" + "\n".join(bad)


def run_cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TUI_BACKUP_CONFIG": str(config), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "tui_backup", *args], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)


def test_a_config_others_can_read_with_a_password_draws_a_warning(
    profile_config: Path, tmp_path: Path, cases: CaseRecorder
) -> None:
    row = cases(AREA, "config file readable by others holding a password or token",
                "one warning line on stderr naming the file, with the `chmod 600` fix; none when private or clean")
    text = profile_config.read_text()
    add_destination(profile_config, "far", "restic", repository="rest:http://bob:hunter2-xyz@127.0.0.1:9/repo",
                    password_env="NOPE")  # a REST repository's URL holding its HTTP password
    secret_text = profile_config.read_text()
    profile_config.write_text(text)
    doc = ConfigDocument(profile_config)
    doc.set("notify.urls", ["json://127.0.0.1:9/hook/TOKEN-abc"])  # a webhook token in the path
    doc.save()
    token_text = profile_config.read_text()
    for content, mode, warned in [
        (secret_text, 0o644, True), (secret_text, 0o640, True), (token_text, 0o604, True),
        (secret_text, 0o600, False), (text, 0o644, False),
    ]:
        profile_config.write_text(content)
        profile_config.chmod(mode)
        result = run_cli(profile_config, "config", "validate")
        lines = [ln for ln in result.stderr.splitlines() if "other users can read it" in ln]
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        if warned:
            assert len(lines) == 1, result.stderr
            assert f"chmod 600 {profile_config}" in lines[0]
            assert "hunter2" not in result.stderr + result.stdout
        else:
            assert lines == [], result.stderr
        row.tried += 1
    assert profile_config.read_text() == text  # validating never rewrites the file


async def test_the_app_shows_the_exposed_config_warning(profile_config: Path, cases: CaseRecorder) -> None:
    """The terminal app says it too: the dashboard's alerts list the warning (status does as well)."""
    from tests.tui.conftest import screen_text, settle
    from tui_backup.tui.app import BackupApp

    row = cases(AREA, "config file readable by others holding a password or token",
                "one warning line on stderr naming the file, with the `chmod 600` fix; none when private or clean")
    doc = ConfigDocument(profile_config)
    doc.set("notify.urls", ["json://127.0.0.1:9/hook/TOKEN-abc"])
    doc.save()
    profile_config.chmod(0o644)
    with open_service(profile_config, interface="tui") as svc:
        assert any(f"chmod 600 {profile_config}" in p for p in svc.status().problems)
        app = BackupApp(svc)
        async with app.run_test(size=(400, 50)) as pilot:  # wide: the alert is one line
            await settle(pilot)
            shown = " ".join(screen_text(pilot).split())
    assert "other users can read it" in shown and "chmod 600" in shown, shown
    row.tried += 1
