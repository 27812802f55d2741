"""`tui-backup jobs log [--follow]` and `jobs cancel [--wait]` on a job run by another process."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from tests.cli.helpers import BIN, assert_error, cli
from tests.helpers import open_service
from tui_backup.catalog import jobs as job_rows

from .helpers import OtherProcessJob


def test_log_follow_streams_another_process_job_until_it_ends(profile_config: Path) -> None:
    job = OtherProcessJob(profile_config, lines=12, interval=0.1)
    try:
        follower = subprocess.Popen(
            [str(BIN), "--config", str(profile_config), "jobs", "log", str(job.job_id), "--follow"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        )
        assert follower.stdout is not None
        seen: list[str] = []
        while not any(line.endswith("line 2") for line in seen):
            line = follower.stdout.readline()
            assert line, "the follower ended early"
            seen.append(line.rstrip("\n"))
        # Lines arrive while the job still runs (it takes ~1.2 s more).
        assert job.proc.poll() is None
        rest = follower.stdout.read()  # (communicate() would skip what readline buffered)
        assert follower.stderr is not None
        err = follower.stderr.read()
        assert follower.wait(timeout=20) == 0, err
        out = seen + rest.splitlines()
        assert job.wait() == "DONE succeeded"
    finally:
        job.kill()
    printed = [line.rsplit("] ", 1)[1] for line in out if "[stdout] " in line]
    assert printed == [f"line {i}" for i in range(1, 13)]  # every line, once, in order
    assert "succeeded: 12 lines" in out[-1]  # the runner's outcome line ends the log
    assert f"job {job.job_id} ✔ succeeded" in err
    # Without --follow: the whole log, the same text.
    r = cli("--config", str(profile_config), "jobs", "log", str(job.job_id))
    assert r.exit_code == 0 and r.stdout.splitlines() == out


def test_follow_in_process_and_cancel_another_process_job(profile_config: Path) -> None:
    job = OtherProcessJob(profile_config, lines=200, interval=0.05)
    try:
        r = cli("--config", str(profile_config), "jobs", "cancel", str(job.job_id))
        assert r.exit_code == 0, r.stderr
        assert f"cancel requested for job {job.job_id}" in r.stdout
        started = time.monotonic()
        r = cli("--config", str(profile_config), "jobs", "log", str(job.job_id), "--follow")
        assert r.exit_code == 0
        assert time.monotonic() - started < 5
        assert "cancel requested by another process" in r.stdout
        assert "line 1" in r.stdout and "line 200" not in r.stdout
        assert job.wait() == "DONE cancelled"
    finally:
        job.kill()
    with open_service(profile_config) as svc:
        assert svc.get_job(job.job_id).status == job_rows.CANCELLED
    # A finished job: a clear message, exit 2 (nothing to do).
    assert_error(cli("--config", str(profile_config), "jobs", "cancel", str(job.job_id)), 2,
                 f"job {job.job_id} is not running (it cancelled)")
    assert_error(cli("--config", str(profile_config), "jobs", "cancel", "999"), 2, "no job 999")


def test_cancel_wait_reports_the_end(profile_config: Path) -> None:
    job = OtherProcessJob(profile_config, lines=200, interval=0.05)
    try:
        r = cli("--config", str(profile_config), "jobs", "cancel", str(job.job_id), "--wait")
        assert r.exit_code == 0, r.stderr
        assert f"job {job.job_id} ■ cancelled" in r.stdout
        assert job.wait() == "DONE cancelled"
    finally:
        job.kill()
    r = cli("--config", str(profile_config), "jobs", "show", str(job.job_id), "--json")
    assert r.json()["status"] == "cancelled"


def test_log_of_unknown_job_and_follow_of_a_finished_one(profile_config: Path) -> None:
    assert_error(cli("--config", str(profile_config), "jobs", "log", "42"), 2, "no job 42")
    job = OtherProcessJob(profile_config, lines=2, interval=0.0)
    assert job.wait() == "DONE succeeded"
    started = time.monotonic()
    r = cli("--config", str(profile_config), "jobs", "log", str(job.job_id), "--follow")
    assert r.exit_code == 0 and "line 2" in r.stdout
    assert time.monotonic() - started < 1  # nothing to wait for
