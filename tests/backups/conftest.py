"""Fixtures for backups: a profile with local destinations (plain copies and archives)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import add_destination, open_service
from tui_backup.service import ProfileService


@pytest.fixture
def backup_config(profile_config: Path, app_dir: Path, drive: Path) -> Path:
    """The `app` profile with more files (nested, a symlink, odd permissions) and two
    local destinations: `usb` (copies) and `usb-tar` (archives)."""
    files = app_dir / "files"
    (files / "sub" / "deep").mkdir(parents=True)
    (files / "sub" / "b.bin").write_bytes(os.urandom(300_000))
    (files / "sub" / "deep" / "c.txt").write_text("deep\n")
    os.chmod(files / "sub" / "deep" / "c.txt", 0o640)
    os.utime(files / "sub" / "b.bin", (1_600_000_000, 1_600_000_000))
    os.symlink("sub/deep/c.txt", files / "link-to-c")
    add_destination(profile_config, "usb", path=drive)
    return add_destination(profile_config, "usb-tar", path=drive, archive=True)


@pytest.fixture
def bsvc(backup_config: Path) -> Iterator[ProfileService]:
    with open_service(backup_config) as service:
        yield service


def tree_digest(root: Path) -> dict[str, tuple[str, int, int]]:
    """rel path -> (sha256 or link target, mode, mtime) for everything under root."""
    out: dict[str, tuple[str, int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            st = p.lstat()
            if p.is_symlink():
                out[rel] = ("->" + os.readlink(p), 0, 0)
            elif p.is_dir():
                out[rel] = ("dir", st.st_mode, 0)
            else:
                out[rel] = (hashlib.sha256(p.read_bytes()).hexdigest(), st.st_mode, int(st.st_mtime))
    return out
