"""The per-destination file lock across real separate processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tui_backup.jobs.locks import FileLock, LockHeldError, destination_lock

HOLDER = """
    import sys, time
    from pathlib import Path
    from tui_backup.jobs.locks import destination_lock
    lock = destination_lock(Path(sys.argv[1]), "nas")
    lock.acquire(job_id=7, what="backup nas")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    lock.release()
"""


def hold(locks_dir: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(HOLDER), str(locks_dir), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_fail_fast_names_the_holder(tmp_path: Path) -> None:
    holder = hold(tmp_path, 30)
    try:
        lock = destination_lock(tmp_path, "nas")
        with pytest.raises(LockHeldError) as err:
            lock.acquire()
        msg = err.value.message
        assert msg.startswith("destination nas is busy: locked by ")
        assert f"PID {holder.pid} on " in msg and "(job 7: backup nas)" in msg and "since " in msg and " ago" in msg
        assert "jobs cancel 7" in err.value.hint
        assert err.value.holder is not None and err.value.holder.alive() is True
        data = json.loads(lock.path.read_text())
        assert data["pid"] == holder.pid and data["job_id"] == 7 and data["started_at"].endswith("Z")
        assert lock.path.stat().st_mode & 0o777 == 0o600
        with pytest.raises(LockHeldError) as err2:
            lock.acquire(wait=True, timeout=0.5)
        assert "(waited 0 s)" in err2.value.message or "(waited 1 s)" in err2.value.message
    finally:
        holder.kill()
        holder.wait()


def test_wait_until_the_holder_releases(tmp_path: Path) -> None:
    holder = hold(tmp_path, 0.6)
    lock = destination_lock(tmp_path, "nas")
    started = time.monotonic()
    lock.acquire(wait=True, timeout=10)
    try:
        assert 0.3 < time.monotonic() - started < 5
        assert lock.took_over is None  # released cleanly: nothing to take over
        assert json.loads(lock.path.read_text())["pid"] == os.getpid()
    finally:
        lock.release()
        holder.wait()
    assert lock.path.read_text() == ""  # released: the file says nobody holds it


def test_dead_holder_lock_is_taken_over(tmp_path: Path) -> None:
    holder = hold(tmp_path, 30)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    lock = destination_lock(tmp_path, "nas")
    assert lock.holder() is not None and lock.holder().pid == holder.pid  # type: ignore[union-attr]
    lock.acquire()
    try:
        assert lock.took_over is not None and lock.took_over.pid == holder.pid and lock.took_over.job_id == 7
    finally:
        lock.release()


def test_same_process_second_lock_object_is_refused(tmp_path: Path) -> None:
    a = FileLock(tmp_path / "x.lock", "x")
    b = FileLock(tmp_path / "x.lock", "x")
    with a.hold():
        assert not b.try_acquire()
    assert b.try_acquire()
    b.release()


def test_children_do_not_inherit_the_lock(tmp_path: Path) -> None:
    lock = destination_lock(tmp_path, "nas")
    lock.acquire()
    child = subprocess.Popen(["sleep", "30"], close_fds=False)
    try:
        lock.release()
        other = destination_lock(tmp_path, "nas")
        assert other.try_acquire()  # the child holds no copy of the lock
        other.release()
    finally:
        child.kill()
        child.wait()
