"""Fixtures for backups: a profile with local destinations (plain copies and archives)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_backup.service import ProfileService


def add_destinations(config: Path, text: str) -> None:
    with open(config, "a", encoding="utf-8") as f:
        f.write("\n" + text)


@pytest.fixture
def dest_dir(tmp_path: Path) -> Path:
    d = tmp_path / "drive"
    d.mkdir()
    return d


@pytest.fixture
def backup_config(profile_config: Path, app_dir: Path, dest_dir: Path) -> Path:
    """The `app` profile with more files (nested, a symlink, odd permissions) and two
    local destinations: `usb` (copies) and `usb-tar` (archives)."""
    files = app_dir / "files"
    (files / "sub" / "deep").mkdir(parents=True)
    (files / "sub" / "b.bin").write_bytes(os.urandom(300_000))
    (files / "sub" / "deep" / "c.txt").write_text("deep\n")
    os.chmod(files / "sub" / "deep" / "c.txt", 0o640)
    os.utime(files / "sub" / "b.bin", (1_600_000_000, 1_600_000_000))
    os.symlink("sub/deep/c.txt", files / "link-to-c")
    add_destinations(
        profile_config,
        f'[[destination]]\nname = "usb"\ntype = "local"\npath = "{dest_dir}"\n\n'
        f'[[destination]]\nname = "usb-tar"\ntype = "local"\npath = "{dest_dir}"\narchive = true\n',
    )
    return profile_config


@pytest.fixture
def bsvc(backup_config: Path) -> Iterator[ProfileService]:
    service = ProfileService.open(config=backup_config)
    yield service
    service.close()


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
