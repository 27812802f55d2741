"""The daemon across a suspend / clock jump: it re-plans from the wall clock on every wake,
so slots missed while the machine slept run once on waking, and a clock set back runs
nothing twice. Driven in-process with the tool's clock (tui_backup.clock)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from tests.scheduler.conftest import at, policy_toml
from tui_backup import clock
from tui_backup.catalog import policy_runs as pr
from tui_backup.service.daemon import Daemon

_LINES: list[str] = []


def _wait_for(cond: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out; daemon said: {_LINES}")


def test_suspend_runs_missed_slots_once_and_clock_back_runs_nothing(open_svc: Any) -> None:
    svc = open_svc(policy_toml(frequency="daily", time="03:00", timezone="UTC"))
    clock.set_now(at("2026-06-01T12:00:00Z"))
    lines: list[str] = _LINES
    lines.clear()
    daemon = Daemon(svc, log=lines.append, max_sleep_s=0.1, min_pass_gap_s=0.0)
    worker = threading.Thread(target=daemon._worker, daemon=True)
    worker.start()
    try:
        # First sight: the policy waits for its first slot (tomorrow 03:00); nothing runs.
        _wait_for(lambda: any("next run at 2026-06-02T03:00:00Z" in line for line in lines))
        assert pr.list_runs(svc.catalog, "nightly") == []

        clock.set_now(at("2026-06-04T09:00:00Z"))  # "asleep" through three slots
        _wait_for(lambda: any(r.status == "succeeded" for r in pr.list_runs(svc.catalog, "nightly")))
        _wait_for(lambda: any("next run at 2026-06-05T03:00:00Z" in line for line in lines))
        runs = pr.list_runs(svc.catalog, "nightly")
        assert [(r.status, r.slot) for r in runs] == [("succeeded", "2026-06-04T03:00:00.000000Z")]

        clock.set_now(at("2026-06-03T09:00:00Z"))  # the clock is set back a day
        time.sleep(1.0)  # ten wake-ups
        assert len(pr.list_runs(svc.catalog, "nightly")) == 1
    finally:
        daemon.request_stop("test over")
        worker.join(30)
    assert not worker.is_alive() and daemon.error is None
