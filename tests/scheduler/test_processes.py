"""Real processes: overlapping `run-due` invocations, and the daemon (SIGHUP, SIGTERM)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from tui_backup import clock
from tui_backup.catalog import jobs as job_rows
from tui_backup.catalog import policy_runs as pr
from tui_backup.policies.schedule import schedule_of
from tui_backup.service import ProfileService

from .conftest import backup_runs, policy_toml, write_policies

NOW = "2026-06-10T09:00:00Z"  # the slot 2026-06-10 03:00 Paris is due


def cli(config: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tui_backup", "--config", str(config), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})},
    )


def make_due(svc: ProfileService, policy: str) -> None:
    """As if the policy last ran a day before its latest slot (whatever the clock says)."""
    slot = schedule_of(svc.policy(policy).schedule).slot_at_or_before(clock.now())
    assert slot is not None
    pr.update_state(svc.catalog, policy, last_slot_done=clock.to_catalog(slot - timedelta(days=1)))


@pytest.mark.slow
def test_overlapping_invocations_run_a_policy_once(sched_config: Path) -> None:
    write_policies(sched_config, policy_toml(include="database"))
    svc = ProfileService.open(config=sched_config)
    clock.set_now(clock.parse_time(NOW))
    make_due(svc, "nightly")
    env = {"TUI_BACKUP_NOW": NOW, "TUI_BACKUP_PAUSE": "snapshot.after_dump"}
    procs = [cli(sched_config, "run-due", env=env) for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while all(p.poll() is None for p in procs):
            assert time.monotonic() < deadline, "neither invocation finished"
            time.sleep(0.1)
        done = next(p for p in procs if p.poll() is not None)
        paused = next(p for p in procs if p is not done)
        out, _err = done.communicate(timeout=10)
        assert done.returncode == 0, out
        assert f"skipped    nightly: already running in pid {paused.pid} since" in out
        time.sleep(0.3)
        assert paused.poll() is None  # still inside the backup, paused
        runs = backup_runs(svc)
        assert len(runs) == 1 and runs[0].status == "running" and runs[0].pid == paused.pid
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.communicate(timeout=10)
    # the killed run is reaped as failed by the next invocation, which then serves the slot
    final = cli(sched_config, "run-due", env={"TUI_BACKUP_NOW": NOW})
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, out + err
    statuses = [r.status for r in backup_runs(svc)]
    assert statuses == ["failed", "succeeded"]
    assert backup_runs(svc)[0].error_kind == "interrupted"
    svc.close()


def _wait(what: str, cond: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.mark.slow
def test_daemon_reloads_on_sighup_and_stops_on_sigterm(sched_config: Path, app_dir: Path, drive: Path) -> None:
    write_policies(sched_config, policy_toml("quick"))
    svc = ProfileService.open(config=sched_config)
    make_due(svc, "quick")
    daemon = cli(sched_config, "daemon", "--max-sleep", "1", "--min-pass-gap", "0.5")
    try:
        _wait("the first run", lambda: any(r.ok for r in backup_runs(svc, "quick")))
        # a new policy whose backup takes long (a 4 GB sparse file to hash)
        with open(app_dir / "files" / "big.img", "wb") as f:
            f.truncate(4 << 30)
        write_policies(sched_config, policy_toml("big", include="files"))
        svc.reload_config()
        make_due(svc, "big")
        daemon.send_signal(signal.SIGHUP)
        _wait("the new policy's job", lambda: any(
            j.status == job_rows.RUNNING and j.kind == "backup" for j in svc.list_jobs(5)))
        time.sleep(1.0)
        assert daemon.poll() is None
        daemon.send_signal(signal.SIGTERM)
        _out, err = daemon.communicate(timeout=60)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.communicate()
    assert daemon.returncode == 0, err
    assert "config reloaded: policies quick, big" in err
    assert "stopped (stopped by SIGTERM)" in err
    big = backup_runs(svc, "big")
    assert [r.status for r in big] == ["cancelled"]
    assert svc.get_job(big[0].job_id or 0).status == "cancelled"
    points = svc.list_restore_points("disk")
    assert [p.id for p in points] == [r.point_id for r in backup_runs(svc, "quick")]
    assert all(p.complete for p in points)
    assert sorted(p.name for p in (drive / "app").iterdir()) == sorted(p.id for p in points)
    print(err)
    svc.close()
