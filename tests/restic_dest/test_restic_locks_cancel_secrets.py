"""Locks held by other restic processes, cancelling mid-backup, and the secrets rule."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from tests.restic_dest.conftest import (
    RESTIC_TEST_PASSWORD,
    Job,
    make_content,
    make_dest,
    password_file,
    restic_cli,
)
from tui_backup.jobs.errors import ErrorKind
from tui_backup.jobs.events import CANCELLED, FAILED, SUCCEEDED, Event, Progress
from tui_backup.jobs.runner import JobContext, JobRunner, JobSpec


def hold_lock(repo: Path) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    """A real `restic backup --stdin` fed by a pipe that stays open: it holds a lock."""
    env = {"RESTIC_PASSWORD": RESTIC_TEST_PASSWORD, "PATH": os.environ["PATH"], "HOME": os.environ["HOME"]}
    feeder = subprocess.Popen(["sleep", "60"], stdout=subprocess.PIPE)
    holder = subprocess.Popen(["restic", "-r", str(repo), "backup", "--stdin", "-q"], stdin=feeder.stdout,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    for _ in range(100):
        if restic_cli(str(repo), env, "list", "locks", "--no-lock").stdout.strip():
            return feeder, holder
        threading.Event().wait(0.1)
    raise AssertionError("the holder never took its lock")


async def test_lock_held_by_live_process_then_dead(tmp_path: Path, restic_template: Path, job: Job) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(restic_template, repo)
    dest = make_dest(tmp_path, {"repository": str(repo), "password_file": str(password_file(tmp_path))})
    feeder, holder = hold_lock(repo)
    try:
        finished = await job.run(lambda ctx: dest.check(ctx), "check")  # check needs an exclusive lock
        assert (finished.status, finished.error_kind) == (FAILED, ErrorKind.REPO_LOCKED)
        assert f"PID {holder.pid} on {dest.host}" in (finished.error_message or "")
        holder.kill()  # SIGKILL: a stale lock of a dead PID stays behind
        holder.wait()
        env = {"RESTIC_PASSWORD": RESTIC_TEST_PASSWORD, "PATH": os.environ["PATH"]}
        assert restic_cli(str(repo), env, "list", "locks", "--no-lock").stdout.strip()
        finished = await job.run(lambda ctx: dest.check(ctx), "check")
        assert finished.status == SUCCEEDED, finished
        assert not restic_cli(str(repo), env, "list", "locks", "--no-lock").stdout.strip()
    finally:
        for p in (holder, feeder):
            p.kill()
            p.wait()


@pytest.mark.slow
@pytest.mark.parametrize("grace", [(10.0, 5.0), (0.0, 0.0)], ids=["sigint", "killed"])
async def test_cancel_mid_backup_leaves_no_snapshot_nor_lock(
    tmp_path: Path, restic_template: Path, grace: tuple[float, float]
) -> None:
    """SIGINT stops restic cleanly; when it has to be killed, `restic unlock` clears its lock."""
    repo = tmp_path / "repo"
    shutil.copytree(restic_template, repo)
    dest = make_dest(tmp_path, {"repository": str(repo), "password_file": str(password_file(tmp_path))})
    content = make_content(tmp_path / "src")
    big = tmp_path / "src" / "live" / "library" / "big"
    big.mkdir()
    for i in range(12):
        (big / f"{i}.bin").write_bytes(os.urandom(32 << 20))
    runner = JobRunner(logs_dir=tmp_path / "logs")
    seen = asyncio.Event()

    def on_event(ev: Event) -> None:
        if isinstance(ev, Progress) and ev.bytes_done > 0:
            seen.set()

    async def body(ctx: JobContext) -> None:
        await dest.backup(ctx, content)

    handle = runner.start(JobSpec("backup", "vault", body, grace=grace), [on_event])
    await asyncio.wait_for(seen.wait(), 60)
    handle.cancel("test")
    finished = await handle.wait()
    assert finished.status == CANCELLED, finished
    log = next((tmp_path / "logs").iterdir()).read_text()
    if grace == (0.0, 0.0):
        assert "SIGKILL" in log or "SIGTERM" in log
        assert "restic unlock exited with code 0" in log
    env = {"RESTIC_PASSWORD": RESTIC_TEST_PASSWORD, "PATH": os.environ["PATH"]}
    assert restic_cli(str(repo), env, "snapshots", "--json").stdout.strip() == "[]"
    assert not restic_cli(str(repo), env, "list", "locks", "--no-lock").stdout.strip()
    check = restic_cli(str(repo), env, "check")
    assert check.returncode == 0 and "no errors were found" in check.stdout
    assert await dest.list_points(None) == []


class CmdlineSampler(threading.Thread):
    """Reads every process's argv from /proc while a job runs; collects restic's."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.seen: set[bytes] = set()

    def run(self) -> None:
        me = os.getpid()
        while not self.stop.is_set():
            for pid in os.listdir("/proc"):
                if not pid.isdigit() or int(pid) == me:
                    continue
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        cmd = f.read()
                except OSError:
                    continue
                if b"restic" in cmd:
                    self.seen.add(cmd)
            self.stop.wait(0.005)


@pytest.mark.slow
async def test_password_never_in_argv_or_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, job: Job) -> None:
    secret = "S3cr3t-canary-7781"
    monkeypatch.setenv("VAULT_PW", secret)
    dest = make_dest(tmp_path, {"repository": str(tmp_path / "repo"), "password_env": "VAULT_PW", "auto_init": True})
    content = make_content(tmp_path / "src", big=20_000_000)
    sampler = CmdlineSampler()
    sampler.start()
    try:
        finished = await job.run(lambda ctx: dest.backup(ctx, content))
        assert finished.status == SUCCEEDED, finished
        staging = tmp_path / "staging"
        staging.mkdir()
        finished = await job.run(lambda ctx: dest.fetch(ctx, "latest", staging), "restore")
        assert finished.status == SUCCEEDED, finished
    finally:
        sampler.stop.set()
        sampler.join()
    assert any(b"backup" in c for c in sampler.seen) and any(b"restore" in c for c in sampler.seen)
    assert not any(secret.encode() in c for c in sampler.seen)
    written = [p for p in (tmp_path / "logs").rglob("*") if p.is_file()]
    assert written and not any(secret.encode() in p.read_bytes() for p in written)
    assert all(secret not in str(ev) for ev in job.events)
