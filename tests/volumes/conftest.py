"""Real volumes for the guard's tests: small tmpfs mounts (as root), cleaned up afterwards."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tui_backup.config.models import Config
from tui_backup.service.setup import InitRequest, init_profile

IS_ROOT = os.geteuid() == 0


class Mounts:
    """Mount, remount and unmount tmpfs file systems; whatever is left is unmounted at the end."""

    def __init__(self) -> None:
        self.mounted: list[Path] = []

    def mount(self, path: Path, size: str = "256m") -> Path:
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "--", "tmpfs", str(path)], check=True)
        self.mounted.append(path)
        return path

    def remount_read_only(self, path: Path) -> None:
        subprocess.run(["mount", "-o", "remount,ro", "--", str(path)], check=True)

    def unmount(self, path: Path) -> None:
        subprocess.run(["umount", "--", str(path)], check=True)
        self.mounted.remove(path)

    def cleanup(self) -> None:
        for path in reversed(self.mounted):
            subprocess.run(["umount", "-l", "--", str(path)], check=False)
        self.mounted.clear()


@pytest.fixture
def mounts() -> Iterator[Mounts | None]:
    """Mounts as root (CI); None otherwise, and the tests fall back to permissions and markers."""
    if not IS_ROOT:
        yield None
        return
    m = Mounts()
    try:
        yield m
    finally:
        m.cleanup()


@pytest.fixture
def root_mounts() -> Iterator[Mounts]:
    """Mounts for a test that needs a real one (e.g. a small tmpfs): mounting needs root, which
    CI has; elsewhere the test is skipped."""
    if not IS_ROOT:
        pytest.skip("mounting a tmpfs needs root")
    m = Mounts()
    try:
        yield m
    finally:
        m.cleanup()


@pytest.fixture
def make_profile(app_dir: Path, tmp_path: Path) -> Callable[[Path], Config]:
    """A profile over `app_dir` whose snapshots go to the given directory."""

    def make(snapshots_dir: Path) -> Config:
        return init_profile(
            InitRequest(
                name="app",
                database=f"sqlite://{app_dir / 'app.db'}",
                files=(app_dir / "files",),
                snapshots_dir=snapshots_dir,
                config_path=tmp_path / "app.toml",
            )
        )

    return make
