"""Scheduler decisions with the injected clock, running real (small) backups in-process."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.helpers import add_destination
from tui_backup import clock
from tui_backup.catalog import policy_runs as pr
from tui_backup.service import ProfileService, scheduler

from .conftest import at, backup_runs, policy_toml

Open = Callable[..., ProfileService]
PARIS = ZoneInfo("Europe/Paris")


def paris(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=PARIS).astimezone(UTC)


def run_at(svc: ProfileService, when: datetime) -> scheduler.RunDueReport:
    clock.set_now(when)
    return scheduler.run_due(svc)


def test_new_policy_waits_for_its_first_slot_then_runs_once(open_svc: Open) -> None:
    svc = open_svc(policy_toml())
    report = run_at(svc, paris(2026, 6, 1, 12))
    assert report.items == [] and not report.failed
    assert [i.reason for i in report.not_due] == ["new policy: first run at 2026-06-02 03:00 CEST"]
    assert pr.get_state(svc.catalog, "nightly").last_slot_done == clock.to_catalog(paris(2026, 6, 1, 3))
    assert run_at(svc, paris(2026, 6, 2, 2, 59)).items == []
    report = run_at(svc, paris(2026, 6, 2, 3, 0))
    assert [(i.policy, i.kind, i.trigger) for i in report.items] == [("nightly", "backup", "schedule")]
    assert [o.run.status for o in report.outcomes] == ["succeeded"]
    state = pr.get_state(svc.catalog, "nightly")
    assert state.last_slot_done == clock.to_catalog(paris(2026, 6, 2, 3))
    assert state.failures == 0 and state.retry_at is None
    assert run_at(svc, paris(2026, 6, 2, 3, 5)).items == []
    runs = backup_runs(svc)
    assert len(runs) == 1 and runs[0].point_id and runs[0].slot == state.last_slot_done


def test_missed_slots_while_asleep_run_once(open_svc: Open) -> None:
    svc = open_svc(policy_toml())
    run_at(svc, paris(2026, 6, 1, 12))
    run_at(svc, paris(2026, 6, 2, 3, 1))
    # the machine sleeps for five days: on waking, one run for the latest missed slot
    report = run_at(svc, paris(2026, 6, 7, 9, 30))
    assert len(report.items) == 1 and "5 slots missed, running once" in report.items[0].reason
    assert report.items[0].slot == clock.to_catalog(paris(2026, 6, 7, 3))
    for minutes in (1, 10, 60):
        assert run_at(svc, paris(2026, 6, 7, 9, 30) + timedelta(minutes=minutes)).items == []
    assert [r.slot for r in backup_runs(svc)] == [clock.to_catalog(paris(2026, 6, 2, 3)),
                                                  clock.to_catalog(paris(2026, 6, 7, 3))]


def _sweep(svc: ProfileService, start: datetime, end: datetime, step: timedelta) -> None:
    t = start
    while t <= end:
        run_at(svc, t)
        t += step


def test_dst_spring_forward_and_fall_back_neither_skip_nor_double(open_svc: Open) -> None:
    svc = open_svc(policy_toml(time="02:30"))
    # spring forward 2026-03-29 (02:00 -> 03:00): 02:30 does not exist: one run at 03:00
    _sweep(svc, paris(2026, 3, 27, 12), paris(2026, 3, 31, 12), timedelta(minutes=15))
    local = [clock.from_catalog(r.started_at).astimezone(PARIS).strftime("%m-%d %H:%M") for r in backup_runs(svc)]
    assert local == ["03-28 02:30", "03-29 03:00", "03-30 02:30", "03-31 02:30"]
    # fall back 2026-10-25 (03:00 -> 02:00): 02:30 happens twice: one run, the first
    # (after one catch-up run for the slots missed since March)
    _sweep(svc, paris(2026, 10, 24, 12), paris(2026, 10, 26, 12), timedelta(minutes=15))
    runs = backup_runs(svc)[4:]
    started = [clock.from_catalog(r.started_at) for r in runs]
    assert [s.astimezone(PARIS).strftime("%m-%d %H:%M %Z") for s in started] == [
        "10-24 12:00 CEST", "10-25 02:30 CEST", "10-26 02:30 CET"]
    assert all(r.ok for r in backup_runs(svc))


def test_failure_backoff_then_success(open_svc: Open, tmp_path: Path) -> None:
    flag = tmp_path / "drive-present"
    hooks = f'[policy.hooks]\nbefore = [{{run = ["test", "-e", "{flag}"], on_error = "fail"}}]'
    svc = open_svc(policy_toml(hooks=hooks))
    run_at(svc, paris(2026, 6, 1, 12))
    t0 = paris(2026, 6, 2, 3)
    report = run_at(svc, t0)
    assert [o.run.status for o in report.outcomes] == ["failed"] and report.failed
    assert report.outcomes[0].run.error_kind == "hook-failed"
    state = pr.get_state(svc.catalog, "nightly")
    assert state.failures == 1 and state.retry_at == clock.to_catalog(t0 + timedelta(minutes=5))
    assert state.last_slot_done == clock.to_catalog(paris(2026, 6, 1, 3))
    assert run_at(svc, t0 + timedelta(minutes=4)).items == []
    report = run_at(svc, t0 + timedelta(minutes=5))
    assert [(i.trigger, o.run.status) for i, o in zip(report.items, report.outcomes, strict=True)] == [
        ("retry", "failed")]
    assert pr.get_state(svc.catalog, "nightly").retry_at == clock.to_catalog(t0 + timedelta(minutes=35))
    assert run_at(svc, t0 + timedelta(minutes=34)).items == []
    run_at(svc, t0 + timedelta(minutes=35))
    state = pr.get_state(svc.catalog, "nightly")
    assert state.failures == 3 and state.retry_at == clock.to_catalog(t0 + timedelta(minutes=155))
    flag.touch()  # the drive is back
    assert run_at(svc, t0 + timedelta(minutes=154)).items == []
    report = run_at(svc, t0 + timedelta(minutes=155))
    assert [o.run.status for o in report.outcomes] == ["succeeded"] and not report.failed
    state = pr.get_state(svc.catalog, "nightly")
    assert state.failures == 0 and state.retry_at is None and state.last_slot_done == clock.to_catalog(t0)
    assert [r.status for r in backup_runs(svc)] == ["failed"] * 3 + ["succeeded"]
    assert [r.trigger for r in backup_runs(svc)] == ["schedule", "retry", "retry", "retry"]


def test_next_slot_supersedes_a_pending_retry(open_svc: Open, tmp_path: Path) -> None:
    flag = tmp_path / "ok"
    hooks = f'[policy.hooks]\nbefore = [{{run = ["test", "-e", "{flag}"]}}]'
    svc = open_svc(policy_toml(frequency=None, time=None, every="1h", hooks=hooks))
    t0 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    run_at(svc, t0 - timedelta(minutes=30))
    for minutes in (0, 5, 35):
        run_at(svc, t0 + timedelta(minutes=minutes))
    # the third failure's backoff (2 h) is capped at the next slot
    assert pr.get_state(svc.catalog, "nightly").retry_at == clock.to_catalog(t0 + timedelta(hours=1))
    assert run_at(svc, t0 + timedelta(minutes=59)).items == []
    flag.touch()
    report = run_at(svc, t0 + timedelta(hours=1, minutes=1))
    assert len(report.outcomes) == 1 and report.outcomes[0].run.ok
    assert report.outcomes[0].run.slot == clock.to_catalog(t0 + timedelta(hours=1))
    assert pr.get_state(svc.catalog, "nightly").last_slot_done == clock.to_catalog(t0 + timedelta(hours=1))
    assert run_at(svc, t0 + timedelta(hours=1, minutes=2)).items == []


def test_paused_policy_never_runs(open_svc: Open) -> None:
    svc = open_svc(policy_toml(state="paused"), policy_toml("manual-only", frequency=None, time=None))
    for day in range(1, 4):
        report = run_at(svc, paris(2026, 6, day, 4))
        assert report.items == [] and report.outcomes == []
    reasons = {i.policy: i.reason for i in report.not_due}
    assert reasons == {"nightly": "paused", "manual-only": "no schedule (manual runs only)"}
    assert backup_runs(svc) == []


def test_skip_hook_is_not_a_failure(open_svc: Open) -> None:
    hooks = '[policy.hooks]\nbefore = [{run = ["false"], on_error = "skip"}]'
    svc = open_svc(policy_toml(hooks=hooks))
    run_at(svc, paris(2026, 6, 1, 12))
    t0 = paris(2026, 6, 2, 3, 1)
    report = run_at(svc, t0)
    assert [o.run.status for o in report.outcomes] == ["skipped"] and not report.failed
    assert report.outcomes[0].skipped_reason
    state = pr.get_state(svc.catalog, "nightly")
    assert state.failures == 0 and state.retry_at == clock.to_catalog(t0 + timedelta(minutes=5))
    assert state.last_slot_done == clock.to_catalog(paris(2026, 6, 1, 3))  # not served: tried again later
    assert run_at(svc, t0 + timedelta(minutes=2)).items == []
    assert len(run_at(svc, t0 + timedelta(minutes=5)).items) == 1


def test_refused_before_the_job_is_a_failed_run_and_others_go_on(open_svc: Open, drive: Path,
                                                                 tmp_path: Path) -> None:
    offline = tmp_path / "unplugged"
    add_destination(svc_config(open_svc), "usb", path=offline)
    svc = open_svc(policy_toml("a-usb", destination="usb"), policy_toml())
    run_at(svc, paris(2026, 6, 1, 12))
    report = run_at(svc, paris(2026, 6, 2, 3, 1))
    status = {o.run.policy: o.run.status for o in report.outcomes}
    assert status == {"a-usb": "failed", "nightly": "succeeded"} and report.failed
    failed = next(o.run for o in report.outcomes if o.run.policy == "a-usb")
    assert failed.error and failed.finished_at
    assert pr.get_state(svc.catalog, "a-usb").failures == 1


def svc_config(open_svc: Open) -> Path:
    probe = open_svc()
    path = probe.config.file
    probe.close()
    return Path(path)


def test_dry_run_changes_nothing(open_svc: Open) -> None:
    svc = open_svc(policy_toml())
    run_at(svc, paris(2026, 6, 1, 12))
    clock.set_now(paris(2026, 6, 3, 12))
    before = pr.get_state(svc.catalog, "nightly")
    report = scheduler.run_due(svc, dry_run=True)
    assert report.dry_run and [i.kind for i in report.items] == ["backup"] and report.outcomes == []
    assert "2 slots missed" in report.items[0].reason
    assert pr.get_state(svc.catalog, "nightly") == before and backup_runs(svc) == []
    assert scheduler.next_run(svc, svc.policy("nightly"), clock.now()) == clock.now()
    assert [i.policy for i in scheduler.due_items(svc, clock.now())] == ["nightly"]


def test_first_sight_in_dry_run_is_not_recorded(open_svc: Open) -> None:
    svc = open_svc(policy_toml())
    clock.set_now(at("2026-06-01T12:00:00Z"))
    scheduler.run_due(svc, dry_run=True)
    assert pr.get_state(svc.catalog, "nightly").last_slot_done is None
    nxt = scheduler.next_run(svc, svc.policy("nightly"), clock.now())
    assert nxt == paris(2026, 6, 2, 3)
