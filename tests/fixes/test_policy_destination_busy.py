"""A policy run refused because another of our own jobs holds the destination's lock is
not a failure of the policy: the run is SKIPPED (its error names the holder), no failure
counted, no `on_failure` hook, no failure notification or ping; a scheduled run is tried
again after the short skip pause. `policy run NAME` still says it did not run and exits
with the busy code (75)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.cli.helpers import cli
from tests.helpers import add_destination, append_toml, open_service
from tests.notify.conftest import Receiver, receiver  # noqa: F401  (the fixture)
from tests.reliability.faults import pause_cli
from tui_backup import clock
from tui_backup.catalog import policy_runs as pr
from tui_backup.jobs.errors import ErrorKind
from tui_backup.service import ProfileService, policy_run

BUSY_EXIT = 75  # ErrorKind.DESTINATION_BUSY's exit code
T0 = datetime(2026, 6, 2, 12, 0, tzinfo=UTC)  # the next slot (03:00) is 15 h away: the skip pause wins


@pytest.fixture
def config(profile_config: Path, drive: Path, tmp_path: Path, receiver: Receiver) -> Path:  # noqa: F811
    """A policy `nightly` to the local destination `usb`, whose on_failure hook leaves a
    file, and which notifies failures and pings the receiver."""
    add_destination(profile_config, "usb", path=drive)
    return append_toml(profile_config, f"""[[policy]]
name = "nightly"
destination = "usb"
include = "config"
frequency = "daily"
time = "03:00"
timezone = "UTC"
drill_every = "never"

[policy.hooks]
on_failure = [{{run = ["touch", "{tmp_path / 'on-failure-ran'}"]}}]

[policy.notify]
urls = ["json://127.0.0.1:{receiver.port}/alert"]
on = ["failure"]
ping_url = "http://127.0.0.1:{receiver.port}/ping/uuid-1"
""")


@pytest.fixture
def busy(config: Path, tmp_path: Path) -> Iterator[int]:
    """A real `backup run usb` paused mid-backup (it holds the destination's lock); yields its pid."""
    resume = tmp_path / "resume"
    proc = pause_cli(config, "backup.after_manifest", resume, "backup", "run", "usb", "--type", "files", "--json")
    try:
        yield proc.pid
    finally:
        resume.touch()
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, (out[-2000:], err[-2000:])


def _runs(svc: ProfileService) -> list[pr.PolicyRun]:
    return pr.list_runs(svc.catalog, "nightly", pr.BACKUP, limit=100)


def _assert_skipped_not_failed(svc: ProfileService, run: pr.PolicyRun, pid: int, tmp_path: Path,
                               receiver: Receiver) -> None:  # noqa: F811
    assert run.status == pr.SKIPPED and run.error_kind == ErrorKind.DESTINATION_BUSY.value, run
    assert run.error and "destination usb is busy" in run.error and f"PID {pid}" in run.error, run.error
    assert run.finished_at is not None
    assert not (tmp_path / "on-failure-ran").exists()  # no on_failure hook
    paths = [r.path for r in receiver.take()]
    # nor a "start" ping (only sent once the job holds the destination): no end ping follows it
    assert "/alert" not in paths and not [p for p in paths if p.startswith("/ping/")], paths


def test_manual_run_while_the_destination_is_busy(config: Path, busy: int, tmp_path: Path,
                                                  receiver: Receiver) -> None:  # noqa: F811
    r = cli("--config", str(config), "policy", "run", "nightly")
    assert r.exit_code == BUSY_EXIT, (r.exit_code, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    (at,) = [i for i, line in enumerate(lines) if line.startswith("error: ")]
    assert "policy nightly did not run (skipped): destination usb is busy" in lines[at], r.stderr
    assert lines[at + 1:] and lines[at + 1].startswith("hint: ") and "--wait" in lines[at + 1], r.stderr

    as_json = cli("--config", str(config), "policy", "run", "nightly", "--json")
    assert as_json.exit_code == BUSY_EXIT, as_json.stderr
    last = json.loads(as_json.stdout.splitlines()[-1])
    assert last["event"] == "policy-run" and last["run"]["status"] == "skipped"

    with open_service(config) as svc:
        runs = _runs(svc)
        assert len(runs) == 2
        for run in runs:
            _assert_skipped_not_failed(svc, run, busy, tmp_path, receiver)
        state = pr.get_state(svc.catalog, "nightly")
        assert state.failures == 0 and state.retry_at is None  # manual: no retry planned
    status = cli("--config", str(config), "status", "--json")
    (policy,) = [p for p in status.json()["policies"] if p["name"] == "nightly"]
    assert policy["health"] != "failing", policy
    assert policy["last_run"]["status"] == "skipped"


def test_scheduled_run_while_the_destination_is_busy(config: Path, busy: int, tmp_path: Path,
                                                     receiver: Receiver) -> None:  # noqa: F811
    with open_service(config) as svc:
        pr.update_state(svc.catalog, "nightly", failures=2)  # an earlier failure streak stays as it was
        with clock.pinned(T0):
            outcome = policy_run.run_policy(svc, svc.policy("nightly"), trigger=pr.SCHEDULE,
                                            slot=clock.to_catalog(T0.replace(hour=3)), wait=False)
        assert outcome.ok and outcome.busy and outcome.skipped_reason == outcome.run.error
        _assert_skipped_not_failed(svc, outcome.run, busy, tmp_path, receiver)
        state = pr.get_state(svc.catalog, "nightly")
        assert state.failures == 2
        assert state.retry_at == clock.to_catalog(T0 + policy_run.SKIP_PAUSE)  # soon after the other job
        assert state.last_slot_done is None  # the slot is still to be served


def test_a_real_failure_still_counts(config: Path, drive: Path, tmp_path: Path,
                                     receiver: Receiver) -> None:  # noqa: F811
    """The contrast: the destination gone is the policy's failure, hook and alert included."""
    drive.rename(drive.with_name("unplugged"))
    r = cli("--config", str(config), "policy", "run", "nightly")
    assert r.exit_code != 0 and r.exit_code != BUSY_EXIT, r.stderr
    with open_service(config) as svc:
        (run,) = _runs(svc)
        assert run.status == "failed"
        assert pr.get_state(svc.catalog, "nightly").failures == 1
    assert (tmp_path / "on-failure-ran").exists()
    assert "/ping/uuid-1/fail" in [r.path for r in receiver.take()]

