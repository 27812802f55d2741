"""Concurrency (R3): overlapping `run-due` invocations, and the daemon with the TUI's
"run now" against one profile. No policy runs twice at once, every slot is served once,
and the catalog stays consistent (integrity_check, foreign keys, no duplicate or orphan rows:
tests/reliability/faults.py `catalog_problems`).

The TUI's "run now" (Policies pane, `action_run_now`) starts a detached child
`tui-backup policy run -- NAME` (tui/detached.py); the test runs that same command line as the
TUI's stand-in, at random moments while the daemon works.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.helpers import add_destination, append_toml, open_service
from tests.reliability.conftest import CaseRecorder
from tests.reliability.faults import catalog_problems, cli
from tests.scheduler.conftest import policy_toml
from tui_backup import clock
from tui_backup.catalog import policy_runs as pr
from tui_backup.policies.schedule import schedule_of
from tui_backup.service import ProfileService

DAY0 = "2026-06-10T09:00:00Z"  # 03:00 Europe/Paris of that day is due
BUSY_EXIT = 75  # destination-busy (tui_backup.jobs.errors)


def _make_due(svc: ProfileService, policy: str) -> None:
    """As if the policy last ran a day before its latest slot (whatever the clock says)."""
    slot = schedule_of(svc.policy(policy).schedule).slot_at_or_before(clock.now())
    assert slot is not None
    pr.update_state(svc.catalog, policy, last_slot_done=clock.to_catalog(slot - timedelta(days=1)))


def _runs(svc: ProfileService, policy: str) -> list[pr.PolicyRun]:
    return list(reversed(pr.list_runs(svc.catalog, policy, pr.BACKUP, limit=1000)))


def _assert_points_complete(svc: ProfileService, dests: list[str]) -> None:
    from tests.reliability.invariants import assert_points_complete

    assert_points_complete(svc, dests)


def _setup(config: Path, tmp_path: Path) -> list[str]:
    """Two policies on two destinations (a database one and a config one)."""
    for name in ("disk", "disk2"):
        (tmp_path / name).mkdir()
        add_destination(config, name, path=tmp_path / name)
    append_toml(config, policy_toml("nightly", include="config") + "\n"
                + policy_toml("dbnightly", destination="disk2", include="database"))
    return ["nightly", "dbnightly"]


@pytest.mark.slow
def test_overlapping_run_due_serve_each_slot_once(
    profile_config: Path, tmp_path: Path, rng: random.Random, cases: CaseRecorder,
) -> None:
    row = cases("Concurrency", "two `run-due` processes at once (random start offsets, one due slot per round)",
                "each due slot runs once, never two runs of a policy at once; the catalog stays consistent")
    policies = _setup(profile_config, tmp_path)
    rounds = 3
    with open_service(profile_config) as svc:
        clock.set_now(clock.parse_time(DAY0))
        for p in policies:
            _make_due(svc, p)
        clock.set_now(None)
        catalog = svc.catalog.path
        for r in range(rounds):
            now = clock.to_catalog(clock.parse_time(DAY0) + timedelta(days=r))
            env = {"TUI_BACKUP_NOW": now}
            procs = [cli(profile_config, "run-due", env=env)]
            time.sleep(rng.uniform(0, 0.4))  # the second starts at a random moment of the first
            procs.append(cli(profile_config, "run-due", env=env))
            outs = [p.communicate(timeout=180) for p in procs]
            for p, (out, err) in zip(procs, outs, strict=True):
                assert p.returncode == 0, (out, err)
                assert "Traceback" not in err
            row.tried += 1
            assert catalog_problems(catalog) == [], outs
            for p in policies:
                ok = [x for x in _runs(svc, p) if x.ok]
                assert len(ok) == r + 1, (p, [(x.slot, x.status, x.error_kind) for x in _runs(svc, p)], outs)
                assert len({x.slot for x in ok}) == r + 1  # one run per slot
        _assert_points_complete(svc, ["disk", "disk2"])


@pytest.mark.slow
def test_daemon_and_tui_run_now_at_once(
    profile_config: Path, tmp_path: Path, rng: random.Random, cases: CaseRecorder,
) -> None:
    row = cases("Concurrency", "the daemon and the TUI's \"run now\" (its `policy run` child) against one profile",
                "never two runs of a policy at once (the other is refused as busy or waits); "
                "the catalog stays consistent")
    policies = _setup(profile_config, tmp_path)
    with open_service(profile_config) as svc:
        for p in policies:
            _make_due(svc, p)
        catalog = svc.catalog.path
        daemon = cli(profile_config, "daemon", "--max-sleep", "1", "--min-pass-gap", "0.5")
        try:
            t0 = time.monotonic()
            manual: list[subprocess.Popen[str]] = []
            for _ in range(4):  # "run now" pressed at random moments while the daemon works
                time.sleep(rng.uniform(0, 1.0))
                manual.append(cli(profile_config, "policy", "run", "--json", "--", rng.choice(policies)))
            for m in manual:
                out, err = m.communicate(timeout=180)
                # ran, or refused at once: the policy is busy (its lock) or its destination is
                busy = m.returncode in (1, BUSY_EXIT) and "is busy" in (out + err)
                assert m.returncode == 0 or busy, (m.returncode, out[-2000:], err)
                assert "Traceback" not in err
                row.tried += 1
            # the daemon serves whatever is still due (a manual success after the slot serves it too)
            deadline = time.monotonic() + 120
            while not all(any(x.ok for x in _runs(svc, p)) and not any(x.status == "running" for x in _runs(svc, p))
                          for p in policies):
                assert time.monotonic() < deadline, [(p, _runs(svc, p)) for p in policies]
                assert daemon.poll() is None, daemon.communicate()
                time.sleep(0.2)
            time.sleep(1.5)  # a further pass or two of the daemon: nothing runs again
            assert time.monotonic() - t0 < 180
            daemon.send_signal(signal.SIGTERM)
            _out, err = daemon.communicate(timeout=60)
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.communicate()
        assert daemon.returncode == 0, err
        assert "Traceback" not in err
        for p in policies:  # the slot served once: no second scheduled run after a success
            assert sum(x.ok and x.trigger == "schedule" for x in _runs(svc, p)) <= 1, _runs(svc, p)
        problems = catalog_problems(catalog)
        table = "\n".join(f"{x.id} {x.policy} {x.trigger} {x.status} {x.error_kind} {x.started_at} {x.finished_at} "
                          f"pid={x.pid} job={x.job_id}" for p in policies for x in _runs(svc, p))
        assert problems == [], f"{problems}\n{table}"
        _assert_points_complete(svc, ["disk", "disk2"])


@pytest.mark.slow
def test_run_now_refused_while_run_due_holds_the_policy(
    profile_config: Path, tmp_path: Path, cases: CaseRecorder,
) -> None:
    """Deterministic half of the test above: while run-due (or the daemon) serves a policy,
    "run now" is refused at once, and `--wait` waits for it instead."""
    from tui_backup.service.scheduler import policy_lock

    row = cases("Concurrency", "the daemon and the TUI's \"run now\" (its `policy run` child) against one profile",
                "never two runs of a policy at once (the other is refused as busy or waits); "
                "the catalog stays consistent")
    _setup(profile_config, tmp_path)
    with open_service(profile_config) as svc:
        lock = policy_lock(svc, "nightly")
        with lock.hold(what="run-due nightly"):
            r = cli(profile_config, "policy", "run", "--", "nightly")
            out, err = r.communicate(timeout=60)
            assert r.returncode == 1 and "policy nightly is busy" in err, (out, err)
            waiting = cli(profile_config, "policy", "run", "--wait", "--", "nightly")
            time.sleep(1.0)
            assert waiting.poll() is None  # waits for the lock, runs nothing meanwhile
            assert _runs(svc, "nightly") == []
        out, err = waiting.communicate(timeout=120)
        assert waiting.returncode == 0, (out, err)
        assert [x.status for x in _runs(svc, "nightly")] == ["succeeded"]
        assert catalog_problems(svc.catalog.path) == []
    row.tried += 2
