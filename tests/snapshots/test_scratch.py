"""The snapshot's scratch copy on tmpfs (service/scratch.py): used when it has room, private,
removed on every path (a SIGKILLed run's copy by the next run), never filling the tmpfs."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
from pathlib import Path

import pytest

from tests.snapshots.conftest import child_snapshot, temporaries
from tests.volumes.conftest import Mounts, root_mounts  # noqa: F401  (fixture)
from tui_backup.service import ProfileService
from tui_backup.service.faults import FAULT_ENV, InjectedFault
from tui_backup.service.scratch import SCRATCH_ENV, remove_stale_scratch, scratch_dir

PRIVATE = f"tui-backup-{os.getuid()}"


@pytest.fixture
def tmpfs(root_mounts: Mounts) -> Mounts:  # noqa: F811
    return root_mounts


def _paused_after_dump(config: Path, scratch: Path) -> subprocess.Popen[str]:
    """A `snapshot create` child with `scratch` as its scratch base, paused once the dump is made."""
    child = child_snapshot(config, {"TUI_BACKUP_PAUSE": "snapshot.after_dump", SCRATCH_ENV: str(scratch)})
    assert child.stderr is not None
    line = child.stderr.readline()
    assert line.strip() == "PAUSED snapshot.after_dump", line + child.stderr.read()
    return child


def _kill(child: subprocess.Popen[str]) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.communicate()


def test_scratch_copy_on_tmpfs_is_private_and_removed_after_sigkill(
    svc: ProfileService, profile_config: Path, tmpfs: Mounts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mnt = tmpfs.mount(tmp_path / "ram", size="128m")
    child = _paused_after_dump(profile_config, mnt)
    private = mnt / PRIVATE
    copies = temporaries(private)
    assert len(copies) == 1 and copies[0].endswith(".db")  # the copy is on the tmpfs ...
    assert stat.S_IMODE(private.lstat().st_mode) == 0o700
    assert stat.S_IMODE((private / copies[0]).stat().st_mode) == 0o600
    snapdir = svc.paths.snapshots_dir
    assert [n for n in temporaries(snapdir) if n.endswith(".db")] == []  # ... not in the snapshots dir
    _kill(child)
    assert temporaries(private) == copies  # a dead run's copy stays until the next run

    monkeypatch.setenv(SCRATCH_ENV, str(mnt))
    assert svc.list_snapshots() == []  # the next run cleans up
    assert temporaries(private) == [] and temporaries(snapdir) == []
    rec = svc.create_snapshot("after the kill")
    assert svc.verify_snapshot(rec.id).ok
    assert temporaries(private) == []  # removed on success too


def test_scratch_copy_removed_when_the_snapshot_fails(
    svc: ProfileService, tmpfs: Mounts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mnt = tmpfs.mount(tmp_path / "ram", size="128m")
    monkeypatch.setenv(SCRATCH_ENV, str(mnt))
    monkeypatch.setenv(FAULT_ENV, "snapshot.after_compress")
    with pytest.raises(InjectedFault):
        svc.create_snapshot("fails")
    assert temporaries(mnt / PRIVATE) == []
    assert temporaries(svc.paths.snapshots_dir) == []
    assert svc.list_snapshots() == []


def test_too_small_tmpfs_falls_back_to_the_snapshots_dir(
    svc: ProfileService, profile_config: Path, tmpfs: Mounts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 32 MB cannot hold the copy plus the margin (at least 64 MB): the tmpfs is never filled
    mnt = tmpfs.mount(tmp_path / "ram", size="32m")
    child = _paused_after_dump(profile_config, mnt)
    assert list(mnt.iterdir()) == []  # not even our private directory
    snapdir = svc.paths.snapshots_dir
    assert len([n for n in temporaries(snapdir) if n.endswith(".db")]) == 1  # the copy went here
    _kill(child)
    monkeypatch.setenv(SCRATCH_ENV, str(mnt))
    rec = svc.create_snapshot("on disk")
    assert svc.verify_snapshot(rec.id).ok
    assert temporaries(snapdir) == [] and list(mnt.iterdir()) == []


def test_choice_of_scratch_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fallback = tmp_path / "snapshots"
    base = tmp_path / "scratch"
    base.mkdir()
    monkeypatch.setenv(SCRATCH_ENV, str(base))
    assert scratch_dir(1024, fallback) == base / PRIVATE  # an explicit dir need not be tmpfs
    assert stat.S_IMODE((base / PRIVATE).stat().st_mode) == 0o700
    assert scratch_dir(None, fallback) == fallback  # size unknown (e.g. pg_dump): on disk
    assert scratch_dir(1 << 60, fallback) == fallback  # no room
    monkeypatch.setenv(SCRATCH_ENV, "none")
    assert scratch_dir(1024, fallback) == fallback
    # a planted symlink or a directory others can read is never used (bases like /dev/shm are shared)
    other = tmp_path / "other"
    other.mkdir()
    (base / PRIVATE).rmdir()
    (base / PRIVATE).symlink_to(other, target_is_directory=True)
    monkeypatch.setenv(SCRATCH_ENV, str(base))
    assert scratch_dir(1024, fallback) == fallback
    (base / PRIVATE).unlink()
    (base / PRIVATE).mkdir(mode=0o755)
    os.chmod(base / PRIVATE, 0o755)
    assert scratch_dir(1024, fallback) == fallback
    # stale copies of dead processes go; a live process's copy stays
    os.chmod(base / PRIVATE, 0o700)
    dead = base / PRIVATE / ".tui-backup-tmp-999999999-abcd-x.db"
    mine = base / PRIVATE / f".tui-backup-tmp-{os.getpid()}-abcd-y.db"
    dead.write_bytes(b"x")
    mine.write_bytes(b"y")
    assert remove_stale_scratch() == [dead]
    assert mine.exists()
